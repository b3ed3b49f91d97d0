#include "RunCompareView.h"
#include "ElidedLabel.h"

#include <headbench/eval/Bootstrap.h>
#include <headbench/core/Plural.h>
#include "ChartView.h"
#include "CodeViewer.h"
#include "ConfusionMatrixView.h"
#include <headbench/eval/Metrics.h>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace headbench {
namespace {

constexpr int IntervalRole = RunCompareView::IntervalRole;
constexpr int BestRole = RunCompareView::BestRole;

/// Draws a metric cell as "figure  [low, high]": the item's text stays the bare figure (what
/// sorting, copying and tests read), the interval is appended for display only.
class IntervalDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        const QString interval = index.data(IntervalRole).toString();
        if (!interval.isEmpty())
            option->text += QStringLiteral("  ") + interval;
    }
};

QColor runColor(int i)
{
    static const QColor palette[] = {QColor(0x15, 0x65, 0xc0), QColor(0xe6, 0x51, 0x00), QColor(0x2e, 0x7d, 0x32),
                                     QColor(0x6a, 0x1b, 0x9a), QColor(0xc6, 0x28, 0x28), QColor(0x00, 0x83, 0x8f),
                                     QColor(0x9e, 0x9d, 0x24), QColor(0x4e, 0x34, 0x2e)};
    return palette[i % 8];
}

QString runLabel(const ComparedRun& r, int i)
{
    return QStringLiteral("%1. %2").arg(i + 1).arg(QString::fromStdString(r.record.name));
}

/// Clicking a legend entry hides or shows its series; the entry stays, dimmed.
void makeLegendToggle(QChart* chart)
{
    for (QLegendMarker* marker : chart->legend()->markers())
        QObject::connect(marker, &QLegendMarker::clicked, marker, [marker] {
            QAbstractSeries* series = marker->series();
            series->setVisible(!series->isVisible());
            marker->setVisible(true);
            QColor label = marker->labelBrush().color();
            label.setAlphaF(series->isVisible() ? 1.0 : 0.4);
            marker->setLabelBrush(label);
        });
}

void resetChart(ChartView* view, const QString& title)
{
    QChart* c = view->chart();
    c->removeAllSeries();
    for (QAbstractAxis* axis : c->axes()) {
        c->removeAxis(axis); // gives the axis back to us: Qt does not delete it
        delete axis;
    }
    c->setTitle(title);
}

/// The paired differences as a small table: metric, run 2 − run 1, its interval.
QString pairedDifferencesHtml(const PairedDifferences& d)
{
    QString rows;
    for (const MetricField& f : metricFields()) {
        const PairedDifference& p = d.*f.paired;
        if (!std::isfinite(p.diff))
            continue;
        const bool excludesZero = p.ci.valid() && (p.ci.low > 0 || p.ci.high < 0);
        rows += QStringLiteral("<tr><td>%1</td><td align=right>%2</td><td>%3</td><td>%4</td></tr>")
                    .arg(QObject::tr(f.label))
                    .arg(p.diff, 0, 'f', 4)
                    .arg(p.ci.valid() ? QStringLiteral("[%1, %2]").arg(p.ci.low, 0, 'f', 4).arg(p.ci.high, 0, 'f', 4) : QString())
                    .arg(excludesZero ? QObject::tr("<b>excludes 0</b>") : QString());
    }
    return QObject::tr("<br><b>Paired differences</b> (run 2 − run 1 on the same %1 samples; %2% paired-bootstrap "
                       "interval, %3 resamples of the rows of both runs together):"
                       "<table cellspacing=0 cellpadding=2><tr><th align=left>metric</th><th>difference</th><th>interval</th><th></th></tr>"
                       "%4</table>")
        .arg(d.samples)
        .arg(d.level * 100, 0, 'f', 0)
        .arg(d.resamples)
        .arg(rows);
}

} // namespace

