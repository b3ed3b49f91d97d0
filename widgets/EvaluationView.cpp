#include "EvaluationView.h"

#include "ChartView.h"
#include "ConfusionMatrixView.h"
#include "ElidedLabel.h"
#include "WidgetExport.h"

#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Metrics.h>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>

#include <cmath>

namespace headbench {
namespace {

/// A square 0..1 x 0..1 chart with a line and a marker series.
void setUpUnitChart(ChartView* view, const QString& title, const QString& xTitle, const QString& yTitle,
                    QLineSeries* line, QScatterSeries* marker, bool diagonal)
{
    QChart* c = view->chart();
    c->setTitle(title);
    auto* x = new QValueAxis;
    auto* y = new QValueAxis;
    x->setRange(0, 1);
    y->setRange(0, 1);
    x->setTitleText(xTitle);
    y->setTitleText(yTitle);
    // Three ticks across (0, 0.5, 1): six do not fit a chart narrow enough for a laptop screen
    // and were drawn as "…".
    x->setLabelFormat(QStringLiteral("%.1f"));
    x->setTickCount(3);
    y->setTickCount(6);
    y->setLabelFormat(QStringLiteral("%.1f"));
    // Titles and legend a point smaller than the chart's text, so they fit a chart as narrow as
    // a 1024-pixel-wide window leaves it.
    QFont small = c->font();
    if (small.pointSizeF() > 0)
        small.setPointSizeF(std::max(6.5, small.pointSizeF() - 1));
    x->setTitleFont(small);
    y->setTitleFont(small);
    c->legend()->setFont(small);
    c->addAxis(x, Qt::AlignBottom);
    c->addAxis(y, Qt::AlignLeft);
    if (diagonal) {
        auto* d = new QLineSeries;
        d->setName(QObject::tr("ideal"));
        d->append(0, 0);
        d->append(1, 1);
        QPen pen(Qt::gray, 1, Qt::DashLine);
        d->setPen(pen);
        c->addSeries(d);
        d->attachAxis(x);
        d->attachAxis(y);
        for (auto* m : c->legend()->markers(d))
            m->setVisible(false);
    }
    line->setPen(QPen(QColor(0x15, 0x65, 0xc0), 2));
    c->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(y);
    if (marker) {
        marker->setMarkerSize(11);
        marker->setColor(QColor(0xe6, 0x51, 0x00));
        marker->setBorderColor(Qt::white);
        c->addSeries(marker);
        marker->attachAxis(x);
        marker->attachAxis(y);
    }
    view->keepLegible(y, 6, 3);
    view->setMinimumSize(146, 170);
}

/// Keeps the points of a unit-square curve that move it by at least `step` in x or y (and the
/// last one): a chart a few hundred pixels wide cannot show more, and fewer points draw faster.
QList<QPointF> decimateCurve(const std::vector<CurvePoint>& curve, double step = 1.0 / 500)
{
    QList<QPointF> out;
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const QPointF p(curve[i].x, curve[i].y);
        if (out.isEmpty() || i + 1 == curve.size() || std::abs(p.x() - out.last().x()) >= step ||
            std::abs(p.y() - out.last().y()) >= step)
            out.append(p);
    }
    return out;
}

} // namespace

