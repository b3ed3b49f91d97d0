// Confidence intervals in the window: beside the evaluation figures, beside each compared run's
// figures, and "best" only for a run whose interval overlaps no other's. Offscreen.
#include "EvaluationView.h"
#include "RunCompareView.h"

#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Metrics.h>

#include <QLabel>
#include <QSlider>
#include <QTableWidget>
#include <QtTest>

#include <random>

using namespace headbench;

class IntervalViewsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void evaluationShowsTheSavedIntervals();
    void compareMarksBestOnlyWithoutOverlap();
    void compareShowsPairedDifferences();
};

namespace {

std::shared_ptr<SampleData> samples(int n, std::uint64_t seed, float signal)
{
    auto d = std::make_shared<SampleData>();
    d->numClasses = 2;
    d->labelNames = {"safe", "vulnerable"};
    std::mt19937 rng(static_cast<unsigned>(seed));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int i = 0; i < n; ++i) {
        const int label = i % 3 == 0 ? 1 : 0;
        const float p1 = std::clamp(signal * label + (1 - signal) * u(rng), 0.0f, 1.0f);
        d->ids.push_back("s" + std::to_string(i));
        d->labels.push_back(label);
        d->probabilities.push_back(1 - p1);
        d->probabilities.push_back(p1);
    }
    return d;
}

QString shown(const Interval& i)
{
    return QStringLiteral("[%1, %2]").arg(i.low, 0, 'f', 3).arg(i.high, 0, 'f', 3);
}

/// A compared run whose test split is `data` (every row in the test split).
ComparedRun comparedRun(const std::string& name, const SampleData& data, bool withIntervals)
{
    ComparedRun r;
    r.record.name = name;
    r.record.labelNames = data.labelNames;
    r.record.test = computeMetrics(data.labels, data.probabilities, 2);
    r.record.validation = r.record.test;
    if (withIntervals)
        r.record.test.ci = r.record.validation.ci = bootstrapIntervals(data.labels, data.probabilities, 2);
    r.predictions.ids = data.ids;
    r.predictions.labels = data.labels;
    r.predictions.probabilities = data.probabilities;
    r.predictions.numClasses = 2;
    r.predictions.split.assign(data.labels.size(), kTest);
    return r;
}

int rowOf(QTableWidget* t, const QString& name)
{
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->verticalHeaderItem(r)->text() == name)
            return r;
    return -1;
}

} // namespace

void IntervalViewsTest::evaluationShowsTheSavedIntervals()
{
    auto data = samples(600, 3, 0.35f);
    std::vector<std::uint8_t> split(600, 2);
    const MetricIntervals ci = bootstrapIntervals(data->labels, data->probabilities, 2);
    EvaluationView view;
    view.setRun(data, split, QStringLiteral("run"));
    view.setSplit(2);
    QVERIFY(!view.metricsText().contains(QStringLiteral("CI"))); // none given: a run saved before intervals
    view.setIntervals(std::nullopt, ci);
    for (const MetricField& f : metricFields())
        QVERIFY2(view.metricsText().contains(shown(ci.*f.interval)), f.json);
    // Away from the saved threshold the threshold's figures lose their intervals, the curves' keep theirs.
    // The note under them has as many lines either way: one appearing only then made the layout
    // jump under the pointer.
    const auto lines = [&view] { return view.metricsText().count(QStringLiteral("<br>")); };
    const auto linesAtSaved = lines();
    view.thresholdSlider()->setValue(700);
    QCOMPARE(lines(), linesAtSaved);
    QVERIFY(!view.metricsText().contains(shown(ci.f1)));
    QVERIFY(view.metricsText().contains(shown(ci.rocAuc)));
    QVERIFY(view.metricsText().contains(QStringLiteral("saved threshold")));
    view.thresholdSlider()->setValue(500);
    QVERIFY(view.metricsText().contains(shown(ci.f1)));
    // The validation split has no intervals here; another run drops them.
    view.setSplit(1);
    QVERIFY(!view.metricsText().contains(shown(ci.rocAuc)));
    view.setSplit(2);
    view.setRun(data, split, QStringLiteral("another run"));
    QVERIFY(!view.metricsText().contains(shown(ci.rocAuc)));
}