RunCompareView::RunCompareView(QWidget* parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget)
    , m_metrics(new QTableWidget)
    , m_loss(new ChartView)
    , m_f1(new ChartView)
    , m_differences(new QTableWidget)
    , m_confusionBox(new QWidget)
    , m_confusionLayout(new QHBoxLayout(m_confusionBox))
    , m_roc(new ChartView)
    , m_pr(new ChartView)
    , m_mcnemar(new QLabel)
    , m_dataWarning(new QLabel)
    , m_emptyHint(new QLabel)
    , m_disagreements(new QTableWidget)
    , m_code(new CodeViewer)
{
    for (QTableWidget* t : {m_metrics, m_differences, m_disagreements}) {
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setAlternatingRowColors(true);
        t->horizontalHeader()->setStretchLastSection(true);
        t->horizontalHeader()->setTextElideMode(Qt::ElideRight); // run names: "…", whole in the tooltip
    }
    m_disagreements->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_disagreements->setSelectionMode(QAbstractItemView::SingleSelection);
    m_disagreements->verticalHeader()->setVisible(false);
    m_mcnemar->setWordWrap(true);
    m_mcnemar->setTextFormat(Qt::RichText);

    auto* curves = new QWidget;
    auto* curvesLayout = new QHBoxLayout(curves);
    curvesLayout->addWidget(m_loss);
    curvesLayout->addWidget(m_f1);
    auto* rocPr = new QWidget;
    auto* rocPrLayout = new QHBoxLayout(rocPr);
    rocPrLayout->addWidget(m_roc);
    rocPrLayout->addWidget(m_pr);
    auto* disagree = new QWidget;
    auto* disagreeLayout = new QVBoxLayout(disagree);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_disagreements);
    split->addWidget(m_code);
    disagreeLayout->addWidget(m_mcnemar);
    disagreeLayout->addWidget(split, 1);

    m_metrics->setItemDelegate(new IntervalDelegate(m_metrics));
    auto* metricsTab = new QWidget;
    auto* metricsLayout = new QVBoxLayout(metricsTab);
    metricsLayout->setContentsMargins(0, 0, 0, 0);
    m_dataWarning->setObjectName(QStringLiteral("compareDataWarning"));
    m_dataWarning->setWordWrap(true);
    m_dataWarning->setTextFormat(Qt::PlainText);
    m_dataWarning->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; padding: 6px; }"));
    m_dataWarning->setVisible(false);
    metricsLayout->addWidget(m_dataWarning);
    metricsLayout->addWidget(m_metrics, 1);
    auto* legend = new QLabel(tr("[low, high]: 95% bootstrap interval (1,000 resamples of the split's rows). "
                                 "<b>Bold</b>: the best figure of a row (the highest; the lowest for loss, ECE, parameters and time). <span style=\"background:#c8e6c9\">Green</span>: "
                                 "best, its interval overlapping no other run's (rows without intervals: the best figure)."));
    legend->setWordWrap(true);
    legend->setTextFormat(Qt::RichText);
    metricsLayout->addWidget(legend);
    m_tabs->addTab(metricsTab, tr("Metrics"));
    m_tabs->addTab(curves, tr("Curves"));
    m_tabs->addTab(m_differences, tr("Differences"));
    // One matrix per run side by side: with many runs they scroll, rather than their widths
    // adding up to the window's minimum (four runs made it wider than a 1280 screen).
    auto* confusionScroll = new QScrollArea;
    confusionScroll->setWidgetResizable(true);
    confusionScroll->setFrameShape(QFrame::NoFrame);
    confusionScroll->setWidget(m_confusionBox);
    m_tabs->addTab(confusionScroll, tr("Confusion"));
    m_tabs->addTab(rocPr, tr("ROC && PR"));
    m_tabs->addTab(disagree, tr("Disagreements"));
    // Before any comparison: where to start, instead of an empty table.
    m_emptyHint->setObjectName(QStringLiteral("compareEmptyHint"));
    m_emptyHint->setText(tr("No runs compared yet.\n\nSelect two or more runs in the Runs list (Ctrl+click or "
                            "Shift+click), then press Compare (Ctrl+D)."));
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    m_emptyHint->setMargin(24);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_emptyHint, 1);
    layout->addWidget(m_tabs, 1);

    connect(m_disagreements, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row < 0 || m_texts.empty())
            return;
        const auto sample = m_disagreements->item(row, 0)->data(Qt::UserRole).toLongLong();
        if (sample >= 0 && sample < static_cast<qint64>(m_texts.size()))
            m_code->setCode(QString::fromStdString(m_texts[static_cast<std::size_t>(sample)]));
    });
    setComparison({});
}