EvaluationView::EvaluationView(QWidget* parent)
    : QWidget(parent)
    , m_title(new ElidedLabel)
    , m_splitBox(new QComboBox)
    , m_slider(new QSlider(Qt::Horizontal))
    , m_thresholdLabel(new QLabel)
    , m_saveThreshold(new QToolButton)
    , m_metrics(new QLabel)
    , m_classNote(new QLabel)
    , m_confusion(new ConfusionMatrixView)
    , m_roc(new ChartView)
    , m_pr(new ChartView)
    , m_calibration(new ChartView)
    , m_rocLine(new QLineSeries)
    , m_prLine(new QLineSeries)
    , m_rocMarker(new QScatterSeries)
    , m_prMarker(new QScatterSeries)
    , m_calibrationLine(new QLineSeries)
    , m_calibrationPoints(new QScatterSeries)
    , m_calibrationBeforeLine(new QLineSeries)
{
    m_splitBox->addItem(tr("validation"), 1);
    m_splitBox->addItem(tr("test"), 2);
    // The rows the head was fitted on: far better figures than validation's mean overfitting,
    // and a near-perfect score beside a leaking split shows what the leakage is worth.
    m_splitBox->addItem(tr("train"), 0);
    m_splitBox->setItemData(2, tr("The rows the head was fitted on (learning-curve runs: the whole training split, "
                                  "fitted on part of it). Compare with validation to see overfitting."),
                            Qt::ToolTipRole);
    m_splitBox->setObjectName(QStringLiteral("evaluationSplitBox"));
    // 0.001 to 0.999: a threshold of 0 or 1 predicts one class for every row, and a run cannot
    // save it (run.json's threshold is in (0, 1)).
    m_slider->setRange(1, 999);
    m_slider->setValue(500);
    m_slider->setToolTip(tr("Decision threshold on the probability of the positive class"));
    m_title->setStyleSheet(QStringLiteral("font-weight: bold; font-size: 13pt;"));
    // A long run name (a sweep point's fields, a deep feature file) ends in "…" at the view's
    // edge instead of widening the window; the whole name is the tooltip.
    m_metrics->setTextFormat(Qt::RichText);
    m_metrics->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_classNote->setObjectName(QStringLiteral("missingClassNote"));
    m_classNote->setWordWrap(true);
    m_classNote->setStyleSheet(QStringLiteral("color: #a04000;"));
    m_classNote->hide();

    m_rocLine->setName(tr("ROC"));
    m_prLine->setName(tr("PR"));
    m_rocMarker->setName(tr("threshold"));
    m_prMarker->setName(tr("threshold"));
    m_calibrationLine->setName(tr("model"));
    m_calibrationPoints->setName(tr("bins"));
    setUpUnitChart(m_roc, tr("ROC curve"), tr("FPR"), tr("TPR"), m_rocLine, m_rocMarker, true);
    m_roc->setToolTip(tr("ROC: true positive rate (TPR, recall) against false positive rate (FPR)"));
    setUpUnitChart(m_pr, tr("Precision-recall"), tr("recall"), tr("precision"), m_prLine, m_prMarker, false);
    setUpUnitChart(m_calibration, tr("Reliability"), tr("confidence"), tr("accuracy"), m_calibrationLine,
                   m_calibrationPoints, true);
    m_calibrationPoints->setMarkerSize(8);
    // Before temperature scaling, for calibrated runs only.
    m_calibrationBeforeLine->setName(tr("before"));
    m_calibrationBeforeLine->setPen(QPen(QColor(0xe6, 0x51, 0x00), 2, Qt::DashLine));
    m_calibration->chart()->addSeries(m_calibrationBeforeLine);
    for (auto* axis : m_calibration->chart()->axes())
        m_calibrationBeforeLine->attachAxis(axis);
    m_calibrationBeforeLine->setVisible(false);
    for (auto* m : m_calibration->chart()->legend()->markers(m_calibrationBeforeLine))
        m->setVisible(false);
    m_calibration->fitToSize();

    auto* top = new QHBoxLayout;
    top->addWidget(m_title, 1);
    top->addWidget(new QLabel(tr("Split:")));
    top->addWidget(m_splitBox);

    auto* threshold = new QHBoxLayout;
    threshold->addWidget(new QLabel(tr("Threshold:")));
    threshold->addWidget(m_slider, 1);
    threshold->addWidget(m_thresholdLabel);
    m_saveThreshold->setObjectName(QStringLiteral("saveThresholdButton"));
    m_saveThreshold->setToolTip(tr("Save this threshold with the run: Compare and headbench-cli eval then use it"));
    m_saveThreshold->setText(tr("Save threshold with run"));
    connect(m_saveThreshold, &QToolButton::clicked, this, [this] { Q_EMIT saveThresholdRequested(m_threshold); });

    // Confusion matrix on the left; curves, reliability and the threshold with its metrics in
    // a 2x2 grid on the right.
    auto* numbers = new QVBoxLayout;
    numbers->addStretch(1);
    numbers->addLayout(threshold);
    numbers->addWidget(m_metrics);
    numbers->addWidget(m_classNote);
    numbers->addWidget(m_saveThreshold, 0, Qt::AlignLeft); // below: the slider keeps its width
    numbers->addStretch(1);

    // One panel, hidden while no run is shown: an empty reliability chart and a live threshold
    // slider beside "No run selected" looked like a broken view.
    m_chartsPanel = new QWidget;
    auto* charts = new QGridLayout(m_chartsPanel);
    charts->setContentsMargins(0, 0, 0, 0);
    charts->addWidget(m_roc, 0, 0);
    charts->addWidget(m_pr, 0, 1);
    charts->addWidget(m_calibration, 1, 0);
    charts->addLayout(numbers, 1, 1);

    auto* body = new QHBoxLayout;
    body->addWidget(m_confusion, 2);
    body->addWidget(m_chartsPanel, 3);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(body, 1);

    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        m_threshold = v / 1000.0;
        updateThresholdDependent();
        Q_EMIT thresholdChanged(m_threshold);
    });
    connect(m_splitBox, &QComboBox::currentIndexChanged, this, [this] {
        rebuildSplit();
        Q_EMIT splitChanged(split());
    });
    connect(m_confusion, &ConfusionMatrixView::cellClicked, this, &EvaluationView::cellClicked);
    clear();
}

