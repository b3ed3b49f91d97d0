// The workbench window driven as a user would, offscreen: open a workspace, train from the
// designer with live progress, inspect the result, survive a corrupt file, stop a training.
#include "ChartView.h"
#include "ConfusionMatrixView.h"
#include "DataPanel.h"
#include "EvaluationView.h"
#include "HeadDesignerPanel.h"
#include "ImportDialog.h"
#include "LossChartView.h"
#include "MainWindow.h"
#include "RunCompareView.h"
#include "RunView.h"
#include "RunsPanel.h"
#include "SweepView.h"
#include <headbench/runs/Sweep.h>
#include "SamplesPanel.h"
#include "ShortcutsDialog.h"
#include "JobStatusBar.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/Dataset.h>
#include <headbench/data/DemoData.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include <headbench/runs/RunStore.h>

#include <QAction>
#include <QImage>
#include <QStatusBar>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QMessageBox>
#include <QPushButton>
#include <QMenuBar>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTextBlock>
#include <QTextDocument>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QDir>
#include <QLabel>
#include <QImage>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QDockWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QValueAxis>
#include <QRegularExpression>
#include <QtCharts/QCategoryAxis>
#include <QtTest>

using namespace headbench;

class MainWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void statusBarCallsAProbesStepsPenalties();
    void trainsFromTheWindowAndShowsTheRun();
    void corruptFeatureFileShowsAnErrorAndKeepsTheWindowUsable();
    void stopEndsTrainingWithoutARun();
    void finishNowEndsTrainingAndKeepsTheRun();
    void showingARunOfAnotherFileSaysTheFeaturesChanged();
    void emptyViewsSayWhereToStart();
    void exportsTheCurrentViewAsAnImage();
    void sweepTrainsEveryPointAndComparesThem();
    void evaluationOffersTheTrainSplit();
    void newWorkspaceSwitchesToAnEmptyFolder();
    void helpMenuOpensTheReadmeAndListsTheShortcuts();
    void failedImportKeepsTheDialogWithItsError();
    void demoWorkspaceLivesInOneAppDataFolder();
    void fitsA1024By680Screen();
    void manyLongClassNamesDoNotStretchTheWindowAndTheLayoutResets();

private:
    void openWorkspace(MainWindow& window);
    /// Trains the designed head for two epochs from the window; the run's folder, empty on failure.
    QString trainTwoEpochs(MainWindow& window);

    QTemporaryDir m_dir;
};

void MainWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // keep the user's settings out of it
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(QStringLiteral("features"));
    HashedNgramBackbone backbone(256);
    QVERIFY(extractFeatures(generateDemoDataset(400, 3), backbone,
                            m_dir.filePath(QStringLiteral("features/demo.h5")).toStdString()));
}

QString MainWindowTest::trainTwoEpochs(MainWindow& window)
{
    window.designer()->epochsBox()->setValue(2);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    if (!window.startTraining())
        return {};
    if (!QTest::qWaitFor([&] { return finished.count() == 1; }, 60000))
        return {};
    return finished.first().at(0).toString();
}

void MainWindowTest::openWorkspace(MainWindow& window)
{
    // Before: nothing to train on, and the empty chart says where to start.
    if (!window.workspace()->features())
        QVERIFY2(window.lossChart()->shownPlaceholder().startsWith(QStringLiteral("No features loaded")),
                 qPrintable(window.lossChart()->shownPlaceholder()));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    QVERIFY(window.workspace()->features());
    QCOMPARE(window.workspace()->features()->dim, 256);
    if (window.lossChart()->pointCount() == 0)
        QVERIFY2(window.lossChart()->shownPlaceholder().contains(QStringLiteral("press Train (F5)")),
                 qPrintable(window.lossChart()->shownPlaceholder()));
}

