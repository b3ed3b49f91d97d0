#include "SweepView.h"

#include <headbench/core/Plural.h>

#include "LossChartView.h"

#include "ChartView.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtCharts/QAreaSeries>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include <cmath>
#include <map>

namespace headbench {
namespace {

enum Col { IndexCol, ParamsCol, StatusCol, ValF1Col, TestF1Col, ValAucCol, SecondsCol };

double metricOf(const RunRecord& r, int metric)
{
    switch (metric) {
    case 0: return r.validation.f1;
    case 1: return r.test.f1;
    case 2: return r.validation.rocAuc;
    case 3: return r.validation.accuracy;
    default: return r.validation.loss;
    }
}

/// The bootstrap interval of the chosen metric, when the run has one (loss has none).
Interval intervalOf(const RunRecord& r, int metric)
{
    const Metrics& m = metric == 1 ? r.test : r.validation;
    if (!m.ci)
        return {};
    switch (metric) {
    case 0:
    case 1: return m.ci->f1;
    case 2: return m.ci->rocAuc;
    case 3: return m.ci->accuracy;
    default: return {};
    }
}

} // namespace

SweepView::SweepView(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(tr("No sweep yet — define one with Run ▸ Sweep… (Ctrl+Shift+T)")))
    , m_progress(new QProgressBar)
    , m_cancel(new QPushButton(tr("Cancel sweep")))
    , m_table(new QTableWidget)
    , m_scatter(new ChartView)
    , m_field(new QComboBox)
    , m_metric(new QComboBox)
{
    m_table->setColumnCount(7);
    m_table->setHorizontalHeaderLabels({tr("#"), tr("values"), tr("status"), tr("val F1"), tr("test F1"), tr("val AUC"), tr("s")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(ParamsCol, QHeaderView::Stretch);
    m_table->setSortingEnabled(false);
    m_metric->addItems({tr("val F1"), tr("test F1"), tr("val ROC-AUC"), tr("val accuracy"), tr("val loss")});
    m_cancel->setEnabled(false);
    m_title->setWordWrap(true); // a narrow window wraps the title instead of widening the tab
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_scatter->chart()->setTitle(tr("Metric against a field"));
    m_scatter->chart()->legend()->hide();

    auto* top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
    auto* chooser = new QHBoxLayout;
    chooser->addWidget(new QLabel(tr("Show")));
    chooser->addWidget(m_metric);
    chooser->addWidget(new QLabel(tr("against")));
    chooser->addWidget(m_field);
    chooser->addStretch(1);
    auto* chartSide = new QWidget;
    auto* chartLayout = new QVBoxLayout(chartSide);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addLayout(chooser);
    chartLayout->addWidget(m_scatter, 1);
    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(m_table);
    splitter->addWidget(chartSide);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(m_cancel, &QPushButton::clicked, this, &SweepView::cancelRequested);
    connect(m_field, &QComboBox::currentIndexChanged, this, &SweepView::updateScatter);
    connect(m_metric, &QComboBox::currentIndexChanged, this, &SweepView::updateScatter);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row) {
        if (row >= 0 && row < static_cast<int>(m_done.size()) && m_done[row])
            Q_EMIT runActivated(QString::fromStdString(m_results[row].dir));
    });
}

void SweepView::setPoints(const QString& sweepId, const QStringList& params)
{
    m_params = params;
    m_results.assign(params.size(), RunRecord{});
    m_done.assign(params.size(), false);
    m_title->setText(tr("<b>%1</b>: %2").arg(sweepId, QString::fromStdString(plural(params.size(), "run"))));
    m_table->setRowCount(static_cast<int>(params.size()));
    QStringList fields;
    for (int i = 0; i < params.size(); ++i) {
        m_table->setItem(i, IndexCol, new QTableWidgetItem(QString::number(i + 1)));
        auto* values = new QTableWidgetItem(QString::fromStdString(sweepPointText(params[i].toStdString())));
        values->setToolTip(params[i]);
        m_table->setItem(i, ParamsCol, values);
        m_table->setItem(i, StatusCol, new QTableWidgetItem(tr("queued")));
        for (int c = ValF1Col; c <= SecondsCol; ++c)
            m_table->setItem(i, c, new QTableWidgetItem(QString()));
        const QJsonObject obj = QJsonDocument::fromJson(params[i].toUtf8()).object();
        for (const QString& key : obj.keys())
            if (!fields.contains(key))
                fields << key;
    }
    m_table->resizeColumnToContents(IndexCol);
    m_field->blockSignals(true);
    m_field->clear();
    m_field->addItems(fields);
    m_field->blockSignals(false);
    m_cancel->setEnabled(true);
    updateProgress();
    updateScatter();
}

void SweepView::setRunning(int index)
{
    if (index >= 0 && index < m_table->rowCount()) {
        m_table->item(index, StatusCol)->setText(tr("training…"));
        m_table->scrollToItem(m_table->item(index, 0));
    }
}

void SweepView::setFinished(int index, const RunRecord& run)
{
    if (index < 0 || index >= m_table->rowCount())
        return;
    m_results[index] = run;
    m_done[index] = true;
    auto num = [](double v) { return std::isfinite(v) ? QString::number(v, 'f', 3) : QStringLiteral("–"); };
    m_table->item(index, StatusCol)->setText(tr("done"));
    m_table->item(index, ValF1Col)->setText(num(run.validation.f1));
    m_table->item(index, TestF1Col)->setText(num(run.test.f1));
    m_table->item(index, ValAucCol)->setText(num(run.validation.rocAuc));
    m_table->item(index, SecondsCol)->setText(QString::number(run.seconds, 'f', 1));
    updateProgress();
    updateScatter();
}

void SweepView::setFailed(int index, const QString& message)
{
    if (index >= 0 && index < m_table->rowCount()) {
        m_table->item(index, StatusCol)->setText(tr("failed"));
        m_table->item(index, StatusCol)->setToolTip(message);
    }
}

void SweepView::setEnded(bool cancelled)
{
    for (int i = 0; i < m_table->rowCount(); ++i)
        if (!m_done[i] && m_table->item(i, StatusCol)->text() != tr("failed"))
            m_table->item(i, StatusCol)->setText(cancelled ? tr("cancelled") : tr("not run"));
    m_cancel->setEnabled(false);
    updateProgress();
}

int SweepView::finishedCount() const
{
    return static_cast<int>(std::count(m_done.begin(), m_done.end(), true));
}

void SweepView::updateProgress()
{
    m_progress->setRange(0, std::max(1, static_cast<int>(m_params.size())));
    m_progress->setValue(finishedCount());
    m_progress->setFormat(tr("%1 of %2").arg(finishedCount()).arg(m_params.size()));
}

void SweepView::updateScatter()
{
    QChart* chart = m_scatter->chart();
    chart->removeAllSeries();
    for (QAbstractAxis* axis : chart->axes()) {
        chart->removeAxis(axis); // gives the axis back to us: Qt does not delete it
        delete axis;
    }
    const QString field = m_field->currentText();
    if (field.isEmpty())
        return;
    if (field == QLatin1String("train_fraction")) {
        drawLearningCurve();
        return;
    }
    chart->setTitle(tr("Metric against a field"));
    // Numeric fields on a value axis; anything else (names, lists) on categories.
    std::vector<std::pair<QJsonValue, double>> points;
    bool numeric = true;
    for (std::size_t i = 0; i < m_done.size(); ++i) {
        if (!m_done[i])
            continue;
        const QJsonValue v = QJsonDocument::fromJson(m_params[static_cast<int>(i)].toUtf8()).object().value(field);
        numeric = numeric && v.isDouble();
        points.emplace_back(v, metricOf(m_results[i], m_metric->currentIndex()));
    }
    auto* series = new QScatterSeries;
    series->setMarkerSize(11);
    series->setColor(QColor(0x15, 0x65, 0xc0));
    auto* y = new QValueAxis;
    y->setTitleText(m_metric->currentText());
    QAbstractAxis* x = nullptr;
    std::map<QString, int> categories;
    double lo = INFINITY, hi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (const auto& [v, metric] : points) {
        if (!std::isfinite(metric))
            continue;
        double xv;
        if (numeric) {
            xv = v.toDouble();
        } else {
            const QString key = v.isString() ? v.toString() : QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("v"), v}}).toJson(QJsonDocument::Compact)).mid(5).chopped(1);
            auto it = categories.find(key);
            if (it == categories.end())
                it = categories.emplace(key, static_cast<int>(categories.size())).first;
            xv = it->second;
        }
        series->append(xv, metric);
        lo = std::min(lo, xv);
        hi = std::max(hi, xv);
        ylo = std::min(ylo, metric);
        yhi = std::max(yhi, metric);
    }
    if (numeric) {
        auto* axis = new QValueAxis;
        const double pad = hi > lo ? (hi - lo) * 0.08 : 0.5;
        axis->setRange(lo - pad, hi + pad);
        bool integral = true;
        for (const QPointF& p : series->points())
            integral = integral && p.x() == std::round(p.x());
        if (integral) { // e.g. depth, epochs: no tick at 0.21
            axis->setTickType(QValueAxis::TicksDynamic);
            axis->setTickAnchor(0);
            axis->setTickInterval(LossChartView::integerTickStep(hi - lo));
            axis->setLabelFormat(QStringLiteral("%d"));
        }
        x = axis;
    } else {
        auto* axis = new QCategoryAxis;
        axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
        // A category axis takes its labels in increasing order of position; the map is by name.
        std::vector<std::pair<int, QString>> byPosition;
        for (const auto& [name, index] : categories)
            byPosition.emplace_back(index, name);
        std::sort(byPosition.begin(), byPosition.end());
        for (const auto& [index, name] : byPosition)
            axis->append(name, index);
        axis->setRange(-0.5, std::max<double>(0.5, static_cast<double>(categories.size()) - 0.5));
        x = axis;
    }
    x->setTitleText(field);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    chart->addSeries(series);
    series->attachAxis(x);
    series->attachAxis(y);
    if (std::isfinite(ylo)) {
        const double pad = yhi > ylo ? (yhi - ylo) * 0.1 : 0.05;
        y->setRange(ylo - pad, yhi + pad);
    }
    y->setLabelFormat(QStringLiteral("%.3f")); // metrics are shown to 3 places everywhere else
}