void IntervalViewsTest::compareMarksBestOnlyWithoutOverlap()
{
    // Two close heads on 300 rows: the intervals overlap, so the higher F1 is bold, not best.
    const auto weak = samples(300, 1, 0.30f), close = samples(300, 2, 0.33f), strong = samples(300, 3, 0.75f);
    RunCompareView view;
    view.setComparison(compareLoadedRuns({comparedRun("a", *weak, true), comparedRun("b", *close, true)}));
    QTableWidget* t = view.metricsTable();
    const int f1 = rowOf(t, QStringLiteral("test F1"));
    QVERIFY(f1 >= 0);
    const Metrics a = computeMetrics(weak->labels, weak->probabilities, 2), b = computeMetrics(close->labels, close->probabilities, 2);
    QVERIFY(a.f1 != b.f1);
    const MetricIntervals ia = bootstrapIntervals(weak->labels, weak->probabilities, 2);
    const MetricIntervals ib = bootstrapIntervals(close->labels, close->probabilities, 2);
    QVERIFY(ia.f1.overlaps(ib.f1));
    const int leader = b.f1 > a.f1 ? 1 : 0;
    QVERIFY(t->item(f1, leader)->font().bold());
    QCOMPARE(view.bestRunOf(QStringLiteral("test F1")), QString());
    QVERIFY(t->item(f1, leader)->toolTip().contains(QStringLiteral("overlaps")));
    // The interval is shown beside the figure, which stays the bare figure.
    QCOMPARE(t->item(f1, 0)->text(), QString::number(a.f1, 'f', 3));
    QCOMPARE(t->item(f1, 0)->data(RunCompareView::IntervalRole).toString(), shown(ia.f1));

    // A clearly stronger head: intervals apart, so it is best.
    view.setComparison(compareLoadedRuns({comparedRun("a", *weak, true), comparedRun("s", *strong, true)}));
    QCOMPARE(view.bestRunOf(QStringLiteral("test F1")), t->horizontalHeaderItem(1)->text());
    QCOMPARE(view.bestRunOf(QStringLiteral("test ROC-AUC")), t->horizontalHeaderItem(1)->text());
    QVERIFY(t->item(rowOf(t, QStringLiteral("test F1")), 1)->data(RunCompareView::BestRole).toBool());

    // Runs saved before intervals existed: no intervals shown, the best figure marked as before.
    view.setComparison(compareLoadedRuns({comparedRun("a", *weak, false), comparedRun("b", *close, false)}));
    QCOMPARE(t->item(f1, 0)->data(RunCompareView::IntervalRole).toString(), QString());
    QCOMPARE(view.bestRunOf(QStringLiteral("test F1")), t->horizontalHeaderItem(leader)->text());
}

void IntervalViewsTest::compareShowsPairedDifferences()
{
    const auto weak = samples(300, 1, 0.30f), strong = samples(300, 3, 0.75f);
    RunCompareView view;
    view.setComparison(compareLoadedRuns({comparedRun("a", *weak, true), comparedRun("s", *strong, true)}));
    const PairedDifferences d = pairedBootstrap(weak->labels, weak->probabilities, strong->probabilities, 2);
    // Computed by the backend with the comparison, shown below McNemar's test.
    QTRY_VERIFY(view.mcnemarLabel()->text().contains(QStringLiteral("Paired differences")));

    const QString text = view.mcnemarLabel()->text();
    QVERIFY(text.contains(QStringLiteral("McNemar")));
    QVERIFY(text.contains(QStringLiteral("Paired differences")));
    QVERIFY(text.contains(QString::number(d.f1.diff, 'f', 4)));
    QVERIFY(text.contains(QStringLiteral("[%1, %2]").arg(d.f1.ci.low, 0, 'f', 4).arg(d.f1.ci.high, 0, 'f', 4)));
}

QTEST_MAIN(IntervalViewsTest)
#include "IntervalViewsTest.moc"