void MainWindowTest::trainsFromTheWindowAndShowsTheRun()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openWorkspace(window);
    const int runsBefore = window.runsPanel()->runCount();
    QVERIFY(window.trainAction()->isEnabled());

    window.designer()->epochsBox()->setValue(3);
    QSignalSpy epochs(window.training(), &TrainingController::epochFinished);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    QSignalSpy shown(&window, &MainWindow::runShown);
    window.trainAction()->trigger();
    QVERIFY(window.training()->isRunning());
    QVERIFY(!window.trainAction()->isEnabled());
    QVERIFY(window.stopAction()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QCOMPARE(epochs.count(), 3);
    QCOMPARE(epochs.last().at(0).value<EpochStats>().epoch, 3);
    QCOMPARE(window.lossChart()->pointCount(), 3);
    QTRY_COMPARE(shown.count(), 1);

    // The run is saved, listed and shown.
    const QString runDir = finished.first().at(0).toString();
    QVERIFY(QFileInfo::exists(runDir + QStringLiteral("/head.pt")));
    QCOMPARE(window.runsPanel()->runCount(), runsBefore + 1);
    QCOMPARE(window.currentRunDir(), runDir);
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::EvaluationTab));
    ConfusionMatrixView* cm = window.evaluation()->confusionView();
    QCOMPARE(static_cast<int>(cm->matrix().size()), 2);
    // The Training and Samples tabs say whose curves and which rows they show.
    const QString name = QString::fromStdString(loadRun(runDir.toStdString()).name);
    QTRY_COMPARE(window.lossChart()->chart()->title(), QStringLiteral("Training curves: ") + name);
    const QString splitName = window.evaluation()->splitName();
    QVERIFY2(window.samples()->countText().endsWith(QStringLiteral(" %1 samples").arg(splitName)),
             qPrintable(window.samples()->countText()));

    // Clicking a cell shows exactly its samples.
    QTest::mouseClick(cm, Qt::LeftButton, {}, cm->cellRect(0, 0).center());
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::SamplesTab));
    QCOMPARE(static_cast<std::int64_t>(window.samples()->proxy()->rowCount()), cm->matrix()[0][0]);
    QCOMPARE(window.samples()->countText(), QStringLiteral("%1 of %2 %3 samples")
                                                .arg(cm->matrix()[0][0])
                                                .arg(window.evaluation()->rows().size())
                                                .arg(splitName));
    // The shown sample's prediction is at Evaluation's threshold, and says so; moved there, the
    // title follows.
    auto* sampleTitle = window.samples()->findChild<QLabel*>(QStringLiteral("sampleTitle"));
    QVERIFY(sampleTitle);
    window.samples()->table()->setCurrentIndex(window.samples()->proxy()->index(0, 0));
    QTRY_VERIFY2(sampleTitle->text().contains(QStringLiteral("(threshold 0.500, set in Evaluation)")), qPrintable(sampleTitle->text()));
    window.samples()->clearFilters(); // every row of the split, whatever the threshold predicts
    window.samples()->table()->setCurrentIndex(window.samples()->proxy()->index(0, 0));
    window.evaluation()->setThreshold(0.3);
    QTRY_VERIFY2(sampleTitle->text().contains(QStringLiteral("(threshold 0.300, set in Evaluation)")), qPrintable(sampleTitle->text()));
    window.evaluation()->setThreshold(0.5);
    // Another split in Evaluation: the samples and their count follow it.
    window.evaluation()->setSplit(splitName == QStringLiteral("test") ? 1 : 2);
    QVERIFY(window.evaluation()->splitName() != splitName);
    QTRY_VERIFY2(window.samples()->countText().endsWith(QStringLiteral(" %1 samples").arg(window.evaluation()->splitName())),
                 qPrintable(window.samples()->countText()));
    // The demo texts came along: the code of a sample can be shown.
    QVERIFY(!window.samples()->model()->text(0).empty());
}

void MainWindowTest::corruptFeatureFileShowsAnErrorAndKeepsTheWindowUsable()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    const QString bad = m_dir.filePath(QStringLiteral("corrupt.h5"));
    QFile file(bad);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not HDF5\n");
    file.close();
    QSignalSpy errors(window.workspace(), &WorkspaceController::errorOccurred);
    window.openFeatureFile(bad);
    QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 30000);
    QVERIFY(window.lastError().contains(bad));
    QVERIFY(window.lastError().contains(QStringLiteral("not an HDF5 file")));
    // The previously loaded features stay, and the window still trains.
    QVERIFY(window.workspace()->features());
    QVERIFY(window.workspace()->featuresPath().endsWith(QStringLiteral("demo.h5")));
    QVERIFY(window.trainAction()->isEnabled());
}

void MainWindowTest::stopEndsTrainingWithoutARun()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    const auto runsBefore = window.workspace()->runs().size();
    window.designer()->epochsBox()->setValue(100000);
    QSignalSpy epochs(window.training(), &TrainingController::epochFinished);
    QSignalSpy cancelled(window.training(), &TrainingController::cancelled);
    QVERIFY(window.startTraining());
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, 60000); // the window stays live while it trains
    window.stopAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 30000);
    QVERIFY(!window.training()->isRunning());
    window.workspace()->refreshRuns();
    QCOMPARE(window.workspace()->runs().size(), runsBefore);
}

void MainWindowTest::finishNowEndsTrainingAndKeepsTheRun()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    const auto runsBefore = window.workspace()->runs().size();
    QVERIFY(!window.finishAction()->isEnabled());
    window.designer()->epochsBox()->setValue(100000);
    QSignalSpy epochs(window.training(), &TrainingController::epochFinished);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    QVERIFY(window.startTraining());
    QVERIFY(window.finishAction()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, 60000);
    const auto seenAtFinish = static_cast<std::size_t>(epochs.count());
    window.finishAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(!window.finishAction()->isEnabled());
    QCOMPARE(window.workspace()->runs().size(), runsBefore + 1);
    const RunRecord run = loadRun(finished.first().at(0).toString().toStdString());
    QVERIFY(run.history.size() >= seenAtFinish && run.history.size() < 100000);
    QVERIFY(run.finishedByUser);
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::EvaluationTab)); // the run is shown
    // Told apart from a run that trained all its epochs: in the status line and the runs list.
    auto* status = window.findChild<QLabel*>(QStringLiteral("statusMessage"));
    QVERIFY2(status && status->text().contains(QStringLiteral("(ended by Finish Now after %1 of 100000 epochs)").arg(run.epochsRun)),
             qPrintable(status ? status->text() : QString()));
    bool listed = false;
    for (QTreeWidgetItemIterator it(window.runsPanel()->tree()); *it; ++it)
        if ((*it)->data(0, Qt::UserRole + 1).toString() == QString::fromStdString(run.dir)) // the panel's folder role
            listed = (*it)->text(RunsPanel::StatusColumn) == QStringLiteral("ended by you");
    QVERIFY(listed);
}

