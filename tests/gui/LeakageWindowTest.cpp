// Honest evaluation in the window: the split chooser, the leakage banner over the evaluation,
// the near-duplicate filter and nearest training row in the samples, and the import dialog's
// split field, group field and one-file-per-split layout.
#include "CodeViewer.h"
#include "ImportDialog.h"
#include "MainWindow.h"
#include "HeadDesignerPanel.h"
#include "SamplesPanel.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/DemoData.h>
#include <headbench/compute/Leakage.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include <headbench/runs/RunStore.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QFile>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace headbench;

class LeakageWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void randomSplitOfFixPairsWarnsAndShowsThePartner();
    void groupSplitKeepsPairsApart();
    void importDialogOffersSplitGroupAndFiles();

private:
    /// Trains the default head (2 epochs) with the given split mode; returns the run folder.
    QString train(MainWindow& window, SplitMode mode);
    QTemporaryDir m_dir;
};

void LeakageWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(QStringLiteral("features"));
    HashedNgramBackbone backbone(256);
    QVERIFY(extractFeatures(generateDemoDataset(600, 8, /*paired=*/true), backbone,
                            m_dir.filePath(QStringLiteral("features/pairs.h5")).toStdString()));
}

QString LeakageWindowTest::train(MainWindow& window, SplitMode mode)
{
    QComboBox* split = window.splitModeBox();
    split->setCurrentIndex(split->findData(static_cast<int>(mode)));
    window.designer()->epochsBox()->setValue(2);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    QSignalSpy shown(&window, &MainWindow::runShown);
    window.trainAction()->trigger();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000); }();
    // The run shown on opening the workspace may arrive after the training began (slow under
    // the sanitizers): wait for this run to be shown, not for a count of runs shown.
    const QString dir = finished.first().at(0).toString();
    auto shownThis = [&] {
        for (const auto& args : shown)
            if (args.at(0).toString() == dir)
                return true;
        return false;
    };
    [&] { QTRY_VERIFY_WITH_TIMEOUT(shownThis(), 30000); }();
    [&] { QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), dir, 30000); }();
    return dir;
}

void LeakageWindowTest::randomSplitOfFixPairsWarnsAndShowsThePartner()
{
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    const QString runDir = train(window, SplitMode::Random);
    const RunRecord rec = loadRun(runDir.toStdString());
    QCOMPARE(QString::fromStdString(rec.splitSource), QStringLiteral("random"));
    QVERIFY(rec.leakage.testNearDuplicates > rec.leakage.testRows / 2);

    // The evaluation says its figures leak, with the run's counts (also when the run is shown
    // while another tab is open).
    window.tabs()->setCurrentIndex(MainWindow::TrainingTab);
    window.leakageBanner()->clear();
    QSignalSpy shownAgain(&window, &MainWindow::runShown);
    window.showRun(runDir);
    QTRY_COMPARE_WITH_TIMEOUT(shownAgain.count(), 1, 30000);
    QVERIFY(!window.leakageBanner()->isHidden());
    QVERIFY(window.leakageBanner()->text().contains(QStringLiteral("Leakage")));
    QVERIFY(window.leakageBanner()->text().contains(QStringLiteral("%1 of %2 test rows")
                                                        .arg(rec.leakage.testNearDuplicates)
                                                        .arg(rec.leakage.testRows)));

    // A damaged cv.json beside it: the run is still shown, and the banner says why its
    // cross-validation figures are missing.
    {
        QFile cv(runDir + QStringLiteral("/cv.json"));
        QVERIFY(cv.open(QIODevice::WriteOnly));
        cv.write("{\"k\": 5, \"mean\": {\"f1\": 0.9"); // 27 bytes: it ends at column 28
        cv.close();
        QSignalSpy shownDamaged(&window, &MainWindow::runShown);
        window.showRun(runDir);
        QTRY_COMPARE_WITH_TIMEOUT(shownDamaged.count(), 1, 30000);
        QCOMPARE(window.currentRunDir(), runDir);
        const QString banner = window.leakageBanner()->text();
        QVERIFY2(banner.contains(QStringLiteral("Leakage")), qPrintable(banner));
        QVERIFY2(banner.contains(QStringLiteral("cv.json is damaged (cut short at line 1, column 28)")), qPrintable(banner));
        QVERIFY(cv.remove());
        window.showRun(runDir);
        QTRY_COMPARE_WITH_TIMEOUT(shownDamaged.count(), 2, 30000);
        QVERIFY(!window.leakageBanner()->text().contains(QStringLiteral("cv.json")));
    }

    // Samples: only rows with a near duplicate in training, and the partner beside the code.
    SamplesPanel* samples = window.samples();
    QCheckBox* near = samples->nearDuplicateFilter();
    QVERIFY(near->isEnabled());
    const int all = samples->proxy()->rowCount();
    near->setChecked(true);
    const int leaked = samples->proxy()->rowCount();
    QVERIFY(leaked > 0 && leaked < all);
    samples->table()->selectRow(0);
    QTRY_VERIFY(samples->neighbourTitle()->text().contains(QStringLiteral("Nearest training row")));
    const QString shownId = samples->proxy()->index(0, SampleTableModel::IdColumn).data().toString();
    // Demo pair ids are "<family>-<n>-before" and "-after": the partner has the other suffix.
    const QString stem = shownId.left(shownId.lastIndexOf(QLatin1Char('-')));
    QVERIFY2(samples->neighbourTitle()->text().contains(stem), qPrintable(samples->neighbourTitle()->text()));
    QVERIFY(!samples->neighbourViewer()->toPlainText().isEmpty());
    QVERIFY(!samples->neighbourViewer()->isHidden());
    // The fix differs between the two: its lines are marked (a fix that only adds a check marks
    // lines in the fixed version alone).
    QVERIFY(!samples->codeViewer()->extraSelections().isEmpty() || !samples->neighbourViewer()->extraSelections().isEmpty());
}

