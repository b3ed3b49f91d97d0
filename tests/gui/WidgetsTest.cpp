// Tests of the reusable views, offscreen: designer, sample table, evaluation.
#include "CodeViewer.h"
#include "ConfusionMatrixView.h"
#include "EvaluationView.h"
#include "HeadDesignerPanel.h"
#include <headbench/eval/Metrics.h>
#include "SampleTableModel.h"
#include "SamplesPanel.h"
#include "SweepView.h"
#include "WidgetExport.h"
#include <headbench/train/Trainer.h>

#include "TestUtil.h"
#include "ChartView.h"
#include "LossChartView.h"

#include <QAbstractItemModelTester>
#include <QAreaSeries>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSlider>
#include <QSplitter>
#include <QHeaderView>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <headbench/core/Error.h>

#include <QMainWindow>
#include <QStatusBar>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QtTest>

using namespace headbench;

namespace {

/// Binary samples with spread-out probabilities, deterministic.
std::shared_ptr<SampleData> binarySamples(int n)
{
    auto d = std::make_shared<SampleData>();
    d->numClasses = 2;
    d->labelNames = {"safe", "vulnerable"};
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int i = 0; i < n; ++i) {
        const int label = i % 3 == 0 ? 1 : 0;
        float p1 = std::clamp(0.35f * label + 0.65f * u(rng), 0.0f, 1.0f);
        d->ids.push_back("s" + std::to_string(i));
        d->labels.push_back(label);
        d->probabilities.push_back(1 - p1);
        d->probabilities.push_back(p1);
        d->texts.push_back(i % 7 == 0 ? "strcpy(buf, src);" : "int x = 0;");
    }
    return d;
}

std::vector<std::int64_t> allRows(const SampleData& d)
{
    std::vector<std::int64_t> rows(static_cast<std::size_t>(d.rows()));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

} // namespace

class WidgetsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void designerProducesTheSpecTheBackendTrains();
    void designerFieldsIgnoreTheWheelUntilFocused();
    void anExportSaysWhereItWasSaved();
    void designerExplainsInvalidCombinations();
    void sampleModelsPassTheModelTester();
    void filtersSelectExactlyTheRightSamples();
    void samplesShowProbabilitiesFirstAndTheCodeAThird();
    void thresholdSliderChangesCountsAsTheBackendComputes();
    void clickingACellFiltersTheTable();
    void chartsAndMatrixExportAsPngAndSvg();
    void lossChartSwitchesToALogAxisAndBack();
    void aLogAxisOverANarrowRangeStillLabelsTicks();
    void anEmptyLossChartSaysWhatToDo();
    void exportingSamplesWithNoRunShownWritesNothing();
    void designerOffersTheConvergedLinearProbe();
    void sweepOverTrainFractionDrawsALearningCurveWithItsBand();
    void sweepTicksAreWholeForIntegerFields();
};

void WidgetsTest::designerProducesTheSpecTheBackendTrains()
{
    HeadDesignerPanel panel;
    panel.setDataShape(16, 2);
    panel.depthBox()->setValue(2);
    panel.widthsEdit()->setText(QStringLiteral("32, 8"));
    Q_EMIT panel.widthsEdit()->textEdited(panel.widthsEdit()->text());
    panel.activationBox()->setCurrentIndex(panel.activationBox()->findText(QStringLiteral("gelu")));
    panel.lossBox()->setCurrentIndex(panel.lossBox()->findData(static_cast<int>(Loss::Focal)));
    panel.dropoutBox()->setValue(0.25);
    panel.epochsBox()->setValue(4);

    const HeadSpec spec = panel.spec();
    QCOMPARE(spec.hidden, (std::vector<int>{32, 8}));
    QVERIFY(spec.activation == Activation::Gelu);
    QVERIFY(spec.loss == Loss::Focal);
    QCOMPARE(spec.dropout, 0.25);
    QCOMPARE(spec.epochs, 4);
    QVERIFY(panel.problems().isEmpty());
    QCOMPARE(panel.parameterCount(), parameterCount(spec, 16, 2));
    QVERIFY(panel.parameterLabel()->text().contains(QStringLiteral("2x32")) == false); // widths differ: "32-8"
    QVERIFY(panel.parameterLabel()->text().contains(QStringLiteral("32-8 gelu")));

    // The same spec round-trips through the controls, and the backend trains it as designed.
    HeadDesignerPanel other;
    other.setSpec(spec);
    QCOMPARE(QString::fromStdString(toJson(other.spec())), QString::fromStdString(toJson(spec)));
    const TrainResult r = trainHead(test::blobs(300, 16, 2, 3), spec);
    QCOMPARE(r.parameters, panel.parameterCount());
    QCOMPARE(static_cast<int>(r.history.size()), 4);

    // Depth follows: going to 3 layers repeats the last width.
    panel.depthBox()->setValue(3);
    QCOMPARE(panel.spec().hidden, (std::vector<int>{32, 8, 8}));
    panel.depthBox()->setValue(0);
    QVERIFY(panel.spec().hidden.empty());
    QVERIFY(!panel.widthsEdit()->isEnabled());
}