void MainWindowTest::showingARunOfAnotherFileSaysTheFeaturesChanged()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    // Evaluation left on the train split: a new run still opens on validation.
    window.evaluation()->setSplit(kTrain);
    const QString runDir = trainTwoEpochs(window);
    QVERIFY(!runDir.isEmpty());
    QCOMPARE(window.evaluation()->split(), int(kValidation));
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), runDir, 30000);
    QCOMPARE(window.evaluation()->split(), int(kValidation));
    // Between saved runs the choice stays.
    window.evaluation()->setSplit(kTest);
    window.showRun(runDir);
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), runDir, 30000);
    QCOMPARE(window.evaluation()->split(), int(kTest));
    // Another file is opened; showing the run loads its own file back, and the status line says
    // so, since Train uses what is loaded.
    const QString other = m_dir.filePath(QStringLiteral("other.h5"));
    QFile::remove(other);
    QVERIFY(QFile::copy(m_dir.filePath(QStringLiteral("features/demo.h5")), other));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.workspace()->openFeatures(other);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    auto* status = window.findChild<QLabel*>(QStringLiteral("statusMessage"));
    QVERIFY(status);
    QCOMPARE(status->text(), QStringLiteral("Loaded other.h5"));
    window.showRun(runDir);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
    QVERIFY(window.workspace()->featuresPath().endsWith(QStringLiteral("demo.h5")));
    QVERIFY2(status->text().contains(QStringLiteral("demo.h5, the features the shown run was trained on")),
             qPrintable(status->text()));
    QFile::remove(other);
}

// With nothing shown, Evaluation drew an empty reliability chart and a live threshold slider
// beside a cut title, and Compare an empty table: each now says where to start.
void MainWindowTest::emptyViewsSayWhereToStart()
{
    MainWindow window;
    window.resize(1024, 680);
    window.show();
    auto visibleCharts = [&] {
        int n = 0;
        for (ChartView* chart : window.evaluation()->findChildren<ChartView*>())
            n += chart->isVisibleTo(&window);
        return n;
    };
    window.tabs()->setCurrentIndex(MainWindow::EvaluationTab);
    QCOMPARE(visibleCharts(), 0);
    QVERIFY2(window.evaluation()->confusionView()->placeholder().contains(QStringLiteral("pick a run in the Runs list")),
             qPrintable(window.evaluation()->confusionView()->placeholder()));
    auto* compare = window.findChild<RunCompareView*>();
    auto* hint = compare->findChild<QLabel*>(QStringLiteral("compareEmptyHint"));
    QVERIFY(hint);
    window.tabs()->setCurrentIndex(MainWindow::CompareTab);
    QVERIFY(hint->isVisibleTo(&window));
    QVERIFY(hint->text().contains(QStringLiteral("Compare (Ctrl+D)")));
    QVERIFY(!compare->metricsTable()->isVisibleTo(&window));

    openWorkspace(window);
    const QString first = trainTwoEpochs(window), second = trainTwoEpochs(window);
    QVERIFY(!first.isEmpty() && !second.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), second, 30000);
    window.tabs()->setCurrentIndex(MainWindow::EvaluationTab);
    QVERIFY(visibleCharts() >= 3); // ROC, PR, reliability of a two-class run
    QSignalSpy compared(&window, &MainWindow::comparisonShown);
    window.compareRuns({first, second});
    QVERIFY(compared.wait(30000));
    QVERIFY(!hint->isVisibleTo(&window));
    QVERIFY(compare->metricsTable()->isVisibleTo(&window));
}

void MainWindowTest::exportsTheCurrentViewAsAnImage()
{
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    openWorkspace(window);
    QVERIFY(!trainTwoEpochs(window).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(window.tabs()->currentIndex(), int(MainWindow::EvaluationTab), 10000);
    QAction* action = window.findChild<QAction*>(QStringLiteral("exportViewAction"));
    QVERIFY(action && !action->shortcut().isEmpty());
    QTemporaryDir out;
    const QString png = out.filePath(QStringLiteral("evaluation.png"));
    QString error;
    QVERIFY2(window.exportCurrentView(png, &error), qPrintable(error));
    const QImage image(png);
    const QWidget* page = window.tabs()->currentWidget();
    // At twice the page's size, a caption band above it, and drawn: charts, not a blank page.
    QCOMPARE(image.width(), 2 * page->width());
    QVERIFY(image.height() > 2 * page->height());
    int dark = 0;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4)
            dark += qGray(image.pixel(x, y)) < 128;
    QVERIFY2(dark > 500, qPrintable(QString::number(dark)));
    const QString svg = out.filePath(QStringLiteral("evaluation.svg"));
    QVERIFY2(window.exportCurrentView(svg, &error), qPrintable(error));
    QFile svgFile(svg);
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray text = svgFile.readAll();
    QVERIFY(text.contains("<svg"));
    QVERIFY(text.contains("Evaluation: ")); // the caption names the tab and the run
    // A file that cannot be written is named, and nothing is left.
    const QString blocked = out.filePath(QStringLiteral("no-such-folder/view.png"));
    QVERIFY(!window.exportCurrentView(blocked, &error));
    QVERIFY2(error.contains(blocked), qPrintable(error));
}

