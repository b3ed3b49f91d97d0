#include "LossChartView.h"

#include <QLabel>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

namespace headbench {

LossChartView::LossChartView(QWidget* parent)
    : ChartView(parent)
    , m_trainSeries(new QLineSeries)
    , m_valSeries(new QLineSeries)
    , m_metricSeries(new QLineSeries)
    , m_x(new QValueAxis)
    , m_yLinear(new QValueAxis)
    , m_yLog(new QLogValueAxis)
    , m_yMetric(new QValueAxis)
    , m_placeholder(new QLabel(this))
{
    m_placeholder->setObjectName(QStringLiteral("lossChartPlaceholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setStyleSheet(QStringLiteral("QLabel { background: rgba(255, 255, 255, 245); color: #37474f; "
                                                "border: 1px solid #cfd8dc; border-radius: 6px; padding: 12px; }"));
    m_placeholder->hide();
    QChart* c = chart();
    c->setTitle(tr("Training curves"));
    m_trainSeries->setName(tr("train loss"));
    m_valSeries->setName(tr("validation loss"));
    m_metricSeries->setName(tr("validation F1"));
    QPen metricPen(QColor(0x2e, 0x7d, 0x32));
    metricPen.setWidthF(2.0);
    metricPen.setStyle(Qt::DashLine);
    m_metricSeries->setPen(metricPen);
    m_trainSeries->setPen(QPen(QColor(0x15, 0x65, 0xc0), 2.0));
    m_valSeries->setPen(QPen(QColor(0xe6, 0x51, 0x00), 2.0));
    for (auto* s : {m_trainSeries, m_valSeries, m_metricSeries})
        c->addSeries(s);
    m_x->setTitleText(tr("epoch"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    m_yLinear->setTitleText(tr("loss"));
    m_yLog->setTitleText(tr("loss (log)"));
    m_yLog->setLabelFormat(QStringLiteral("%.3g"));
    m_yMetric->setTitleText(tr("metric"));
    m_yMetric->setRange(0, 1);
    c->addAxis(m_x, Qt::AlignBottom);
    c->addAxis(m_yLinear, Qt::AlignLeft);
    c->addAxis(m_yMetric, Qt::AlignRight);
    for (auto* s : {m_trainSeries, m_valSeries, m_metricSeries})
        s->attachAxis(m_x);
    m_trainSeries->attachAxis(m_yLinear);
    m_valSeries->attachAxis(m_yLinear);
    m_metricSeries->attachAxis(m_yMetric);
    redraw();
}

LossChartView::~LossChartView()
{
    // The loss axis not shown (log or linear) is in no chart, so nothing else deletes it.
    if (m_log)
        delete m_yLinear;
    else
        delete m_yLog;
}

void LossChartView::clear()
{
    m_train.clear();
    m_val.clear();
    m_metric.clear();
    redraw();
}

void LossChartView::addEpoch(int epoch, double trainLoss, double valLoss, double valMetric)
{
    m_train.append(QPointF(epoch, trainLoss));
    m_val.append(QPointF(epoch, valLoss));
    if (std::isfinite(valMetric))
        m_metric.append(QPointF(epoch, valMetric));
    redraw();
}

void LossChartView::setHistory(const QList<QPointF>& train, const QList<QPointF>& val, const QList<QPointF>& metric)
{
    m_train = train;
    m_val = val;
    m_metric = metric;
    redraw();
}

void LossChartView::setMetricName(const QString& name)
{
    m_metricSeries->setName(name);
}

void LossChartView::setStepName(const QString& name)
{
    m_x->setTitleText(name);
}

void LossChartView::setRunName(const QString& name)
{
    chart()->setTitle(name.isEmpty() ? tr("Training curves") : tr("Training curves: %1").arg(name));
    setToolTip(name);
}

QString LossChartView::stepName() const
{
    return m_x->titleText();
}

void LossChartView::setSmoothing(double weight)
{
    m_smoothing = std::clamp(weight, 0.0, 0.99);
    redraw();
}

void LossChartView::setLogScale(bool on)
{
    if (on == m_log)
        return;
    m_log = on;
    QAbstractAxis* from = on ? static_cast<QAbstractAxis*>(m_yLinear) : m_yLog;
    QAbstractAxis* to = on ? static_cast<QAbstractAxis*>(m_yLog) : m_yLinear;
    for (auto* s : {m_trainSeries, m_valSeries})
        s->detachAxis(from);
    chart()->removeAxis(from);
    chart()->addAxis(to, Qt::AlignLeft);
    for (auto* s : {m_trainSeries, m_valSeries})
        s->attachAxis(to);
    redraw();
}

void LossChartView::resizeEvent(QResizeEvent* event)
{
    ChartView::resizeEvent(event);
    redraw();
}

void LossChartView::setPlaceholderText(const QString& text)
{
    m_placeholder->setText(text);
    redraw();
}

QString LossChartView::shownPlaceholder() const
{
    return m_placeholder->isVisibleTo(this) ? m_placeholder->text() : QString();
}

QList<QPointF> LossChartView::prepare(const QList<QPointF>& raw) const
{
    QList<QPointF> out;
    out.reserve(raw.size());
    double ema = 0;
    for (qsizetype i = 0; i < raw.size(); ++i) {
        ema = i == 0 ? raw[i].y() : m_smoothing * ema + (1 - m_smoothing) * raw[i].y();
        out.append(QPointF(raw[i].x(), ema));
    }
    // Decimate to about one point per two pixels: keep the min and max of each bucket so
    // spikes stay visible.
    const int budget = std::max(50, width() / 2);
    if (out.size() <= budget)
        return out;
    QList<QPointF> decimated;
    const double bucket = static_cast<double>(out.size()) / (budget / 2);
    for (double start = 0; start < out.size(); start += bucket) {
        const auto b = static_cast<qsizetype>(start);
        const auto e = std::min<qsizetype>(out.size(), static_cast<qsizetype>(start + bucket));
        auto [lo, hi] = std::minmax_element(out.begin() + b, out.begin() + e,
                                            [](const QPointF& a, const QPointF& c) { return a.y() < c.y(); });
        if (lo->x() < hi->x())
            decimated << *lo << *hi;
        else
            decimated << *hi << *lo;
    }
    return decimated;
}

int LossChartView::integerTickStep(double span)
{
    // At most about ten ticks, on 1, 2, 5, 10, 20, 50 … epochs.
    for (int scale = 1;; scale *= 10)
        for (int m : {1, 2, 5})
            if (span / (m * scale) <= 10)
                return m * scale;
}

LossChartView::LogAxisRange LossChartView::logAxisRange(double lo, double hi)
{
    // A loss of 0 has no place on a log axis; the smallest positive ones (1e-7 from a confident
    // head) do.
    const double a = lo > 0 ? lo * 0.8 : std::max(hi * 1e-3, 1e-12), b = std::max(hi * 1.2, a * 2);
    // Labels sit at powers of the base: losses within a decade or so had one tick in base 10,
    // so they are labelled in powers of 2 with the range widened to one at each end.
    if (b / a >= 100)
        return {10, a, b};
    return {2, std::exp2(std::floor(std::log2(a))), std::exp2(std::ceil(std::log2(b)))};
}

void LossChartView::redraw()
{
    const bool placeholder = m_train.isEmpty() && !m_placeholder->text().isEmpty();
    m_placeholder->setVisible(placeholder);
    if (placeholder) {
        const int w = std::min(width() - 40, 440);
        m_placeholder->setFixedWidth(std::max(w, 120));
        m_placeholder->adjustSize();
        m_placeholder->move((width() - m_placeholder->width()) / 2, (height() - m_placeholder->height()) / 2);
        m_placeholder->raise();
    }
    const auto train = prepare(m_train), val = prepare(m_val), metric = prepare(m_metric);
    m_trainSeries->replace(train);
    m_valSeries->replace(val);
    m_metricSeries->replace(metric);
    // Epochs are whole numbers: ticks at integers only (1, 2, 3 … or every 2, 5, 10 …), and a
    // run of one epoch is drawn as points around a single tick.
    const double lastEpoch = m_train.isEmpty() ? 10 : m_train.last().x();
    const int step = integerTickStep(lastEpoch);
    m_x->setTickType(QValueAxis::TicksDynamic);
    m_x->setTickAnchor(step == 1 ? 1 : 0);
    m_x->setTickInterval(step);
    if (lastEpoch <= 1)
        m_x->setRange(0.5, 1.5);
    else
        m_x->setRange(1, lastEpoch);
    const bool fewPoints = m_train.size() < 2;
    for (auto* s : {m_trainSeries, m_valSeries, m_metricSeries})
        s->setPointsVisible(fewPoints);
    double lo = INFINITY, hi = -INFINITY;
    for (const auto* list : {&train, &val})
        for (const auto& p : *list)
            if (std::isfinite(p.y())) {
                lo = std::min(lo, p.y());
                hi = std::max(hi, p.y());
            }
    if (!std::isfinite(lo)) {
        lo = 0.01;
        hi = 1;
    }
    if (m_log) {
        const LogAxisRange r = logAxisRange(lo, hi);
        m_yLog->setBase(r.base);
        m_yLog->setMinorTickCount(r.base == 10 ? 8 : 0); // grid lines at 2, 3 … 9 within a decade
        m_yLog->setRange(r.min, r.max);
    } else {
        m_yLinear->setRange(0, hi * 1.1);
        m_yLinear->applyNiceNumbers();
    }
}

} // namespace headbench