void SweepView::drawLearningCurve()
{
    // A learning curve: the metric against the rows the head was fitted on, the mean of the runs
    // at each size joined by a line, inside the band of their 95% bootstrap intervals.
    QChart* chart = m_scatter->chart();
    chart->setTitle(tr("Learning curve"));
    std::map<double, std::vector<std::size_t>> bySize;
    for (std::size_t i = 0; i < m_done.size(); ++i)
        if (m_done[i] && std::isfinite(metricOf(m_results[i], m_metric->currentIndex())))
            bySize[m_results[i].trainRows > 0 ? static_cast<double>(m_results[i].trainRows) : m_results[i].trainFraction]
                .push_back(i);
    if (bySize.empty())
        return;
    const bool rows = std::all_of(bySize.begin(), bySize.end(), [&](const auto& e) { return m_results[e.second.front()].trainRows > 0; });
    auto* line = new QLineSeries;
    line->setName(m_metric->currentText());
    line->setColor(QColor(0x15, 0x65, 0xc0));
    line->setPointsVisible(true);
    auto* lower = new QLineSeries;
    auto* upper = new QLineSeries;
    double ylo = INFINITY, yhi = -INFINITY;
    for (const auto& [x, runs] : bySize) {
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (std::size_t i : runs) {
            const double v = metricOf(m_results[i], m_metric->currentIndex());
            sum += v;
            const Interval ci = intervalOf(m_results[i], m_metric->currentIndex());
            lo = std::min(lo, ci.valid() ? ci.low : v);
            hi = std::max(hi, ci.valid() ? ci.high : v);
        }
        line->append(x, sum / static_cast<double>(runs.size()));
        lower->append(x, lo);
        upper->append(x, hi);
        ylo = std::min(ylo, lo);
        yhi = std::max(yhi, hi);
    }
    auto* band = new QAreaSeries(upper, lower);
    upper->setParent(band); // the area series does not own its edges
    lower->setParent(band);
    band->setName(tr("95% interval"));
    QColor fill(0x15, 0x65, 0xc0);
    fill.setAlpha(50);
    band->setBrush(fill);
    band->setPen(Qt::NoPen);
    const double xlo = bySize.begin()->first, xhi = bySize.rbegin()->first;
    QAbstractAxis* x = nullptr;
    if (xlo > 0 && xhi / xlo >= 20) { // 1% .. 100%: a log axis keeps the small sizes apart
        auto* axis = new QLogValueAxis;
        axis->setBase(10);
        axis->setRange(xlo / 1.3, xhi * 1.3);
        axis->setLabelFormat(rows ? QStringLiteral("%.0f") : QStringLiteral("%.2g"));
        axis->setMinorTickCount(8);
        x = axis;
    } else {
        auto* axis = new QValueAxis;
        const double pad = xhi > xlo ? (xhi - xlo) * 0.08 : std::max(1.0, xlo * 0.1);
        axis->setRange(std::max(0.0, xlo - pad), xhi + pad);
        axis->setLabelFormat(rows ? QStringLiteral("%.0f") : QStringLiteral("%.2f"));
        x = axis;
    }
    x->setTitleText(rows ? tr("training rows (train_fraction)") : tr("train_fraction"));
    auto* y = new QValueAxis;
    y->setTitleText(m_metric->currentText());
    const double pad = yhi > ylo ? (yhi - ylo) * 0.1 : 0.05;
    y->setRange(ylo - pad, yhi + pad);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QAbstractSeries* series : {static_cast<QAbstractSeries*>(band), static_cast<QAbstractSeries*>(line)}) {
        chart->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
    }
}

} // namespace headbench