void MainWindowTest::sweepTrainsEveryPointAndComparesThem()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    const int before = window.runsPanel()->runCount();
    auto points = expandSweep(R"({"base": {"epochs": 2, "hidden": [16]}, "grid": {"depth": [0, 1], "loss": ["ce", "focal"]}})");
    QSignalSpy ended(window.training(), &TrainingController::sweepEnded);
    QSignalSpy runFinished(window.training(), &TrainingController::sweepRunFinished);
    QVERIFY(window.startSweep(points));
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::SweepTab));
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 120000);
    QCOMPARE(ended.first().at(0).toBool(), false);
    QCOMPARE(runFinished.count(), 4);
    QCOMPARE(window.sweepView()->finishedCount(), 4);
    QCOMPARE(window.runsPanel()->runCount(), before + 4);
    // After a restart the sweep's group brings its chart back.
    {
        MainWindow again;
        again.show();
        openWorkspace(again);
        QTreeWidgetItem* group = nullptr;
        for (int i = 0; i < again.runsPanel()->tree()->topLevelItemCount(); ++i)
            if (again.runsPanel()->tree()->topLevelItem(i)->childCount() == 4)
                group = again.runsPanel()->tree()->topLevelItem(i);
        QVERIFY(group);
        QCOMPARE(again.sweepView()->finishedCount(), 0);
        const QRect rect = again.runsPanel()->tree()->visualItemRect(group);
        QTest::mouseClick(again.runsPanel()->tree()->viewport(), Qt::LeftButton, {}, QPoint(30, rect.center().y()));
        QCOMPARE(again.sweepView()->finishedCount(), 4);
        QCOMPARE(again.tabs()->currentIndex(), int(MainWindow::SweepTab));
    }
    // Opening the Sweep tab after a restart shows the newest sweep without a click; its
    // values read "depth=0, loss=ce", and a field of names puts every name on the axis.
    {
        MainWindow again;
        again.show();
        openWorkspace(again);
        QCOMPARE(again.sweepView()->finishedCount(), 0);
        again.tabs()->setCurrentIndex(MainWindow::SweepTab);
        QCOMPARE(again.sweepView()->finishedCount(), 4);
        QStringList values;
        for (int r = 0; r < again.sweepView()->table()->rowCount(); ++r)
            values << again.sweepView()->table()->item(r, 1)->text();
        QVERIFY2(values.contains(QStringLiteral("depth=0, loss=ce")) && values.contains(QStringLiteral("depth=1, loss=focal")),
                 qPrintable(values.join(QStringLiteral(" | "))));
        again.sweepView()->fieldBox()->setCurrentText(QStringLiteral("loss"));
        QCategoryAxis* axis = nullptr;
        for (QAbstractAxis* a : again.sweepView()->scatter()->chart()->axes(Qt::Horizontal))
            axis = qobject_cast<QCategoryAxis*>(a);
        QVERIFY(axis);
        QStringList labels = axis->categoriesLabels();
        labels.sort();
        QCOMPARE(labels, (QStringList{QStringLiteral("ce"), QStringLiteral("focal")}));
    }
    // The sweep's runs are ordinary runs: they compare.
    QSignalSpy compared(&window, &MainWindow::comparisonShown);
    window.compareRuns({runFinished.at(0).at(1).toString(), runFinished.at(3).at(1).toString()});
    QTRY_COMPARE_WITH_TIMEOUT(compared.count(), 1, 30000);
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::CompareTab));
    QCOMPARE(window.compareView()->runCount(), 2);
    QVERIFY(window.compareView()->mcnemarLabel()->text().contains(QStringLiteral("McNemar")));

    // For looking at the views: HEADBENCH_SCREENSHOT_DIR=/tmp/shots saves them as PNG.
    const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR");
    if (!shots.isEmpty()) {
        window.resize(1280, 800);
        for (int tab : {0, 1, 4, 5}) {
            window.compareView()->tabs()->setCurrentIndex(tab);
            QTest::qWait(200);
            window.grab().save(QStringLiteral("%1/compare-%2.png").arg(shots).arg(tab));
        }
        window.tabs()->setCurrentIndex(MainWindow::SweepTab);
        QTest::qWait(200);
        window.grab().save(shots + QStringLiteral("/sweep.png"));
    }
}


void MainWindowTest::evaluationOffersTheTrainSplit()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openWorkspace(window);
    window.designer()->epochsBox()->setValue(2);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const QString runDir = finished.first().at(0).toString();
    // Opening the workspace may show its newest earlier run first: wait for this one.
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), runDir, 30000);

    // The saved predictions hold the training rows, and the chooser offers them.
    const RunPredictions p = loadPredictions(runDir.toStdString());
    std::vector<std::int32_t> labels;
    std::vector<float> probs;
    for (std::size_t r = 0; r < p.ids.size(); ++r)
        if (p.split[r] == kTrain) {
            labels.push_back(p.labels[r]);
            probs.insert(probs.end(), p.probabilities.begin() + static_cast<std::ptrdiff_t>(2 * r),
                         p.probabilities.begin() + static_cast<std::ptrdiff_t>(2 * r + 2));
        }
    QVERIFY(labels.size() > 200); // 80% of 400
    QComboBox* box = window.evaluation()->splitBox();
    const int trainIndex = box->findData(int(kTrain));
    QVERIFY(trainIndex >= 0);
    QCOMPARE(box->itemText(trainIndex), QStringLiteral("train"));
    box->setCurrentIndex(trainIndex);
    QCOMPARE(window.evaluation()->split(), int(kTrain));
    QCOMPARE(window.evaluation()->rows().size(), labels.size());
    QCOMPARE(window.evaluation()->confusionView()->matrix(), computeMetrics(labels, probs, 2, 0.5).confusion);
    // The samples table follows: the training rows, not the validation ones.
    QCOMPARE(static_cast<std::size_t>(window.samples()->proxy()->rowCount()), labels.size());
}