// Scrolling down the designer with the wheel changed label smoothing and the batch size on the
// way (the next run trained with them): an unfocused field now leaves the wheel to the panel.
void WidgetsTest::designerFieldsIgnoreTheWheelUntilFocused()
{
    HeadDesignerPanel panel;
    panel.show();
    panel.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&panel));
    auto wheelOver = [](QWidget* w) {
        QWheelEvent e(QPointF(5, 5), w->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
        QApplication::sendEvent(w, &e);
    };
    QSpinBox* epochs = panel.epochsBox();
    QComboBox* activation = panel.activationBox();
    const int epochsBefore = epochs->value(), activationBefore = activation->currentIndex();
    wheelOver(epochs);
    wheelOver(activation);
    QCOMPARE(epochs->value(), epochsBefore);
    QCOMPARE(activation->currentIndex(), activationBefore);

    epochs->setFocus();
    QTRY_VERIFY(epochs->hasFocus());
    wheelOver(epochs);
    QCOMPARE(epochs->value(), epochsBefore + epochs->singleStep());
}

void WidgetsTest::designerExplainsInvalidCombinations()
{
    HeadDesignerPanel panel;
    QSignalSpy validity(&panel, &HeadDesignerPanel::validityChanged);
    panel.setDataShape(16, 3);
    panel.lossBox()->setCurrentIndex(panel.lossBox()->findData(static_cast<int>(Loss::BceWithLogits)));
    QVERIFY(!panel.problems().isEmpty());
    QVERIFY(panel.problemLabel()->text().contains(QStringLiteral("BCE-with-logits needs exactly two classes")));
    QVERIFY(!validity.isEmpty());
    QCOMPARE(validity.last().at(0).toBool(), false);
    panel.lossBox()->setCurrentIndex(panel.lossBox()->findData(static_cast<int>(Loss::CrossEntropy)));
    QVERIFY(panel.problems().isEmpty());
    QCOMPARE(validity.last().at(0).toBool(), true);
    panel.widthsEdit()->setText(QStringLiteral("12, abc"));
    Q_EMIT panel.widthsEdit()->textEdited(panel.widthsEdit()->text());
    QVERIFY(panel.problemLabel()->text().contains(QStringLiteral("Widths must be whole numbers")));
}