void EvaluationView::clear()
{
    m_data.reset();
    m_split.clear();
    m_validationCi.reset();
    m_testCi.reset();
    m_temperature = 1.0;
    m_title->setFullText(tr("No run selected"));
    m_confusion->setPlaceholder(tr("No run selected.\n\nTrain a head (Train, F5), or pick a run in the Runs list."));
    rebuildSplit();
}

void EvaluationView::setRun(std::shared_ptr<const SampleData> data, std::vector<std::uint8_t> split, const QString& title)
{
    m_validationCi.reset();
    m_testCi.reset();
    m_temperature = 1.0;
    m_data = std::move(data);
    m_split = std::move(split);
    m_title->setFullText(title);
    rebuildSplit();
}

void EvaluationView::setCalibrationTemperature(double temperature)
{
    m_temperature = temperature > 0 ? temperature : 1.0;
    rebuildSplit();
}

void EvaluationView::setIntervals(std::optional<MetricIntervals> validation, std::optional<MetricIntervals> test)
{
    m_validationCi = std::move(validation);
    m_testCi = std::move(test);
    updateThresholdDependent();
}

void EvaluationView::setSplit(int code)
{
    if (const int index = m_splitBox->findData(code); index >= 0)
        m_splitBox->setCurrentIndex(index);
}

int EvaluationView::split() const
{
    return m_splitBox->currentData().toInt();
}

QString EvaluationView::splitName() const
{
    return m_splitBox->currentText();
}

QString EvaluationView::classNote() const
{
    return m_classNote->isHidden() ? QString() : m_classNote->text();
}

void EvaluationView::setThreshold(double threshold)
{
    m_slider->setValue(static_cast<int>(std::lround(threshold * 1000)));
}

void EvaluationView::rebuildSplit()
{
    m_rows.clear();
    SplitRows rows;
    const int k = m_data ? m_data->numClasses : 0;
    if (m_data) {
        const int code = split();
        for (std::int64_t r = 0; r < m_data->rows(); ++r)
            if (m_split.empty() || m_split[static_cast<std::size_t>(r)] == code) {
                m_rows.push_back(r);
                rows.labels.push_back(m_data->labels[static_cast<std::size_t>(r)]);
                rows.probabilities.insert(rows.probabilities.end(), m_data->probabilities.begin() + r * k,
                                          m_data->probabilities.begin() + (r + 1) * k);
            }
    }
    // Curves and bins depend on the split only: computed once here, not per threshold move.
    m_evaluation = SplitEvaluation(std::move(rows), k, m_temperature);
    const bool binary = m_evaluation.binary();
    m_slider->setEnabled(binary);
    m_saveThreshold->setEnabled(binary);
    // With more classes the prediction is the arg-max: a disabled slider says why.
    m_slider->setToolTip(binary || k < 3 ? tr("Decision threshold on the probability of the positive class")
                                         : tr("A threshold applies to two classes; with %1 the predicted class is the "
                                              "most probable one").arg(k));
    m_chartsPanel->setVisible(m_data != nullptr);
    m_roc->setVisible(binary);
    m_pr->setVisible(binary);
    QList<QPointF> pr = decimateCurve(m_evaluation.pr());
    if (binary)
        pr.prepend(QPointF(0, 1));
    const auto points = [](const std::vector<ReliabilityBin>& bins) {
        QList<QPointF> out;
        for (const ReliabilityBin& b : bins)
            out.append(QPointF(b.confidence, b.accuracy));
        return out;
    };
    const bool calibrated = !m_evaluation.reliabilityBefore().empty();
    m_calibrationLine->setName(calibrated ? tr("T=%1").arg(m_temperature, 0, 'g', 2) : tr("model"));
    m_calibrationBeforeLine->replace(points(m_evaluation.reliabilityBefore()));
    m_calibrationBeforeLine->setVisible(calibrated);
    for (auto* m : m_calibration->chart()->legend()->markers(m_calibrationBeforeLine))
        m->setVisible(calibrated);
    m_calibration->fitToSize(); // the legend has one more entry, or one fewer
    m_rocLine->replace(decimateCurve(m_evaluation.roc()));
    m_prLine->replace(pr);
    m_calibrationLine->replace(points(m_evaluation.reliability()));
    m_calibrationPoints->replace(points(m_evaluation.reliability()));
    updateThresholdDependent();
}

QString EvaluationView::metricsText() const
{
    return m_metrics->text();
}