void MainWindowTest::newWorkspaceSwitchesToAnEmptyFolder()
{
    MainWindow window;
    window.show();
    openWorkspace(window);
    QTRY_VERIFY_WITH_TIMEOUT(!window.currentRunDir().isEmpty(), 30000); // the newest run of the open workspace
    const auto* action = window.findChild<QAction*>(QStringLiteral("newWorkspaceAction"));
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(QKeySequence::New));
    QVERIFY(window.menuBar()->actions().first()->menu()->actions().contains(const_cast<QAction*>(action)));

    // A folder with files in it is refused, and the window stays where it was.
    QVERIFY(!window.newWorkspace(m_dir.path()));
    QVERIFY(window.lastError().contains(QStringLiteral("not empty")));
    QCOMPARE(window.workspace()->workspace(), QDir(m_dir.path()).absolutePath());

    // An empty (here: not yet existing) folder becomes a workspace and the window switches to it.
    QTemporaryDir parent;
    const QString dir = parent.filePath(QStringLiteral("fresh"));
    QSignalSpy changed(window.workspace(), &WorkspaceController::workspaceChanged);
    QVERIFY(window.newWorkspace(dir));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(window.workspace()->workspace(), QDir(dir).absolutePath());
    QVERIFY(QFileInfo(dir + QStringLiteral("/runs")).isDir());
    QVERIFY(QFileInfo(dir + QStringLiteral("/features")).isDir());
    QVERIFY(window.windowTitle().contains(QDir::toNativeSeparators(QDir(dir).absolutePath())));
    QCOMPARE(window.runsPanel()->runCount(), 0);
    // The old workspace's run is not shown in the new one.
    QVERIFY(window.currentRunDir().isEmpty());
    QCOMPARE(window.samples()->model()->rowCount(), 0);
    QVERIFY(window.evaluation()->rows().empty());
}

void MainWindowTest::helpMenuOpensTheReadmeAndListsTheShortcuts()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QMenu* help = window.menuBar()->actions().last()->menu();
    QVERIFY(help);
    QCOMPARE(help->title(), QStringLiteral("&Help"));

    // Help ▸ README shows the project's README (the source tree's, in a build folder) in the
    // window, rendered: no Markdown viewer needs to be installed.
    window.findChild<QAction*>(QStringLiteral("readmeAction"))->trigger();
    QTextBrowser* readme = nullptr;
    QTRY_VERIFY((readme = window.findChild<QTextBrowser*>(QStringLiteral("readmeBrowser"))) && readme->isVisible());
    QCOMPARE(QFileInfo(readme->source().toLocalFile()).fileName(), QStringLiteral("README.md"));
    const QString shown = readme->toPlainText();
    QVERIFY2(shown.startsWith(QStringLiteral("HeadBench")), qPrintable(shown.left(200)));
    QVERIFY2(shown.contains(QStringLiteral("bash tools/run-demo.sh")), qPrintable(shown.left(400)));
    QVERIFY2(!shown.startsWith(QStringLiteral("#")) && !shown.contains(QStringLiteral("```")),
             "the Markdown is rendered, not shown as text");
    // The screenshot is shown, fitted to the page (code blocks may still scroll sideways).
    int images = 0;
    for (QTextBlock block = readme->document()->begin(); block.isValid(); block = block.next())
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextCharFormat format = it.fragment().charFormat();
            if (!format.isImageFormat())
                continue;
            const QVariant resource = readme->document()->resource(QTextDocument::ImageResource,
                                                                   QUrl(format.toImageFormat().name()));
            const QImage image = qvariant_cast<QImage>(resource);
            QVERIFY2(!image.isNull(), qPrintable(format.toImageFormat().name()));
            QVERIFY2(image.width() <= readme->viewport()->width(),
                     qPrintable(QStringLiteral("%1 px in a %2 px page").arg(image.width()).arg(readme->viewport()->width())));
            ++images;
        }
    QVERIFY(images >= 1);
    readme->window()->close();

    // Help ▸ Keyboard shortcuts lists every menu action with a shortcut, from the actions.
    const auto openShortcuts = [&]() -> ShortcutsDialog* {
        window.findChild<QAction*>(QStringLiteral("shortcutsAction"))->trigger();
        auto* dialog = window.findChild<ShortcutsDialog*>();
        return dialog && dialog->isVisible() ? dialog : nullptr;
    };
    const auto rowOf = [](QTableWidget* t, const QString& action) {
        for (int r = 0; r < t->rowCount(); ++r)
            if (t->item(r, 1)->text() == action)
                return r;
        return -1;
    };
    ShortcutsDialog* dialog = openShortcuts();
    QVERIFY(dialog);
    QTableWidget* table = dialog->table();
    int withShortcut = 0;
    for (QAction* top : window.menuBar()->actions())
        for (QAction* a : top->menu()->actions())
            withShortcut += !a->shortcuts().isEmpty();
    QVERIFY(table->rowCount() >= withShortcut);
    int train = rowOf(table, QStringLiteral("Train"));
    QVERIFY(train >= 0);
    QCOMPARE(table->item(train, 0)->text(), QStringLiteral("Run"));
    QCOMPARE(table->item(train, 2)->text(), QStringLiteral("Ctrl+T, F5"));
    const int fresh = rowOf(table, QStringLiteral("New workspace…"));
    QVERIFY(fresh >= 0);
    QCOMPARE(table->item(fresh, 2)->text(), QKeySequence(QKeySequence::New).toString(QKeySequence::NativeText));
    QVERIFY(rowOf(table, QStringLiteral("Keyboard shortcuts")) >= 0);
    // The runs list's own keys, which sit in no menu, are listed under its name.
    const int rename = rowOf(table, QStringLiteral("Rename run"));
    QVERIFY(rename >= 0);
    QCOMPARE(table->item(rename, 0)->text(), QStringLiteral("Runs list"));
    QCOMPARE(table->item(rename, 2)->text(), QStringLiteral("F2"));
    QVERIFY(rowOf(table, QStringLiteral("Delete selected runs…")) >= 0);
    dialog->close();
    QTRY_VERIFY(!window.findChild<ShortcutsDialog*>());

    // A changed shortcut shows as it is now.
    window.trainAction()->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_Y));
    dialog = openShortcuts();
    QVERIFY(dialog);
    train = rowOf(dialog->table(), QStringLiteral("Train"));
    QCOMPARE(dialog->table()->item(train, 2)->text(), QStringLiteral("Ctrl+Alt+Y"));
    dialog->close();
}