void WidgetsTest::sampleModelsPassTheModelTester()
{
    SampleTableModel model;
    SampleFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester t1(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto data = binarySamples(500);
    model.setSamples(data, allRows(*data));
    QCOMPARE(model.rowCount(), 500);
    QCOMPARE(model.columnCount(), SampleTableModel::FirstProbabilityColumn + 2);
    proxy.setOnlyMisclassified(true);
    proxy.sort(SampleTableModel::ConfidenceColumn, Qt::DescendingOrder);
    model.setThreshold(0.3);
    proxy.setCodeFilter(QStringLiteral("strcpy"));
    proxy.reset();
    QCOMPARE(proxy.rowCount(), 500);
}

void WidgetsTest::filtersSelectExactlyTheRightSamples()
{
    SamplesPanel panel;
    auto data = binarySamples(3000);
    panel.setSamples(data, allRows(*data));
    auto* proxy = panel.proxy();
    auto* model = panel.model();
    panel.showMostConfidentlyWrong();
    int expectedWrong = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        expectedWrong += model->predicted(r) != model->trueClass(r);
    QCOMPARE(proxy->rowCount(), expectedWrong);
    float previous = 2.0f;
    for (int r = 0; r < proxy->rowCount(); ++r) {
        const int source = proxy->mapToSource(proxy->index(r, 0)).row();
        QVERIFY(model->predicted(source) != model->trueClass(source));
        QVERIFY(model->confidence(source) <= previous); // most confident first
        previous = model->confidence(source);
    }
    // The selected first row's code is shown.
    QVERIFY(!panel.codeViewer()->toPlainText().isEmpty());

    panel.clearFilters();
    proxy->setCodeFilter(QStringLiteral("strcpy"));
    QCOMPARE(proxy->rowCount(), (3000 + 6) / 7);
    proxy->reset();
    proxy->setConfidenceRange(0.9, 1.0);
    for (int r = 0; r < proxy->rowCount(); ++r)
        QVERIFY(model->confidence(proxy->mapToSource(proxy->index(r, 0)).row()) >= 0.9f);

    QTemporaryDir dir;
    QString error;
    QVERIFY(panel.exportCsv(dir.filePath(QStringLiteral("s.csv")), &error));
    QFile file(dir.filePath(QStringLiteral("s.csv")));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto lines = file.readAll().split('\n');
    QCOMPARE(lines.first(), QByteArray("id,true,predicted,correct,confidence,p(safe),p(vulnerable)"));
    QCOMPARE(lines.size() - 2, proxy->rowCount()); // header and trailing newline
}

void WidgetsTest::thresholdSliderChangesCountsAsTheBackendComputes()
{
    EvaluationView view;
    auto data = binarySamples(800);
    std::vector<std::uint8_t> split(800, 1);
    for (int i = 0; i < 800; i += 4)
        split[i] = 2;
    view.setRun(data, split, QStringLiteral("run"));
    view.setSplit(1);
    std::vector<std::int32_t> labels;
    std::vector<float> probs;
    for (std::int64_t r : view.rows()) {
        labels.push_back(data->labels[r]);
        probs.push_back(data->probabilities[2 * r]);
        probs.push_back(data->probabilities[2 * r + 1]);
    }
    QCOMPARE(static_cast<int>(labels.size()), 600);
    QSignalSpy spy(&view, &EvaluationView::thresholdChanged);
    for (int value : {100, 350, 500, 820}) {
        view.thresholdSlider()->setValue(value);
        const double threshold = value / 1000.0;
        QCOMPARE(view.confusionView()->matrix(), computeMetrics(labels, probs, 2, threshold).confusion);
        QVERIFY(view.metricsText().contains(QString::number(computeMetrics(labels, probs, 2, threshold).f1, 'f', 3)));
    }
    QCOMPARE(spy.count(), 4);
    // The ends are not thresholds a run can save (every row one class): the slider stops short.
    view.thresholdSlider()->setValue(1000);
    QCOMPARE(view.thresholdSlider()->value(), 999);
    view.thresholdSlider()->setValue(820);
    QCOMPARE(view.confusionView()->matrix(), computeMetrics(labels, probs, 2, 0.82).confusion);
    QVERIFY(view.confusionView()->matrix() != computeMetrics(labels, probs, 2, 0.1).confusion);

    // A test split without a positive row: its F1 of 0 is said to measure nothing.
    QVERIFY(view.classNote().isEmpty());
    for (std::size_t i = 0; i < split.size(); ++i)
        if (split[i] == 2 && data->labels[i] == 1)
            split[i] = 1;
    view.setRun(data, split, QStringLiteral("run"));
    view.setSplit(2);
    QVERIFY2(view.classNote().startsWith(QStringLiteral("The test split has no 'vulnerable' rows (of its ")),
             qPrintable(view.classNote()));
    view.setSplit(1);
    QVERIFY(view.classNote().isEmpty());
}

void WidgetsTest::clickingACellFiltersTheTable()
{
    EvaluationView view;
    SamplesPanel samples;
    auto data = binarySamples(400);
    view.setRun(data, std::vector<std::uint8_t>(400, 1), QStringLiteral("run"));
    samples.setSamples(data, view.rows());
    QObject::connect(&view, &EvaluationView::cellClicked, &samples, &SamplesPanel::filterToCell);
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy spy(&view, &EvaluationView::cellClicked);
    ConfusionMatrixView* cm = view.confusionView();
    QTest::mouseClick(cm, Qt::LeftButton, {}, cm->cellRect(1, 0).center()); // true vulnerable, predicted safe
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.first().at(0).toInt(), 1);
    QCOMPARE(spy.first().at(1).toInt(), 0);
    QCOMPARE(static_cast<std::int64_t>(samples.proxy()->rowCount()), cm->matrix()[1][0]);
    for (int r = 0; r < samples.proxy()->rowCount(); ++r) {
        const int source = samples.proxy()->mapToSource(samples.proxy()->index(r, 0)).row();
        QCOMPARE(samples.model()->trueClass(source), 1);
        QCOMPARE(samples.model()->predicted(source), 0);
    }
}

