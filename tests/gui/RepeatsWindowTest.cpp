// Repeats and calibration from the window: the designer's Repeats field trains one run per seed
// on one split, grouped like a sweep; its Calibrate box saves a temperature-scaled run.
#include "HeadDesignerPanel.h"
#include "MainWindow.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/compute/Runtime.h>
#include <headbench/data/DemoData.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/CrossValidation.h>

#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QLabel>
#include <QtTest>

using namespace headbench;

class RepeatsWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void repeatsTrainOneRunPerSeedOnOneSplit();
    void calibrateSavesATemperature();
    void crossValidationSavesOutOfFoldProbabilities();

private:
    void open(MainWindow& window);
    QTemporaryDir m_dir;
};

void RepeatsWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(QStringLiteral("features"));
    HashedNgramBackbone backbone(128);
    QVERIFY(extractFeatures(generateDemoDataset(400, 5), backbone, m_dir.filePath(QStringLiteral("features/demo.h5")).toStdString()));
}

void RepeatsWindowTest::open(MainWindow& window)
{
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
}

void RepeatsWindowTest::repeatsTrainOneRunPerSeedOnOneSplit()
{
    MainWindow window;
    open(window);
    HeadDesignerPanel* designer = window.designer();
    designer->depthBox()->setValue(1);
    designer->epochsBox()->setValue(2);
    designer->repeatsBox()->setValue(3);
    QSignalSpy finished(window.training(), &TrainingController::sweepRunFinished);
    QSignalSpy ended(window.training(), &TrainingController::sweepEnded);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 120000);
    QCOMPARE(finished.count(), 3);
    std::vector<RunRecord> runs;
    std::vector<RunPredictions> preds;
    for (const auto& args : std::as_const(finished)) {
        const std::string dir = args.at(1).toString().toStdString();
        runs.push_back(loadRun(dir));
        preds.push_back(loadPredictions(dir));
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        QCOMPARE(runs[i].spec.seed, runs[0].spec.seed + i);  // one seed per run
        QCOMPARE(runs[i].sweepId, runs[0].sweepId);           // grouped as one
        QVERIFY2(runs[i].sweepId.starts_with("repeat-"), runs[i].sweepId.c_str()); // tagged as the CLI tags repeats
        QVERIFY(preds[i].split == preds[0].split);            // on one split
    }
    QVERIFY(preds[1].probabilities != preds[0].probabilities); // the seeds make different heads
}

void RepeatsWindowTest::calibrateSavesATemperature()
{
    MainWindow window;
    open(window);
    window.designer()->epochsBox()->setValue(3);
    window.designer()->calibrateBox()->setChecked(true);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const RunRecord rec = loadRun(finished.first().at(0).toString().toStdString());
    QVERIFY(rec.calibration.enabled());
    QVERIFY(rec.calibration.temperature > 0);
}

void RepeatsWindowTest::crossValidationSavesOutOfFoldProbabilities()
{
    MainWindow window;
    open(window);
    window.show();
    // Cross-validation set in the designer (perhaps scrolled out of view) is said by the Train
    // button, and the note goes when it is off again.
    auto* extra = window.findChild<QLabel*>(QStringLiteral("trainExtraWork"));
    QVERIFY(extra);
    QVERIFY(!extra->isVisible());
    window.designer()->epochsBox()->setValue(2);
    window.designer()->crossValidationBox()->setValue(3);
    QVERIFY(extra->isVisible());
    QVERIFY2(extra->text().contains(QStringLiteral("3-fold cross-validation")), qPrintable(extra->text()));
    window.designer()->repeatsBox()->setValue(4);
    QVERIFY2(extra->text().contains(QStringLiteral("4 seeds")), qPrintable(extra->text()));
    window.designer()->repeatsBox()->setValue(1);
    window.designer()->crossValidationBox()->setValue(0);
    QVERIFY(!extra->isVisible());
    window.designer()->crossValidationBox()->setValue(3);
    QVERIFY(!extra->text().contains(QStringLiteral("seeds")));
    QSignalSpy finished(window.training(), &TrainingController::finished);
    QSignalSpy epochs(window.training(), &TrainingController::epochFinished);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QCOMPARE(epochs.count(), 2); // the fold heads' epochs do not enter the run's curves
    const std::string dir = finished.first().at(0).toString().toStdString();
    const OutOfFold oof = loadOutOfFold(dir);
    const RunPredictions pred = loadPredictions(dir);
    std::size_t pool = 0;
    for (auto s : pred.split)
        pool += s != kTest;
    QCOMPARE(oof.ids.size(), pool); // every training and validation row, no test row
    // The run shown says what cross-validation found: cv.json's mean and sd of F1.
    const auto cv = loadCrossValidationSummary(dir);
    QVERIFY(cv && cv->k == 3);
    QTRY_VERIFY_WITH_TIMEOUT(window.leakageBanner()->text().contains(QStringLiteral("Cross-validation")), 30000);
    QVERIFY2(window.leakageBanner()->text().contains(QStringLiteral("F1 %1 ± %2").arg(cv->mean.f1, 0, 'f', 3).arg(cv->sd.f1, 0, 'f', 3)),
             qPrintable(window.leakageBanner()->text()));
    QVERIFY(window.leakageBanner()->isVisible());
    // Repeats with cross-validation are refused with a message, not started.
    window.designer()->repeatsBox()->setValue(2);
    QVERIFY(!window.startTraining());
    QVERIFY(window.lastError().contains(QStringLiteral("cannot be combined")));
}

QTEST_MAIN(RepeatsWindowTest)
#include "RepeatsWindowTest.moc"