void MainWindowTest::failedImportKeepsTheDialogWithItsError()
{
    // 60 rows, the 51st not JSON: the preview (first rows) reads, the extraction fails.
    QTemporaryDir ws;
    const QString path = ws.filePath(QStringLiteral("broken.jsonl"));
    writeJsonl(generateDemoDataset(60, 9), path.toStdString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = file.readAll().split('\n');
    file.close();
    lines[50] = "{\"code\": \"int f(void) { return 0; }\", \"label\": 1";
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(lines.join('\n'));
    file.close();

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.openWorkspace(ws.path());
    window.importDataset(path);
    auto* dialog = window.findChild<ImportDialog*>();
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    QVERIFY(dialog->previewOk());
    auto* dedup = dialog->findChild<QCheckBox*>(QStringLiteral("dedup"));
    dedup->setChecked(true); // a choice of the mapping that must survive the failure
    QPushButton* extract = dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QSignalSpy finished(window.workspace(), &WorkspaceController::jobFinished);
    extract->click();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);

    // The same dialog is open again, with the error in it and the mapping as it was.
    QTRY_VERIFY(dialog->isVisible());
    QCOMPARE(window.findChild<ImportDialog*>(), dialog);
    QVERIFY2(dialog->message().contains(QStringLiteral("broken.jsonl:51")), qPrintable(dialog->message()));
    QVERIFY(dedup->isChecked());
    for (const QMessageBox* box : window.findChildren<QMessageBox*>())
        QVERIFY(!box->isVisible()); // no second message over it
    QVERIFY(window.lastError().contains(QStringLiteral("broken.jsonl:51")));
    if (const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR"); !shots.isEmpty())
        QVERIFY(dialog->grab().save(QDir(shots).filePath(QStringLiteral("import-failed.png"))));

    // Fixed in the dialog (skip invalid rows), the import goes through and the dialog goes away.
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    dialog->findChild<QCheckBox*>(QStringLiteral("skipInvalid"))->setChecked(true);
    extract->click();
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
    QTRY_VERIFY(!window.findChild<ImportDialog*>());
    QVERIFY(window.workspace()->features()->rows <= 59);
    QVERIFY(window.workspace()->featuresPath().endsWith(QStringLiteral("broken.h5")));
}

void MainWindowTest::demoWorkspaceLivesInOneAppDataFolder()
{
    // As main() names the application: organisation and application both "HeadBench".
    const QString app = QCoreApplication::applicationName(), org = QCoreApplication::organizationName();
    QCoreApplication::setApplicationName(QStringLiteral("HeadBench"));
    QCoreApplication::setOrganizationName(QStringLiteral("HeadBench"));
    const QString demo = WorkspaceController::defaultDemoDir();
    const QString data = WorkspaceController::appDataDir();
    QCoreApplication::setApplicationName(app);
    QCoreApplication::setOrganizationName(org);
    QVERIFY2(!demo.contains(QStringLiteral("HeadBench/HeadBench")), qPrintable(demo));
    QCOMPARE(QFileInfo(data).fileName(), QStringLiteral("HeadBench"));
    QCOMPARE(QFileInfo(data).absolutePath(), QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)).absolutePath());
    QCOMPARE(demo, QDir(data).filePath(QStringLiteral("demo-workspace")));
}