void WidgetsTest::chartsAndMatrixExportAsPngAndSvg()
{
    EvaluationView view;
    auto data = binarySamples(300);
    view.setRun(data, std::vector<std::uint8_t>(300, 1), QStringLiteral("probe on juliet"));
    view.resize(1000, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTemporaryDir dir;
    // What the picture is of is written above it: run, split, rows and the chart's figure.
    std::vector<float> positive;
    for (std::int64_t r = 0; r < data->rows(); ++r)
        positive.push_back(data->probabilities[static_cast<std::size_t>(r * 2 + 1)]);
    const QString auc = QString::number(rocAuc(data->labels, positive), 'f', 4);
    QCOMPARE(exportCaption(view.rocView()), QStringLiteral("probe on juliet · validation split, 300 rows · ROC-AUC ") + auc);
    QCOMPARE(exportCaption(view.confusionView()), QStringLiteral("probe on juliet · validation split, 300 rows · threshold 0.500"));
    for (const QString& name : {QStringLiteral("roc.png"), QStringLiteral("roc.svg")})
        QVERIFY(view.rocView()->exportTo(dir.filePath(name)));
    QVERIFY(view.confusionView()->exportTo(dir.filePath(QStringLiteral("cm.png"))));
    QVERIFY(view.confusionView()->exportTo(dir.filePath(QStringLiteral("cm.svg"))));
    const QImage png(dir.filePath(QStringLiteral("roc.png")));
    QVERIFY(!png.isNull());
    QCOMPARE(png.width(), view.rocView()->width() * 2);
    QVERIFY2(png.height() > view.rocView()->height() * 2 + 20, "a band for the caption above the chart");
    QFile svg(dir.filePath(QStringLiteral("roc.svg")));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY(text.contains("<svg"));
    QVERIFY(text.contains("ROC curve"));
    QVERIFY2(text.contains((QStringLiteral("ROC-AUC ") + auc).toUtf8()) && text.contains("probe on juliet"), text.left(2000).constData());
    // Text at its size on screen (it was three quarters of it: the generator's 72 dpi).
    const QByteArray screenSize = QStringLiteral("font-size=\"%1\"").arg(QFontInfo(view.rocView()->font()).pixelSize()).toUtf8();
    QVERIFY2(text.contains(screenSize), (screenSize + " in " + text.left(1500)).constData());
    QVERIFY(!QImage(dir.filePath(QStringLiteral("cm.png"))).isNull());
    QString error;
    QVERIFY(!view.rocView()->exportTo(dir.filePath(QStringLiteral("missing/roc.png")), &error));
    QVERIFY(error.contains(QStringLiteral("missing/roc.png")));
}

void WidgetsTest::designerOffersTheConvergedLinearProbe()
{
    HeadDesignerPanel panel;
    panel.setDataShape(16, 2);
    panel.resize(420, 900);
    panel.depthBox()->setValue(0);
    // Depth 0 with the optimiser on auto trains with L-BFGS: the minibatch settings grey out.
    QVERIFY(panel.spec().optimizer == Optimizer::Auto);
    QVERIFY(resolvedOptimizer(panel.spec()) == Optimizer::Lbfgs);
    QVERIFY(panel.l2Edit()->isEnabled());
    QVERIFY(!panel.epochsBox()->isEnabled());
    QVERIFY(!panel.spec().l2.has_value());
    QVERIFY(!panel.spec().standardize.has_value());
    if (qEnvironmentVariableIsSet("HEADBENCH_GRAB"))
        panel.grab().save(qEnvironmentVariable("HEADBENCH_GRAB"));

    QTest::keyClicks(panel.l2Edit(), QStringLiteral("0.01"));
    panel.standardizeBox()->setCurrentIndex(2); // off
    HeadSpec spec = panel.spec();
    QCOMPARE(spec.l2.value_or(-1), 0.01);
    QCOMPARE(spec.standardize.value_or(true), false);
    QVERIFY(panel.problems().isEmpty());
    HeadDesignerPanel other;
    other.setSpec(spec);
    QCOMPARE(QString::fromStdString(toJson(other.spec())), QString::fromStdString(toJson(spec)));

    panel.l2Edit()->clear();
    QTest::keyClicks(panel.l2Edit(), QStringLiteral("lots"));
    // The CLI's rule and message for a typed L2 (applySpecText), named after the field.
    QVERIFY2(panel.problems().join(QLatin1Char('\n')).contains(QStringLiteral("L2 penalty: 'lots' is not a number (expected auto")),
             qPrintable(panel.problems().join(QLatin1Char('\n'))));
    try {
        applySpecText(HeadSpec{}, {{"l2", "lots", "--l2"}});
        QFAIL("the CLI's rule accepted 'lots'");
    } catch (const Error& e) {
        QCOMPARE(QString::fromStdString(e.what()).section(QLatin1Char(':'), 1),
                 panel.problems().first().section(QLatin1Char(':'), 1));
    }

    // Adam stays available for the probe; then the learning rate matters again.
    panel.optimizerBox()->setCurrentIndex(panel.optimizerBox()->findData(static_cast<int>(Optimizer::Adam)));
    QVERIFY(!panel.l2Edit()->isEnabled());
    QVERIFY(panel.epochsBox()->isEnabled());
    // L-BFGS is for the probe only: with a hidden layer the panel explains it.
    panel.optimizerBox()->setCurrentIndex(panel.optimizerBox()->findData(static_cast<int>(Optimizer::Lbfgs)));
    panel.depthBox()->setValue(1);
    QVERIFY(panel.problemLabel()->text().contains(QStringLiteral("only the linear probe")));
}

void WidgetsTest::sweepOverTrainFractionDrawsALearningCurveWithItsBand()
{
    // Two runs per fraction (e.g. two seeds): the line goes through their mean at each training
    // size, the band spans their intervals, and the sizes are the rows the heads were fitted on.
    SweepView view;
    const std::vector<double> fractions{0.01, 0.01, 0.1, 0.1, 1.0, 1.0};
    QStringList params;
    for (std::size_t i = 0; i < fractions.size(); ++i)
        params << QStringLiteral("{\"train_fraction\":%1,\"seed\":%2}").arg(fractions[i]).arg(i % 2);
    view.setPoints(QStringLiteral("sweep-test"), params);
    std::vector<RunRecord> runs(fractions.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        runs[i].trainFraction = fractions[i];
        runs[i].trainRows = static_cast<std::int64_t>(std::lround(fractions[i] * 2000));
        runs[i].validation.f1 = 0.5 + 0.4 * fractions[i] + (i % 2 ? 0.02 : -0.02);
        MetricIntervals ci;
        ci.f1 = {runs[i].validation.f1 - 0.05, runs[i].validation.f1 + 0.05};
        runs[i].validation.ci = ci;
        view.setFinished(static_cast<int>(i), runs[i]);
    }
    view.metricBox()->setCurrentIndex(0); // val F1
    view.fieldBox()->setCurrentIndex(view.fieldBox()->findText(QStringLiteral("train_fraction")));
    QChart* chart = view.scatter()->chart();
    QLineSeries* line = nullptr;
    QAreaSeries* band = nullptr;
    for (QAbstractSeries* s : chart->series()) {
        if (auto* a = qobject_cast<QAreaSeries*>(s))
            band = a;
        else if (auto* l = qobject_cast<QLineSeries*>(s))
            line = l;
    }
    QVERIFY(line && band);
    const QList<QPointF> points = line->points();
    QCOMPARE(points.size(), 3);
    const double xs[] = {20, 200, 2000};
    for (int k = 0; k < 3; ++k) {
        QCOMPARE(points[k].x(), xs[k]);
        QVERIFY(qAbs(points[k].y() - (0.5 + 0.4 * xs[k] / 2000)) < 1e-9); // the mean of the two seeds
        QVERIFY(qAbs(band->upperSeries()->points()[k].y() - (points[k].y() + 0.07)) < 1e-9);
        QVERIFY(qAbs(band->lowerSeries()->points()[k].y() - (points[k].y() - 0.07)) < 1e-9);
    }
    // 20 to 2000 rows: a log axis, titled with what it counts.
    auto* x = qobject_cast<QLogValueAxis*>(chart->axes(Qt::Horizontal).value(0));
    QVERIFY(x);
    QVERIFY(x->titleText().contains(QStringLiteral("training rows")));
    if (const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR"); !shots.isEmpty()) {
        view.resize(1100, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(view.grab().save(shots + QStringLiteral("/learning-curve.png")));
    }
    // Another field is a plain scatter again.
    view.fieldBox()->setCurrentIndex(view.fieldBox()->findText(QStringLiteral("seed")));
    for (QAbstractSeries* s : chart->series())
        QVERIFY(!qobject_cast<QAreaSeries*>(s));
}

void WidgetsTest::sweepTicksAreWholeForIntegerFields()
{
    // A grid over depth (whole numbers) and lr (fractions): ticks at 1, 2, 3 for depth, never at
    // -0.08 or 0.21; lr keeps an ordinary value axis.
    SweepView view;
    const int depths[] = {1, 2, 3, 1, 2, 3};
    const double lrs[] = {0.001, 0.001, 0.001, 0.01, 0.01, 0.01};
    QStringList params;
    for (int i = 0; i < 6; ++i)
        params << QStringLiteral("{\"depth\":%1,\"lr\":%2}").arg(depths[i]).arg(lrs[i]);
    view.setPoints(QStringLiteral("sweep-ticks"), params);
    for (int i = 0; i < 6; ++i) {
        RunRecord run;
        run.validation.f1 = 0.6 + 0.05 * depths[i];
        view.setFinished(i, run);
    }
    view.metricBox()->setCurrentIndex(0);
    view.fieldBox()->setCurrentIndex(view.fieldBox()->findText(QStringLiteral("depth")));
    auto* x = qobject_cast<QValueAxis*>(view.scatter()->chart()->axes(Qt::Horizontal).value(0));
    QVERIFY(x);
    QCOMPARE(x->tickType(), QValueAxis::TicksDynamic);
    QCOMPARE(x->tickInterval(), 1.0);
    QCOMPARE(x->tickAnchor(), 0.0);
    QCOMPARE(x->labelFormat(), QStringLiteral("%d"));
    QVERIFY(x->min() < 1 && x->max() > 3); // the points are not on the edge
    view.fieldBox()->setCurrentIndex(view.fieldBox()->findText(QStringLiteral("lr")));
    auto* lr = qobject_cast<QValueAxis*>(view.scatter()->chart()->axes(Qt::Horizontal).value(0));
    QVERIFY(lr);
    QCOMPARE(lr->tickType(), QValueAxis::TicksFixed);
    QVERIFY(lr->labelFormat() != QStringLiteral("%d"));
}

void WidgetsTest::samplesShowProbabilitiesFirstAndTheCodeAThird()
{
    auto data = binarySamples(100000);
    // A long id first in ascending order and a longer one last: the
    // widths come from a sample of rows, not from all 100,000.
    const QString first = QStringLiteral("a-long-function-name-0001");
    const QString last = QStringLiteral("z-long-function-name-of-the-last-row");
    data->ids.front() = first.toStdString();
    data->ids.back() = last.toStdString();
    data->texts.set(0, std::string(400, 'x') + " = strcpy(buf, src);");
    SamplesPanel panel;
    panel.resize(1100, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.table()->sortByColumn(SampleTableModel::IdColumn, Qt::AscendingOrder);
    panel.setSamples(data, allRows(*data));
    QCOMPARE(panel.proxy()->index(0, 0).data().toString(), first);

    // p(safe), p(vulnerable) right after the id, before true/predicted/correct/confidence.
    QHeaderView* header = panel.table()->horizontalHeader();
    QCOMPARE(header->visualIndex(SampleTableModel::IdColumn), 0);
    QCOMPARE(header->visualIndex(SampleTableModel::FirstProbabilityColumn), 1);
    QCOMPARE(header->visualIndex(SampleTableModel::FirstProbabilityColumn + 1), 2);
    QCOMPARE(header->visualIndex(SampleTableModel::TrueColumn), 3);
    QCOMPARE(header->visualIndex(SampleTableModel::ConfidenceColumn), 6);
    // Sized to what they show.
    const QFontMetrics fm(panel.table()->font());
    const int idWidth = panel.table()->columnWidth(SampleTableModel::IdColumn);
    QVERIFY2(idWidth >= fm.horizontalAdvance(first), qPrintable(QString::number(idWidth)));
    QVERIFY(fm.horizontalAdvance(last) + 16 < 320); // below the cap: only the sampling keeps it out
    QVERIFY2(idWidth < fm.horizontalAdvance(last), qPrintable(QString::number(idWidth)));
    QVERIFY(panel.table()->columnWidth(SampleTableModel::FirstProbabilityColumn + 1) >=
            fm.horizontalAdvance(QStringLiteral("p(vulnerable)")));
    // The same columns again for the next run, not moved twice.
    panel.setSamples(data, allRows(*data));
    QCOMPARE(header->visualIndex(SampleTableModel::FirstProbabilityColumn), 1);
    QCOMPARE(header->visualIndex(SampleTableModel::TrueColumn), 3);

    // The code wraps and keeps a third of the width, resized or dragged; nothing collapses.
    auto* splitter = panel.findChild<QSplitter*>(QStringLiteral("samplesSplitter"));
    QVERIFY(splitter);
    QVERIFY(!splitter->childrenCollapsible());
    QCOMPARE(panel.codeViewer()->lineWrapMode(), QPlainTextEdit::WidgetWidth);
    const auto codeHasAThird = [&] {
        const QList<int> s = splitter->sizes();
        return s.size() == 2 && s[1] * 3 >= s[0] + s[1] - 3;
    };
    QVERIFY(codeHasAThird());
    QSplitterHandle* handle = splitter->handle(1);
    const QPoint from = handle->rect().center();
    const QPoint to(splitter->width() - 5, from.y());
    QMouseEvent press(QEvent::MouseButtonPress, from, handle->mapToGlobal(from), Qt::LeftButton, Qt::LeftButton, {});
    QApplication::sendEvent(handle, &press);
    const QPoint toInHandle = handle->mapFrom(splitter, to);
    QMouseEvent move(QEvent::MouseMove, toInHandle, handle->mapToGlobal(toInHandle), Qt::NoButton, Qt::LeftButton, {});
    QApplication::sendEvent(handle, &move);
    QMouseEvent release(QEvent::MouseButtonRelease, toInHandle, handle->mapToGlobal(toInHandle), Qt::LeftButton, {}, {});
    QApplication::sendEvent(handle, &release);
    QVERIFY2(codeHasAThird(), qPrintable(QStringLiteral("%1 %2").arg(splitter->sizes().value(0)).arg(splitter->sizes().value(1))));
    panel.resize(1400, 700);
    QTRY_VERIFY(codeHasAThird());
    panel.resize(900, 700);
    QTRY_VERIFY(codeHasAThird());
    QVERIFY(panel.codeViewer()->width() >= 250);
    QCOMPARE(splitter->orientation(), Qt::Horizontal);
    // Too narrow for both side by side (1024x680 with the docks open): the code goes below the
    // table at the panel's width, not into a column a few words wide; and back when widened.
    const int narrow = panel.minimumSizeHint().width() + 40;
    panel.resize(narrow, 700);
    QTRY_COMPARE(splitter->orientation(), Qt::Vertical);
    QVERIFY2(panel.codeViewer()->width() >= narrow - 40, qPrintable(QString::number(panel.codeViewer()->width())));
    panel.resize(1400, 700);
    QTRY_COMPARE(splitter->orientation(), Qt::Horizontal);
    QTRY_VERIFY(codeHasAThird());
}

// An export used to return without a word; the window's status bar now names the file, and a
// chart exported from inside a view says so too.
void WidgetsTest::anExportSaysWhereItWasSaved()
{
    QMainWindow window;
    auto* chart = new ChartView;
    window.setCentralWidget(chart);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString png = QDir::temp().filePath(QStringLiteral("headbench-export-%1.png").arg(QCoreApplication::applicationPid()));
    QString error;
    QVERIFY2(exportWidgetImage(chart, png, QStringLiteral("ROC"), &error), qPrintable(error));
    announceSaved(chart, png);
    QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("Saved %1").arg(QDir::toNativeSeparators(png)));
    QVERIFY(QFileInfo(png).size() > 0);
    QFile::remove(png);

    // The suggested file names: "training-curves:-mlp..." had a colon, and every run's ROC
    // was "roc-curve.png".
    QCOMPARE(exportFileStem(QStringLiteral("Training curves: MLP 512-256 10ep")), QStringLiteral("training-curves-mlp-512-256-10ep"));
    QCOMPARE(exportFileStem(QStringLiteral("roc 1x256 relu, ce · juliet.h5 test")), QStringLiteral("roc-1x256-relu-ce-juliet.h5-test"));
    QCOMPARE(exportFileStem(QStringLiteral(" :: ")), QStringLiteral("export"));
    EvaluationView view;
    auto data = binarySamples(200);
    view.setRun(data, std::vector<std::uint8_t>(200, 2), QStringLiteral("probe · a.h5"));
    view.setSplit(2);
    QStringList names;
    for (const ChartView* chart : view.findChildren<ChartView*>())
        names << exportFileStem(chart->property("headbenchExportName").toString());
    QVERIFY2(names.contains(QStringLiteral("roc-probe-a.h5-test")), qPrintable(names.join(QStringLiteral(", "))));
}

QTEST_MAIN(WidgetsTest)
void WidgetsTest::lossChartSwitchesToALogAxisAndBack()
{
    // Loss spans decades: the log toggle puts a log axis on the left, with the curves on it.
    // (The sanitizer job also checks that each axis is deleted exactly once, whichever is shown.)
    for (const bool endOnLog : {false, true}) {
        LossChartView view;
        for (int e = 1; e <= 30; ++e)
            view.addEpoch(e, 2.0 / (e * e), 3.0 / e, 0.5 + e / 100.0);
        const auto leftAxis = [&view] { return view.chart()->axes(Qt::Vertical).first(); };
        QCOMPARE(leftAxis()->type(), QAbstractAxis::AxisTypeValue);
        view.setLogScale(true);
        QVERIFY(view.logScale());
        const auto vertical = view.chart()->axes(Qt::Vertical);
        QCOMPARE(vertical.size(), 2); // loss (log) on the left, the metric on the right
        auto* log = qobject_cast<QLogValueAxis*>(vertical.first()->alignment() == Qt::AlignLeft ? vertical.first()
                                                                                                 : vertical.last());
        QVERIFY(log);
        QVERIFY(log->min() > 0 && log->min() <= 2.0 / 900 && log->max() >= 3.0);
        QCOMPARE(log->base(), 10.0);
        for (QAbstractSeries* series : view.chart()->series())
            if (series->name().contains(QStringLiteral("loss")))
                QVERIFY(series->attachedAxes().contains(log));
        if (!endOnLog) {
            view.setLogScale(false);
            QCOMPARE(view.chart()->axes(Qt::Vertical).size(), 2);
            for (QAbstractAxis* axis : view.chart()->axes(Qt::Vertical))
                QVERIFY(!qobject_cast<QLogValueAxis*>(axis));
        }
    }
}

void WidgetsTest::aLogAxisOverANarrowRangeStillLabelsTicks()
{
    // Ticks are at the base's powers within the range; losses of 0.1 to 0.6 had one (0.1).
    const auto ticks = [](const LossChartView::LogAxisRange& r) {
        int n = 0;
        for (double t = std::pow(r.base, std::ceil(std::log(r.min) / std::log(r.base)) ); t <= r.max * (1 + 1e-12); t *= r.base)
            ++n;
        return n;
    };
    for (const auto& [lo, hi] : {std::pair{0.1, 0.6}, std::pair{0.31, 0.33}, std::pair{1e-4, 2.5}, std::pair{2.0, 40.0},
                                 std::pair{1e-7, 1e-7}})
    {
        const auto r = LossChartView::logAxisRange(lo, hi);
        QVERIFY2(ticks(r) >= 2, qPrintable(QStringLiteral("%1..%2: %3 ticks").arg(lo).arg(hi).arg(ticks(r))));
        QVERIFY(r.min > 0 && r.min <= lo && r.max >= hi); // every point on the chart
    }
    LossChartView view;
    for (int e = 1; e <= 10; ++e)
        view.addEpoch(e, 0.6 - e * 0.04, 0.62 - e * 0.035, 0.8);
    view.setLogScale(true);
    QLogValueAxis* log = nullptr;
    for (QAbstractAxis* axis : view.chart()->axes(Qt::Vertical))
        if (auto* l = qobject_cast<QLogValueAxis*>(axis))
            log = l;
    QVERIFY(log);
    QCOMPARE(log->base(), 2.0);
    QCOMPARE(log->min(), 0.125);
    QCOMPARE(log->max(), 1.0);
}

void WidgetsTest::exportingSamplesWithNoRunShownWritesNothing()
{
    SamplesPanel panel;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("samples.csv"));
    QString error;
    QVERIFY(!panel.exportCsv(path, &error));
    QVERIFY2(error.contains(QStringLiteral("show a run first")), qPrintable(error));
    QVERIFY(!QFile::exists(path));
}

void WidgetsTest::anEmptyLossChartSaysWhatToDo()
{
    LossChartView view;
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.shownPlaceholder().isEmpty()); // no text, nothing over the chart
    view.setPlaceholderText(QStringLiteral("Press Train"));
    QCOMPARE(view.shownPlaceholder(), QStringLiteral("Press Train"));
    auto* label = view.findChild<QLabel*>(QStringLiteral("lossChartPlaceholder"));
    QVERIFY(label);
    QVERIFY(QRect(QPoint(0, 0), view.size()).contains(label->geometry())); // on the chart, not cut
    view.addEpoch(1, 0.7, 0.69, 0.5);
    QVERIFY(view.shownPlaceholder().isEmpty()); // the curves are the chart's content now
    view.clear();
    QCOMPARE(view.shownPlaceholder(), QStringLiteral("Press Train"));
}

#include "WidgetsTest.moc"