void RunCompareView::setComparison(RunComparison comparison, TextColumn texts)
{
    m_runs = std::move(comparison.runs);
    m_comparison = std::move(comparison);
    m_comparison.runs.clear();
    m_texts = std::move(texts);
    fillMetrics();
    fillCurves();
    fillDifferences();
    fillConfusions();
    fillRocPr();
    fillDisagreements();
    m_emptyHint->setVisible(m_runs.empty());
    m_tabs->setVisible(!m_runs.empty());
}

QStringList RunCompareView::runNames() const
{
    QStringList names;
    for (const ComparedRun& run : m_runs)
        names << QString::fromStdString(run.record.name);
    return names;
}

QString RunCompareView::bestRunOf(const QString& metricRow) const
{
    for (int r = 0; r < m_metrics->rowCount(); ++r)
        if (m_metrics->verticalHeaderItem(r)->text() == metricRow)
            for (int c = 0; c < m_metrics->columnCount(); ++c)
                if (m_metrics->item(r, c)->data(BestRole).toBool())
                    return m_metrics->horizontalHeaderItem(c)->text();
    return {};
}

QString RunCompareView::differentData() const
{
    if (m_runs.size() < 2 || m_comparison.sameData)
        return {};
    QStringList data;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const RunRecord& r = m_runs[i].record;
        data << tr("%1: %2, %3")
                    .arg(runLabel(m_runs[i], static_cast<int>(i)),
                         QString::fromStdString(r.featuresPath).section(QLatin1Char('/'), -1),
                         QString::fromStdString(plural(r.rows, "row")));
    }
    return tr("These runs were trained on different data (%1): their figures are not comparable, so none is marked best.")
        .arg(data.join(QStringLiteral("; ")));
}