void MainWindowTest::fitsA1024By680Screen()
{
    // A laptop screen: the whole window fits, and no figure of a shown run is cut. As on a first
    // start: a layout saved by an earlier window (another test, an earlier run) is not restored.
    QSettings().remove(QStringLiteral("window"));
    MainWindow window;
    window.resize(1024, 680);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openWorkspace(window);
    // The run trained here, shown: the newest run of the workspace, shown when it opened, could
    // count as shown and be replaced while the labels were measured.
    const QString runDir = trainTwoEpochs(window);
    QVERIFY(!runDir.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), runDir, 30000);
    window.tabs()->setCurrentIndex(MainWindow::EvaluationTab);
    QTest::qWait(100);
    // On failure, say which widgets ask for the width (this has been seen only under load).
    const auto widest = [&window] {
        QStringList out;
        for (QWidget* w : window.findChildren<QWidget*>())
            if (w->isVisible() && w->minimumSizeHint().width() > 400)
                out << QStringLiteral("%1 %2 %3 %4")
                           .arg(QString::fromUtf8(w->metaObject()->className()), w->objectName())
                           .arg(w->minimumSizeHint().width())
                           .arg(qobject_cast<QLabel*>(w) ? qobject_cast<QLabel*>(w)->text().left(120) : QString());
        return QStringLiteral("%1: %2").arg(window.minimumSizeHint().width()).arg(out.join(QStringLiteral("; ")));
    };
    QVERIFY2(window.minimumSizeHint().width() <= 1024, qPrintable(widest()));
    QVERIFY2(window.width() == 1024, qPrintable(QStringLiteral("width %1; %2").arg(window.width()).arg(widest())));
    QVERIFY(window.minimumSizeHint().height() <= 680);
    // A long status message (a run saved in a deep folder) is cut, it does not widen the window.
    auto* status = window.findChild<QLabel*>(QStringLiteral("statusMessage"));
    QVERIFY(status);
    status->setText(QStringLiteral("Run saved in /very/long/path").repeated(30));
    QVERIFY2(window.minimumSizeHint().width() <= 1024, qPrintable(QString::number(window.minimumSizeHint().width())));
    // Every label of the evaluation that carries a number shows it whole.
    bool metrics = false;
    for (QLabel* label : window.evaluation()->findChildren<QLabel*>()) {
        if (!label->isVisible() || !label->text().contains(QRegularExpression(QStringLiteral("[0-9]"))) ||
            label->sizePolicy().horizontalPolicy() == QSizePolicy::Ignored) // the run's name: cut, its tooltip whole
            continue;
        metrics |= label->text().contains(QStringLiteral("accuracy"));
        QVERIFY2(label->width() >= label->minimumSizeHint().width(),
                 qPrintable(QStringLiteral("%1: %2 < %3").arg(label->text()).arg(label->width()).arg(label->minimumSizeHint().width())));
    }
    QVERIFY(metrics);
    // The designer fits its dock: no horizontal scrolling, and every choice shows whole (a row
    // too wide for the dock puts its field under the label).
    QScrollArea* designerScroll = nullptr;
    for (auto* scroll : window.findChildren<QScrollArea*>())
        if (scroll->widget() == window.designer())
            designerScroll = scroll;
    QVERIFY(designerScroll);
    QVERIFY2(!designerScroll->horizontalScrollBar()->isVisible(),
             qPrintable(QStringLiteral("designer %1 px in a %2 px viewport")
                            .arg(window.designer()->minimumSizeHint().width())
                            .arg(designerScroll->viewport()->width())));
    for (QComboBox* box : window.designer()->findChildren<QComboBox*>()) {
        if (!box->isVisible())
            continue;
        for (int i = 0; i < box->count(); ++i)
            QVERIFY2(box->width() >= box->fontMetrics().horizontalAdvance(box->itemText(i)) + 20,
                     qPrintable(QStringLiteral("'%1' in %2 px").arg(box->itemText(i)).arg(box->width())));
        QVERIFY(box->mapTo(designerScroll->viewport(), QPoint(box->width(), 0)).x() <= designerScroll->viewport()->width());
    }
    // The Split chooser shows each choice whole; what it means is in its tooltip.
    QComboBox* split = window.splitModeBox();
    for (int i = 0; i < split->count(); ++i) {
        QVERIFY2(split->width() >= split->fontMetrics().horizontalAdvance(split->itemText(i)) + 20,
                 qPrintable(QStringLiteral("'%1' in %2 px").arg(split->itemText(i)).arg(split->width())));
        QVERIFY(!split->itemData(i, Qt::ToolTipRole).toString().isEmpty());
    }
    // A chart's legend is shown only when its entries fit ("thre…" was drawn), and a short
    // chart has fewer y ticks (its labels were drawn as "…").
    int charts = 0;
    for (ChartView* chart : window.evaluation()->findChildren<ChartView*>()) {
        if (!chart->isVisible())
            continue;
        ++charts;
        const QFontMetrics fm(chart->chart()->legend()->font());
        int needed = 0;
        for (QLegendMarker* marker : chart->chart()->legend()->markers())
            if (marker->isVisible())
                needed += fm.horizontalAdvance(marker->label()) + fm.height() + 16;
        QVERIFY2(!chart->chart()->legend()->isVisible() || needed + 20 <= chart->width(),
                 qPrintable(QStringLiteral("%1: legend %2 px in %3 px").arg(chart->chart()->title()).arg(needed).arg(chart->width())));
        QVERIFY2(!chart->chart()->legend()->isVisible() || chart->height() >= ChartView::kLegendMinHeight,
                 qPrintable(QStringLiteral("%1: a legend in a %2-px chart").arg(chart->chart()->title()).arg(chart->height())));
        for (QAbstractAxis* axis : chart->chart()->axes(Qt::Vertical))
            if (auto* values = qobject_cast<QValueAxis*>(axis); values && chart->height() < 230)
                QVERIFY2(values->tickCount() <= 3, qPrintable(chart->chart()->title()));
    }
    QVERIFY(charts >= 3);
    if (const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR"); !shots.isEmpty())
        window.grab().save(shots + QStringLiteral("/window-1024x680.png"));
    // A long run name (a sweep point of a deep file) is cut at the view's edge, it does not widen the window.
    window.evaluation()->setRun(nullptr, {}, QStringLiteral("2x256 relu, focal γ=2 · depth=2, loss=focal, lr=0.001 · ").repeated(8));
    QVERIFY2(window.minimumSizeHint().width() <= 1024, qPrintable(widest()));
}