void EvaluationView::updateThresholdDependent()
{
    m_thresholdLabel->setText(QString::number(m_threshold, 'f', 3));
    if (!m_data || m_rows.empty()) {
        m_confusion->setMatrix({}, {});
        m_metrics->setText(QString());
        m_classNote->hide();
        m_rocMarker->clear();
        m_prMarker->clear();
        for (QWidget* w : std::initializer_list<QWidget*>{m_confusion, m_roc, m_pr, m_calibration})
            setExportCaption(w, QString());
        return;
    }
    const int k = m_data->numClasses;
    const Metrics m = m_evaluation.at(m_threshold);
    QStringList names;
    for (const auto& n : m_data->labelNames)
        names << QString::fromStdString(n);
    m_confusion->setMatrix(m.confusion, names);
    auto fmt = [](double v, int decimals = 3) { return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("–"); };
    // The saved intervals hold for the saved threshold; with two classes the figures that
    // depend on the threshold lose theirs once the slider moves (ROC-AUC, PR-AUC, ECE keep them).
    // Runs keep intervals for validation and test only; the train split shows none.
    static const std::optional<MetricIntervals> none;
    const std::optional<MetricIntervals>& ci = split() == 2 ? m_testCi : split() == 1 ? m_validationCi : none;
    const bool atSavedThreshold = k != 2 || std::abs(m_threshold - 0.5) < 1e-9;
    bool hidden = false;
    auto interval = [&](const Interval& i, bool dependsOnThreshold) {
        if (!ci || !i.valid())
            return QString();
        if (dependsOnThreshold && !atSavedThreshold) {
            hidden = true;
            return QString();
        }
        return QStringLiteral("<span style=\"color:#666\">[%1, %2]</span>").arg(fmt(i.low), fmt(i.high));
    };
    QString rows = tr("<tr><td>samples</td><td align=right><b>%1</b></td><td>%2</td></tr>")
                       .arg(m.count)
                       .arg(ci ? tr("<span style=\"color:#666\">%1% CI</span>").arg(ci->level * 100, 0, 'f', 0) : QString());
    for (const MetricField& f : metricFields()) {
        rows += QStringLiteral("<tr><td>%1</td><td align=right><b>%2</b></td><td>%3</td></tr>")
                    .arg(tr(f.label), fmt(m.*f.value, f.decimals), ci ? interval((*ci).*f.interval, f.thresholdDependent) : QString());
    }
    // The note is there whenever intervals are, in three lines either way: appearing only once
    // the slider moved, it made the layout jump under the pointer and squeezed the ROC chart.
    QString note;
    if (ci && k == 2)
        note = hidden ? tr("<br><span style=\"color:#666\">Intervals of accuracy, precision,<br>recall and F1 hold at "
                           "0.500<br>(metrics.json); Compare and eval<br>use the saved threshold.</span>")
                      : tr("<br><span style=\"color:#666\">Intervals: %1% bootstrap, at<br>threshold 0.500 "
                           "(metrics.json);<br>Compare and eval use<br>the saved threshold.</span>")
                            .arg(ci->level * 100, 0, 'f', 0);
    m_metrics->setText(QStringLiteral("<table cellspacing=3>%1</table>%2").arg(rows, note));
    std::vector<std::string> classNames;
    for (const QString& n : names)
        classNames.push_back(n.toStdString());
    const QString missing = QString::fromStdString(
        missingClassNote(m, classNames, tr("the %1 split").arg(splitName()).toStdString()));
    m_classNote->setText(missing.isEmpty() ? QString() : missing.left(1).toUpper() + missing.mid(1) + QLatin1Char('.'));
    m_classNote->setVisible(!missing.isEmpty());
    // An exported chart says what it is of: which run, which rows, and its figure.
    const QString of = tr("%1 · %2 split, %3 rows").arg(m_title->fullText(), m_splitBox->currentText()).arg(m.count);
    setExportCaption(m_confusion, k == 2 ? tr("%1 · threshold %2").arg(of, QString::number(m_threshold, 'f', 3)) : of);
    setExportCaption(m_roc, tr("%1 · ROC-AUC %2").arg(of, fmt(m.rocAuc, 4)));
    setExportCaption(m_pr, tr("%1 · PR-AUC %2").arg(of, fmt(m.prAuc, 4)));
    setExportCaption(m_calibration, tr("%1 · ECE %2").arg(of, fmt(m.ece, 4)));
    // Exports of different runs and splits suggest different files.
    const QString runAndSplit = m_title->fullText() + QLatin1Char(' ') + m_splitBox->currentText();
    setExportName(m_confusion, QStringLiteral("confusion ") + runAndSplit);
    setExportName(m_roc, QStringLiteral("roc ") + runAndSplit);
    setExportName(m_pr, QStringLiteral("pr ") + runAndSplit);
    setExportName(m_calibration, QStringLiteral("reliability ") + runAndSplit);
    if (k == 2) {
        const OperatingPoint at = operatingPoint(m);
        m_rocMarker->replace(QList<QPointF>{QPointF(at.falsePositiveRate, at.truePositiveRate)});
        m_prMarker->replace(QList<QPointF>{QPointF(at.truePositiveRate, at.precision)});
    }
}

} // namespace headbench