void RunCompareView::fillMetrics()
{
    QStringList warnings;
    const QString mixed = differentData();
    if (!mixed.isEmpty())
        warnings << mixed;
    // A file that could not be read: its name and what is wrong here, its path in the tooltip.
    QStringList paths;
    for (const RunFileProblem& p : m_comparison.problems) {
        const QString file = QString::fromStdString(p.file);
        warnings << tr("%1 of '%2' %3: its %4 are left out.")
                        .arg(file.section(QLatin1Char('/'), -1), QString::fromStdString(p.run),
                             QString::fromStdString(p.problem), QString::fromStdString(p.leftOut));
        paths << file;
    }
    m_dataWarning->setToolTip(paths.join(QLatin1Char('\n')));
    m_dataWarning->setText(warnings.join(QLatin1Char('\n')));
    m_dataWarning->setVisible(!warnings.isEmpty());
    struct Row {
        QString name;
        std::function<double(const ComparedRun&)> value;
        bool higherIsBetter;
        int decimals;
        std::function<Interval(const RunRecord&)> interval; ///< empty for rows without intervals
        std::function<double(const ComparedRun&)> sd;       ///< shown as "mean ± sd" (cross-validation rows)
    };
    std::vector<Row> rows;
    for (const auto& [split, getter] : {std::pair<QString, const Metrics RunRecord::*>{tr("val"), &RunRecord::validation},
                                        std::pair<QString, const Metrics RunRecord::*>{tr("test"), &RunRecord::test}})
        for (const MetricField& f : metricFields()) {
            const auto m = getter;
            const auto value = f.value;
            const auto interval = f.interval;
            rows.push_back({split + QLatin1Char(' ') + tr(f.label),
                            [m, value](const ComparedRun& c) { return (c.record.*m).*value; }, f.higherIsBetter, f.decimals,
                            [m, interval](const RunRecord& r) { return (r.*m).ci ? (*(r.*m).ci).*interval : Interval{}; },
                            {}});
        }
    // Runs trained with cross-validation: the fold mean ± sd of each metric (cv.json), beside
    // the single split's figures.
    const bool anyCv = std::any_of(m_runs.begin(), m_runs.end(), [](const ComparedRun& c) { return c.crossValidation.has_value(); });
    if (anyCv)
        for (const MetricField& f : metricFields()) {
            const auto value = f.value;
            const auto nan = std::numeric_limits<double>::quiet_NaN();
            rows.push_back({tr("CV %1 (mean ± sd)").arg(tr(f.label)),
                            [value, nan](const ComparedRun& c) { return c.crossValidation ? c.crossValidation->mean.*value : nan; },
                            f.higherIsBetter, f.decimals, {},
                            [value, nan](const ComparedRun& c) { return c.crossValidation ? c.crossValidation->sd.*value : nan; }});
        }
    rows.push_back({tr("parameters"), [](const ComparedRun& c) { return static_cast<double>(c.record.parameters); }, false, 0, {}, {}});
    rows.push_back({tr("training time (s)"), [](const ComparedRun& c) { return c.record.seconds; }, false, 1, {}, {}});
    m_metrics->clear();
    m_metrics->setRowCount(static_cast<int>(rows.size()));
    m_metrics->setColumnCount(static_cast<int>(m_runs.size()));
    QStringList headers;
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        headers << runLabel(m_runs[i], static_cast<int>(i)) +
                       (m_runs[i].savedThreshold ? tr("\nat its saved threshold %1").arg(m_runs[i].threshold) : QString());
    m_metrics->setHorizontalHeaderLabels(headers);
    for (int c = 0; c < m_metrics->columnCount(); ++c)
        m_metrics->horizontalHeaderItem(c)->setToolTip(headers[c]);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        m_metrics->setVerticalHeaderItem(static_cast<int>(r), new QTableWidgetItem(rows[r].name));
        int best = -1;
        double bestValue = 0;
        std::vector<Interval> intervals(m_runs.size());
        for (std::size_t c = 0; c < m_runs.size(); ++c) {
            const double v = rows[r].value(m_runs[c]);
            QString text = std::isfinite(v) ? QString::number(v, 'f', rows[r].decimals) : QStringLiteral("–");
            if (const double sd = rows[r].sd ? rows[r].sd(m_runs[c]) : NAN; std::isfinite(v) && std::isfinite(sd))
                text += QStringLiteral(" ± %1").arg(sd, 0, 'f', rows[r].decimals);
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (rows[r].interval)
                intervals[c] = rows[r].interval(m_runs[c].record);
            if (intervals[c].valid())
                item->setData(IntervalRole, QStringLiteral("[%1, %2]").arg(intervals[c].low, 0, 'f', rows[r].decimals)
                                                .arg(intervals[c].high, 0, 'f', rows[r].decimals));
            m_metrics->setItem(static_cast<int>(r), static_cast<int>(c), item);
            if (std::isfinite(v) && (best < 0 || (rows[r].higherIsBetter ? v > bestValue : v < bestValue))) {
                best = static_cast<int>(c);
                bestValue = v;
            }
        }
        // Every run that shows the best figure is bold; a row where all agree, or where only one run
        // has a figure (cross-validation rows beside runs without it), is not.
        const QString bestText = best >= 0 ? m_metrics->item(static_cast<int>(r), best)->text() : QString();
        int ties = 0;
        for (int c = 0; c < m_metrics->columnCount(); ++c)
            ties += m_metrics->item(static_cast<int>(r), c)->text() == bestText;
        const auto figures = std::count_if(m_runs.begin(), m_runs.end(),
                                           [&](const ComparedRun& run) { return std::isfinite(rows[r].value(run)); });
        if (best < 0 || figures < 2 || ties == m_metrics->columnCount() || !mixed.isEmpty())
            continue;
        // "Best" needs more than the highest figure when there are intervals: the leader's must
        // overlap no other run's. Rows with no interval at all (parameters, runs saved before
        // intervals existed) keep the plain best figure; with only some runs holding one, no
        // run is called best.
        std::size_t withInterval = 0;
        for (std::size_t c = 0; c < m_runs.size(); ++c)
            withInterval += intervals[c].valid() || !std::isfinite(rows[r].value(m_runs[c]));
        const bool anyInterval = std::any_of(intervals.begin(), intervals.end(), [](const Interval& i) { return i.valid(); });
        bool clearBest = false;
        QString why;
        if (!anyInterval) {
            clearBest = true;
        } else if (ties == 1 && withInterval == m_runs.size()) {
            clearBest = true;
            for (std::size_t c = 0; c < m_runs.size(); ++c)
                if (static_cast<int>(c) != best && intervals[c].valid() && intervals[c].overlaps(intervals[best])) {
                    clearBest = false;
                    why = tr("best figure, but its 95% interval overlaps that of %1: no clear best")
                              .arg(runLabel(m_runs[c], static_cast<int>(c)));
                    break;
                }
        } else {
            why = ties > 1 ? tr("best figure, shared") : tr("best figure; not every run has an interval");
        }
        for (int c = 0; c < m_metrics->columnCount(); ++c) {
            QTableWidgetItem* item = m_metrics->item(static_cast<int>(r), c);
            if (item->text() != bestText)
                continue;
            QFont bold = item->font();
            bold.setBold(true);
            item->setFont(bold);
            if (clearBest) {
                item->setBackground(QColor(0xc8, 0xe6, 0xc9));
                item->setToolTip(tr("best"));
                item->setData(BestRole, true);
            } else {
                item->setToolTip(why);
            }
        }
    }
    // Columns as wide as their figures and intervals; a long run name is cut ("…", the whole
    // name in the header's tooltip) rather than making one column take the view.
    m_metrics->resizeColumnsToContents();
    const int widest = std::max(fontMetrics().horizontalAdvance(QStringLiteral("0.000 ± 0.000 [0.000, 0.000]")) + 24, 220);
    for (int c = 0; c < m_metrics->columnCount(); ++c)
        m_metrics->setColumnWidth(c, std::min(m_metrics->columnWidth(c), widest));
}