// 200 classes named by whole functions (the code taken as the label) stretched the Data dock and
// the window to 1379x3275, and the layout came back at every start with nothing to reset it.
void MainWindowTest::manyLongClassNamesDoNotStretchTheWindowAndTheLayoutResets()
{
    auto features = std::make_shared<FeatureSet>();
    features->rows = 200;
    features->dim = 2;
    features->features.assign(400, 0.5f);
    for (int i = 0; i < 200; ++i) {
        features->labels.push_back(i);
        features->labelNames.push_back("static void function_number_" + std::to_string(i) + "(char *data) { strcpy(buf, data); }");
    }
    DataPanel panel;
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/f.h5"), features);
    QVERIFY2(panel.summaryText().contains(QStringLiteral("and 188 more classes")), qPrintable(panel.summaryText()));
    QVERIFY2(panel.minimumSizeHint().width() < 400, qPrintable(QString::number(panel.minimumSizeHint().width())));
    QVERIFY2(panel.sizeHint().height() < 700, qPrintable(QString::number(panel.sizeHint().height())));
    // "By group" chosen for another file falls back to auto for a file without groups (training
    // was refused with a CLI flag as the way out).
    panel.splitModeBox()->setCurrentIndex(panel.splitModeBox()->findData(static_cast<int>(SplitMode::Group)));
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/f.h5"), features);
    QCOMPARE(panel.splitMode(), SplitMode::Auto);
    features->groups.assign(200, "g");
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/f.h5"), features);
    panel.splitModeBox()->setCurrentIndex(panel.splitModeBox()->findData(static_cast<int>(SplitMode::Group)));
    QCOMPARE(panel.splitMode(), SplitMode::Group);
    // The summary says which split training uses when it is not the file's (issue 24, item 8).
    panel.splitModeBox()->setCurrentIndex(panel.splitModeBox()->findData(static_cast<int>(SplitMode::Random)));
    QVERIFY2(panel.summaryText().contains(QStringLiteral("training uses:</b> random")), qPrintable(panel.summaryText()));
    // A file split into train and test only: each count is named, and the summary says where
    // validation comes from.
    features->groups.clear();
    features->split.assign(200, 0);
    std::fill(features->split.begin() + 150, features->split.end(), std::uint8_t{2});
    panel.splitModeBox()->setCurrentIndex(panel.splitModeBox()->findData(static_cast<int>(SplitMode::Auto)));
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/f.h5"), features);
    QVERIFY2(panel.summaryText().contains(QStringLiteral("150 train · 0 validation · 50 test")), qPrintable(panel.summaryText()));
    QVERIFY2(panel.summaryText().contains(QStringLiteral("a ninth of the train rows")), qPrintable(panel.summaryText()));
    // Where the file is: relative inside the workspace, whole outside it (a bare "juliet.h5" hid
    // that the file open was elsewhere), cut in the middle when long; the tooltip has it whole.
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/features/f.h5"), features);
    QVERIFY2(panel.summaryText().contains(QStringLiteral("<br>features/f.h5<br>")), qPrintable(panel.summaryText()));
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/tmp/ux/juliet.h5"), features);
    QVERIFY2(panel.summaryText().contains(QStringLiteral("<br>/tmp/ux/juliet.h5<br>")), qPrintable(panel.summaryText()));
    const QString deep = QStringLiteral("/data/projects/vulnerability-detection/features/codebert-base-layer-12.h5");
    panel.showData(QStringLiteral("/ws"), deep, features);
    auto* summaryLabel = panel.findChild<QLabel*>(QStringLiteral("dataSummary"));
    QVERIFY(summaryLabel);
    QCOMPARE(summaryLabel->toolTip(), deep);
    QVERIFY2(panel.summaryText().contains(QStringLiteral("/data/projects") + QChar(0x2026)) &&
                 panel.summaryText().contains(QStringLiteral("codebert-base-layer-12.h5<br>")),
             qPrintable(panel.summaryText()));
    panel.showData(QStringLiteral("/ws"), QStringLiteral("/ws/f.h5"), features);
    // In a dock as short and narrow as at 1024x680, every line of the summary can be reached
    // (it scrolls) instead of the last ones being cut under the buttons.
    panel.resize(190, 330);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    auto* summary = panel.findChild<QLabel*>(QStringLiteral("dataSummary"));
    QVERIFY(summary);
    QTRY_VERIFY2(summary->height() >= summary->heightForWidth(summary->width()),
                 qPrintable(QStringLiteral("%1 px of %2").arg(summary->height()).arg(summary->heightForWidth(summary->width()))));
    // The leakage banner of a run already split by group does not advise splitting by group.
    LeakageReport leak;
    leak.measured = true;
    leak.method = "text";
    leak.testRows = leak.validationRows = 100;
    leak.testNearDuplicates = 30;
    QVERIFY(leakageBannerText(leak, "group").contains(QStringLiteral("already by group")));
    QVERIFY(!leakageBannerText(leak, "group").contains(QStringLiteral("split by group (")));
    QVERIFY(leakageBannerText(leak, "random").contains(QStringLiteral("split by group (Import")));

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* data = window.findChild<QDockWidget*>(QStringLiteral("dataDock"));
    QVERIFY(data);
    window.resize(1600, 1000);
    window.resizeDocks({data}, {700}, Qt::Horizontal);
    data->hide();
    QApplication::processEvents();
    QSettings().setValue(QStringLiteral("window/state"), window.saveState());
    auto* reset = window.findChild<QAction*>(QStringLiteral("resetLayoutAction"));
    QVERIFY(reset);
    reset->trigger();
    QApplication::processEvents();
    QVERIFY(data->isVisible());
    QVERIFY2(data->width() <= 300, qPrintable(QString::number(data->width())));
    QVERIFY(window.width() <= 1280);
    QVERIFY(!QSettings().contains(QStringLiteral("window/state")));
}

// An L-BFGS probe reports one entry per L2 penalty tried: the status bar said "Epoch 3/5".
void MainWindowTest::statusBarCallsAProbesStepsPenalties()
{
    QStatusBar bar;
    JobStatusBar status(&bar);
    status.trainingStarted(5);
    EpochStats penalty;
    penalty.epoch = 3;
    penalty.l2 = 0.01;
    penalty.iterations = 14;
    status.trainingEpoch(penalty);
    QVERIFY2(status.text().startsWith(QStringLiteral("L2 penalty 3/5 (0.01) · train loss")), qPrintable(status.text()));
    EpochStats epoch;
    epoch.epoch = 3;
    status.trainingEpoch(epoch);
    QVERIFY2(status.text().startsWith(QStringLiteral("Epoch 3/5 · train loss")), qPrintable(status.text()));
}

QTEST_MAIN(MainWindowTest)
#include "MainWindowTest.moc"