void LeakageWindowTest::groupSplitKeepsPairsApart()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    const QString runDir = train(window, SplitMode::Auto); // the file has groups: by group
    const RunRecord rec = loadRun(runDir.toStdString());
    QCOMPARE(QString::fromStdString(rec.splitSource), QStringLiteral("group"));
    const RunPredictions pred = loadPredictions(runDir.toStdString());
    QMap<QString, QSet<int>> sides;
    for (std::size_t i = 0; i < pred.ids.size(); ++i) {
        const QString id = QString::fromStdString(pred.ids[i]);
        sides[id.left(id.lastIndexOf(QLatin1Char('-')))].insert(pred.split[i]);
    }
    for (const auto& s : std::as_const(sides))
        QCOMPARE(s.size(), 1);
    QVERIFY(rec.leakage.testNearDuplicates < rec.leakage.testRows / 5);
}

void LeakageWindowTest::importDialogOffersSplitGroupAndFiles()
{
    // CodeXGLUE's layout: train.jsonl beside valid.jsonl and test.jsonl.
    const QString folder = m_dir.filePath(QStringLiteral("codexglue"));
    QDir().mkpath(folder);
    Dataset demo = generateDemoDataset(60, 2, true);
    for (const char* name : {"train", "valid", "test"})
        writeJsonl(demo, QDir(folder).filePath(QString::fromLatin1(name) + QStringLiteral(".jsonl")).toStdString());
    ImportDialog dialog(QDir(folder).filePath(QStringLiteral("train.jsonl")), m_dir.path());
    QVERIFY(dialog.previewOk());
    auto* holds = dialog.findChild<QComboBox*>(QStringLiteral("fileHolds"));
    QCOMPARE(holds->currentData().toString(), QStringLiteral("train"));
    DatasetRequest r = dialog.datasetRequest();
    QCOMPARE(r.sources.size(), std::size_t{3});
    QCOMPARE(r.sources[1].split, 1);
    QVERIFY(QString::fromStdString(r.sources[1].path).endsWith(QStringLiteral("valid.jsonl")));
    QCOMPARE(r.sources[2].split, 2);
    // The group field is found by name; class names and options go into the request.
    auto* group = dialog.findChild<QComboBox*>(QStringLiteral("group" "Field"));
    QCOMPARE(group->currentData().toString(), QStringLiteral("group"));
    dialog.findChild<QLineEdit*>(QStringLiteral("classNames"))->setText(QStringLiteral("ok, bug"));
    dialog.findChild<QCheckBox*>(QStringLiteral("skipInvalid"))->setChecked(true);
    dialog.findChild<QCheckBox*>(QStringLiteral("dedup"))->setChecked(true);
    r = dialog.datasetRequest();
    QCOMPARE(r.fields.group, std::string("group"));
    QCOMPARE(r.labelNames, (std::vector<std::string>{"ok", "bug"}));
    QVERIFY(r.load.skipInvalid);
    QVERIFY(r.dedupExact);

    // A file with a split field: the field is offered and chosen.
    Dataset withSplit = generateDemoDataset(30, 3);
    withSplit.split.assign(30, 0);
    withSplit.split[1] = 1;
    const QString splitFile = m_dir.filePath(QStringLiteral("with-split.jsonl"));
    writeJsonl(withSplit, splitFile.toStdString());
    ImportDialog second(splitFile, m_dir.path());
    QCOMPARE(second.findChild<QComboBox*>(QStringLiteral("fileHolds"))->currentData().toString(), QStringLiteral("all"));
    QCOMPARE(second.findChild<QComboBox*>(QStringLiteral("splitField"))->currentData().toString(), QStringLiteral("split"));
    const DatasetRequest r2 = second.datasetRequest();
    QCOMPARE(r2.fields.split, std::string("split"));
    const Dataset back = prepareDataset(r2);
    QCOMPARE(back.split, withSplit.split);
}

QTEST_MAIN(LeakageWindowTest)
#include "LeakageWindowTest.moc"