void RunCompareView::fillCurves()
{
    resetChart(m_loss, tr("Validation loss"));
    resetChart(m_f1, tr("Validation F1"));
    for (ChartView* view : {m_loss, m_f1}) {
        auto* x = new QValueAxis;
        x->setTitleText(tr("epoch"));
        x->setLabelFormat(QStringLiteral("%d"));
        auto* y = new QValueAxis;
        view->chart()->addAxis(x, Qt::AlignBottom);
        view->chart()->addAxis(y, Qt::AlignLeft);
        double maxEpoch = 2, lo = INFINITY, hi = -INFINITY;
        for (std::size_t i = 0; i < m_runs.size(); ++i) {
            auto* series = new QLineSeries;
            series->setName(runLabel(m_runs[i], static_cast<int>(i)));
            series->setPen(QPen(runColor(static_cast<int>(i)), 2));
            QList<QPointF> points;
            for (const auto& e : m_runs[i].record.history) {
                const double v = view == m_loss ? e.valLoss : e.valF1;
                if (!std::isfinite(v))
                    continue;
                points.append(QPointF(e.epoch, v));
                maxEpoch = std::max<double>(maxEpoch, e.epoch);
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            series->replace(points);
            view->chart()->addSeries(series);
            series->attachAxis(x);
            series->attachAxis(y);
        }
        x->setRange(1, maxEpoch);
        if (std::isfinite(lo)) {
            y->setRange(view == m_f1 ? std::max(0.0, lo - 0.05) : 0.0, view == m_f1 ? std::min(1.0, hi + 0.05) : hi * 1.1);
            y->applyNiceNumbers();
        }
        makeLegendToggle(view->chart());
    }
}

void RunCompareView::fillDifferences()
{
    const auto& diffs = m_comparison.differences;
    m_differences->clear();
    m_differences->setRowCount(static_cast<int>(diffs.size()));
    m_differences->setColumnCount(static_cast<int>(m_runs.size()));
    QStringList headers;
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        headers << runLabel(m_runs[i], static_cast<int>(i));
    m_differences->setHorizontalHeaderLabels(headers);
    for (std::size_t r = 0; r < diffs.size(); ++r) {
        m_differences->setVerticalHeaderItem(static_cast<int>(r), new QTableWidgetItem(QString::fromStdString(diffs[r].field)));
        for (std::size_t c = 0; c < diffs[r].values.size(); ++c)
            m_differences->setItem(static_cast<int>(r), static_cast<int>(c),
                                   new QTableWidgetItem(QString::fromStdString(diffs[r].values[c])));
    }
    if (diffs.empty() && m_runs.size() > 1) {
        m_differences->setRowCount(1);
        m_differences->setVerticalHeaderItem(0, new QTableWidgetItem(tr("(none)")));
        m_differences->setItem(0, 0, new QTableWidgetItem(tr("The runs share one head spec and training setting.")));
    }
    m_differences->resizeColumnsToContents();
}

void RunCompareView::fillConfusions()
{
    while (QLayoutItem* item = m_confusionLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        auto* box = new QWidget;
        auto* layout = new QVBoxLayout(box);
        // The run's name ends in "…" when the boxes are narrow, rather than widening the window.
        auto* title = new ElidedLabel;
        title->setFullText(runLabel(m_runs[i], static_cast<int>(i)));
        QFont bold = title->font();
        bold.setBold(true);
        title->setFont(bold);
        title->setAlignment(Qt::AlignCenter);
        auto* split = new QLabel(m_runs[i].savedThreshold ? tr("test split, at its saved threshold %1").arg(m_runs[i].threshold)
                                                          : tr("test split"));
        split->setAlignment(Qt::AlignCenter);
        auto* cm = new ConfusionMatrixView;
        QStringList names;
        for (const auto& n : m_runs[i].record.labelNames)
            names << QString::fromStdString(n);
        cm->setMatrix(m_runs[i].record.test.confusion, names);
        layout->addWidget(title);
        layout->addWidget(split);
        layout->addWidget(cm, 1);
        m_confusionLayout->addWidget(box);
    }
}

void RunCompareView::fillRocPr()
{
    resetChart(m_roc, tr("ROC (test)"));
    resetChart(m_pr, tr("Precision-recall (test)"));
    const bool binary = !m_runs.empty() && std::all_of(m_runs.begin(), m_runs.end(), [](const ComparedRun& r) {
        return r.predictions.numClasses == 2;
    });
    for (ChartView* view : {m_roc, m_pr}) {
        auto* x = new QValueAxis;
        auto* y = new QValueAxis;
        x->setRange(0, 1);
        y->setRange(0, 1);
        x->setTitleText(view == m_roc ? tr("false positive rate") : tr("recall"));
        y->setTitleText(view == m_roc ? tr("true positive rate") : tr("precision"));
        view->chart()->addAxis(x, Qt::AlignBottom);
        view->chart()->addAxis(y, Qt::AlignLeft);
        if (!binary)
            continue;
        for (std::size_t i = 0; i < m_runs.size(); ++i) {
            auto* series = new QLineSeries;
            series->setName(runLabel(m_runs[i], static_cast<int>(i)));
            series->setPen(QPen(runColor(static_cast<int>(i)), 2));
            QList<QPointF> points;
            const auto& curve = view == m_roc ? m_runs[i].testRoc : m_runs[i].testPr;
            const std::size_t stride = std::max<std::size_t>(1, curve.size() / 600);
            for (std::size_t k = 0; k < curve.size(); k += stride)
                points.append(QPointF(curve[k].x, curve[k].y));
            if (!curve.empty())
                points.append(QPointF(curve.back().x, curve.back().y));
            series->replace(points);
            view->chart()->addSeries(series);
            series->attachAxis(x);
            series->attachAxis(y);
        }
        makeLegendToggle(view->chart());
    }
}

void RunCompareView::fillDisagreements()
{
    m_disagreements->clear();
    m_disagreements->setRowCount(0);
    m_code->setCode(QString());
    if (m_runs.size() != 2) {
        m_mcnemar->setText(tr("McNemar's test and the disagreements need exactly two runs; %1 are selected.").arg(m_runs.size()));
        m_disagreements->setColumnCount(0);
        return;
    }
    const auto& a = m_runs[0].predictions;
    const auto& b = m_runs[1].predictions;
    if (!m_comparison.pairingProblem.empty() || !m_comparison.mcnemar) {
        m_mcnemar->setText(tr("These runs cannot be paired: %1.")
                               .arg(QString::fromStdString(m_comparison.pairingProblem).toHtmlEscaped()));
        return;
    }
    const PairedOutcomes& paired = m_comparison.outcomes;
    const McNemarResult& t = *m_comparison.mcnemar;
    const QString splitName = m_comparison.pairedSplit == "test" ? tr("test") : tr("validation");
    QString thresholds;
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].savedThreshold)
            thresholds += tr(" Run %1 at its saved threshold %2.").arg(i + 1).arg(m_runs[i].threshold);
    QString text = tr("<b>McNemar's test</b> on the %1 split (%2 samples): run 1 alone right on <b>%3</b>, run 2 alone "
                      "right on <b>%4</b>; statistic %5, <b>p = %6</b> (%7). %8%9")
                       .arg(splitName)
                       .arg(paired.rows.size())
                       .arg(t.onlyFirstCorrect)
                       .arg(t.onlySecondCorrect)
                       .arg(t.statistic, 0, 'g', 4)
                       .arg(t.pValue, 0, 'g', 4)
                       .arg(t.exact ? tr("exact binomial") : tr("chi-squared, continuity-corrected"))
                       .arg(t.pValue < 0.05 ? tr("The difference is significant at 5%.")
                                            : tr("No significant difference at 5%."))
                       .arg(thresholds);
    if (m_comparison.paired)
        text += pairedDifferencesHtml(*m_comparison.paired);
    m_mcnemar->setText(text);
    const QStringList headers = {tr("id"), tr("true"), tr("run 1 predicts"), tr("run 1 p(true)"), tr("run 2 predicts"),
                                 tr("run 2 p(true)")};
    m_disagreements->setColumnCount(static_cast<int>(headers.size()));
    m_disagreements->setHorizontalHeaderLabels(headers);
    const auto& names = m_runs[0].record.labelNames;
    auto name = [&](int k) { return k < static_cast<int>(names.size()) ? QString::fromStdString(names[k]) : QString::number(k); };
    int row = 0;
    for (std::size_t i = 0; i < paired.rows.size(); ++i) {
        if (paired.firstCorrect[i] == paired.secondCorrect[i])
            continue;
        const auto s = static_cast<std::size_t>(paired.rows[i]);
        const auto sb = static_cast<std::size_t>(paired.secondRows[i]);
        const int label = a.labels[s];
        const int k = a.numClasses;
        m_disagreements->insertRow(row);
        auto* id = new QTableWidgetItem(QString::fromStdString(a.ids[s]));
        id->setData(Qt::UserRole, static_cast<qlonglong>(s));
        m_disagreements->setItem(row, 0, id);
        m_disagreements->setItem(row, 1, new QTableWidgetItem(name(label)));
        m_disagreements->setItem(row, 2, new QTableWidgetItem(name(paired.firstPredicted[i])));
        m_disagreements->setItem(row, 3, new QTableWidgetItem(QString::number(a.probabilities[s * k + label], 'f', 3)));
        m_disagreements->setItem(row, 4, new QTableWidgetItem(name(paired.secondPredicted[i])));
        m_disagreements->setItem(row, 5, new QTableWidgetItem(QString::number(b.probabilities[sb * k + label], 'f', 3)));
        for (int c : {2, 4}) {
            const bool right = m_disagreements->item(row, c)->text() == name(label);
            m_disagreements->item(row, c)->setForeground(right ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        }
        ++row;
    }
    m_disagreements->resizeColumnsToContents();
    if (m_texts.empty())
        m_code->setCode(tr("// The code of the samples is shown when the runs' feature file with /text is loaded."));
}

} // namespace headbench
