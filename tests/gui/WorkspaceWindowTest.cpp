// The window on workspaces made by headbench-cli: runs trained on feature files outside the
// workspace folder, opened as a user would (offscreen), and `headbench --screenshot` on them.
#include "CodeViewer.h"
#include "EvaluationView.h"
#include "HeadDesignerPanel.h"
#include "LossChartView.h"
#include "RunCompareView.h"
#include "MainWindow.h"
#include "RunsPanel.h"
#include "SampleTableModel.h"
#include "SamplesPanel.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>

#include <QCheckBox>
#include <QSpinBox>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTableView>
#include <QTableWidget>
#include <QToolButton>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <QtTest>

#include <limits>

using namespace headbench;

class WorkspaceWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void opensTheFeaturesARunRecordsOutsideTheWorkspace();
    void sayingWhyWhenTheFeatureFileMoved();
    void screenshotOfACliWorkspaceExits();
    void screenshotWithNothingToShowFailsWithAMessage();
    void selectionFollowsTheRunShown();
    void thresholdBelongsToItsRun();
    void statusFollowsTheRunsProcess();
    void runsOnDifferentDataAreNotRankedAndTheirSpecLoads();
    void epochAxesTickOnWholeEpochs();
    void numericIdsSortAsNumbers();
    void reopeningFreesThePreviousMatrix();
    void aJobArraysSweepLandsInOneGroup();

private:
    /// Runs headbench-cli; returns its standard output (fails the test on a non-zero exit).
    QByteArray cli(const QStringList& args);
    /// `headbench --screenshot` on `workspace`: exit code and standard error.
    std::pair<int, QString> screenshot(const QString& workspace, const QString& png, const QStringList& extra = {});

    QTemporaryDir m_dir;
    QString m_features; ///< outside the workspace
    QString m_workspace;
    QStringList m_runDirs; ///< oldest first
};

QByteArray WorkspaceWindowTest::cli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(HEADBENCH_CLI), args);
    if (!p.waitForFinished(240000))
        qFatal("headbench-cli %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    if (p.exitCode() != 0)
        qFatal("headbench-cli %s: exit %d: %s", qPrintable(args.join(QLatin1Char(' '))), p.exitCode(),
               p.readAllStandardError().constData());
    return p.readAllStandardOutput();
}

std::pair<int, QString> WorkspaceWindowTest::screenshot(const QString& workspace, const QString& png, const QStringList& extra)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config"))); // not the user's settings
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(HEADBENCH_GUI), QStringList{QStringLiteral("--workspace"), workspace, QStringLiteral("--screenshot"), png,
                                            QStringLiteral("--size"), QStringLiteral("1024x680"), QStringLiteral("--threads"),
                                            QStringLiteral("2")} + extra);
    const bool finished = p.waitForFinished(300000);
    if (!finished) {
        p.kill();
        p.waitForFinished();
        return {-1, QStringLiteral("did not finish within 5 minutes")};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromLocal8Bit(p.readAllStandardError())};
}

void WorkspaceWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    // As in the issue: demo data, features extracted to a file outside the workspace, runs
    // trained from the command line into the workspace.
    const QString data = m_dir.filePath(QStringLiteral("data-in"));
    cli({QStringLiteral("demo"), QStringLiteral("--out"), data, QStringLiteral("--n"), QStringLiteral("300")});
    m_features = m_dir.filePath(QStringLiteral("elsewhere/demo-features.h5"));
    cli({QStringLiteral("extract"), QStringLiteral("--dataset"), data + QStringLiteral("/demo.jsonl"), QStringLiteral("--dim"),
         QStringLiteral("128"), QStringLiteral("--out"), m_features});
    m_workspace = m_dir.filePath(QStringLiteral("ws"));
    for (const char* name : {"first", "second"}) {
        const QJsonObject r = QJsonDocument::fromJson(cli({QStringLiteral("train"), QStringLiteral("--features"), m_features,
                                                           QStringLiteral("--workspace"), m_workspace, QStringLiteral("--name"),
                                                           QLatin1String(name), QStringLiteral("--json")}))
                                  .object();
        m_runDirs << r.value(QStringLiteral("dir")).toString();
        QVERIFY2(QDir(m_runDirs.last()).exists(), qPrintable(m_runDirs.last()));
        QTest::qWait(1100); // distinct creation times
    }
    QVERIFY(!QDir(m_workspace).exists(QStringLiteral("features")));
}

void WorkspaceWindowTest::opensTheFeaturesARunRecordsOutsideTheWorkspace()
{
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.openWorkspace(m_workspace);
    QTRY_VERIFY_WITH_TIMEOUT(window.workspace()->features() != nullptr, 60000);
    QCOMPARE(QFileInfo(window.workspace()->featuresPath()).canonicalFilePath(), QFileInfo(m_features).canonicalFilePath());
    // The newest run is shown with its code.
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), m_runDirs.last(), 30000);
    auto* table = window.samples()->findChild<QTableView*>(QStringLiteral("samplesTable"));
    QVERIFY(table);
    QTRY_VERIFY(table->model()->rowCount() > 0);
    table->selectRow(0);
    auto* code = window.findChild<CodeViewer*>(QStringLiteral("codeViewer"));
    QVERIFY(code);
    QTRY_VERIFY(!code->toPlainText().isEmpty());
    QVERIFY2(!code->toPlainText().startsWith(QStringLiteral("//")), qPrintable(code->toPlainText().left(200)));
    QVERIFY(window.findChild<QMessageBox*>(QStringLiteral("featuresUnavailableBox")) == nullptr);
}

void WorkspaceWindowTest::sayingWhyWhenTheFeatureFileMoved()
{
    const QString moved = m_features + QStringLiteral(".moved");
    QVERIFY(QFile::rename(m_features, moved));
    {
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.openWorkspace(m_workspace);
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = window.findChild<QMessageBox*>(QStringLiteral("featuresUnavailableBox"))) != nullptr);
        QVERIFY2(box->text().contains(QDir::toNativeSeparators(m_features)) && box->text().contains(QStringLiteral("no longer exists")),
                 qPrintable(box->text()));
        QVERIFY(box->findChild<QPushButton*>(QStringLiteral("locateFeaturesButton")));
        QVERIFY(window.workspace()->features() == nullptr);
        // The run is still shown; its code pane names the real reason.
        window.showRun(m_runDirs.last());
        QTRY_COMPARE(window.currentRunDir(), m_runDirs.last());
        auto* table = window.samples()->findChild<QTableView*>(QStringLiteral("samplesTable"));
        QTRY_VERIFY(table->model()->rowCount() > 0);
        table->selectRow(0);
        auto* code = window.findChild<CodeViewer*>(QStringLiteral("codeViewer"));
        QTRY_VERIFY(code->toPlainText().contains(QStringLiteral("no longer exists")));
        QVERIFY(!code->toPlainText().contains(QStringLiteral("no /text")));
        // --screenshot still shows the run (without its code) and exits.
        const QString png = m_dir.filePath(QStringLiteral("moved.png"));
        const auto [code2, err] = screenshot(m_workspace, png);
        QVERIFY2(code2 == 0, qPrintable(err));
        QVERIFY(QFileInfo(png).size() > 0);
    }
    QVERIFY(QFile::rename(moved, m_features));
}

void WorkspaceWindowTest::screenshotOfACliWorkspaceExits()
{
    const QString png = m_dir.filePath(QStringLiteral("cli-ws.png"));
    const auto [code, err] = screenshot(m_workspace, png);
    QVERIFY2(code == 0, qPrintable(err));
    QVERIFY(QFileInfo(png).size() > 1000);
    // No run was trained for the picture: the newest one was shown.
    QCOMPARE(QDir(m_workspace + QStringLiteral("/runs")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 2);
}

void WorkspaceWindowTest::screenshotWithNothingToShowFailsWithAMessage()
{
    const QString empty = m_dir.filePath(QStringLiteral("empty-ws"));
    QDir().mkpath(empty);
    const QString png = m_dir.filePath(QStringLiteral("empty.png"));
    const auto [code, err] = screenshot(empty, png);
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("no finished run and no feature file")), qPrintable(err));
    QVERIFY(!QFileInfo::exists(png));
    // A view that does not exist is refused, not shown as the evaluation.
    const auto [badView, viewErr] = screenshot(m_workspace, png, {QStringLiteral("--view"), QStringLiteral("confusion")});
    QCOMPARE(badView, 2);
    QVERIFY2(viewErr.contains(QStringLiteral("--view confusion: expected training, evaluation, samples or compare")),
             qPrintable(viewErr));
    QVERIFY(!QFileInfo::exists(png));
    // A size Qt cannot paint is refused (100000x100000 crashed in QPainter).
    const auto [huge, hugeErr] = screenshot(m_workspace, png, {QStringLiteral("--size"), QStringLiteral("100000x100000")});
    QCOMPARE(huge, 2);
    QVERIFY2(hugeErr.contains(QStringLiteral("from 320x240 to 8192x8192")), qPrintable(hugeErr));
    QVERIFY(!QFileInfo::exists(png));
}

void WorkspaceWindowTest::selectionFollowsTheRunShown()
{
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), m_runDirs.last(), 60000);
    auto* panel = window.findChild<RunsPanel*>();
    QVERIFY(panel);
    QTRY_COMPARE(panel->selectedRunDirs(), QStringList{m_runDirs.last()});
    // Shown from elsewhere (as a sweep row's double-click does): the list follows.
    window.showRun(m_runDirs.first());
    QTRY_COMPARE(window.currentRunDir(), m_runDirs.first());
    QCOMPARE(panel->selectedRunDirs(), QStringList{m_runDirs.first()});
    // Clicking the other row shows it.
    QTreeWidget* tree = panel->tree();
    for (QTreeWidgetItemIterator it(tree); *it; ++it)
        if ((*it)->text(RunsPanel::NameColumn) == QLatin1String("second"))
            tree->setCurrentItem(*it);
    QTRY_COMPARE(window.currentRunDir(), m_runDirs.last());
    QCOMPARE(panel->selectedRunDirs(), QStringList{m_runDirs.last()});
}

void WorkspaceWindowTest::statusFollowsTheRunsProcess()
{
    // A run whose process (here a sleep standing in for headbench-cli train) is alive, then killed.
    QProcess process;
    process.start(QStringLiteral("sleep"), {QStringLiteral("120")});
    QVERIFY(process.waitForStarted());
    const QString ws = m_dir.filePath(QStringLiteral("ws-live"));
    const QString run = ws + QStringLiteral("/runs/20990101-000000-beef");
    QVERIFY(QDir().mkpath(run));
    QJsonObject running{{QStringLiteral("id"), QStringLiteral("20990101-000000-beef")},
                        {QStringLiteral("name"), QStringLiteral("live")},
                        {QStringLiteral("status"), QStringLiteral("running")},
                        {QStringLiteral("pid"), static_cast<qint64>(process.processId())},
                        {QStringLiteral("host"), QSysInfo::machineHostName()},
                        {QStringLiteral("created"), QStringLiteral("2099-01-01T00:00:00Z")},
                        {QStringLiteral("features"), QJsonObject{}}};
    QFile file(run + QStringLiteral("/running.json"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(running).toJson());
    file.close();

    MainWindow window;
    window.show();
    window.openWorkspace(ws);
    auto* panel = window.findChild<RunsPanel*>();
    auto status = [panel] {
        for (QTreeWidgetItemIterator it(panel->tree()); *it; ++it)
            if ((*it)->text(RunsPanel::NameColumn) == QLatin1String("live"))
                return (*it)->text(RunsPanel::StatusColumn);
        return QString();
    };
    QTRY_COMPARE(status(), QStringLiteral("running"));
    process.kill();
    process.waitForFinished();
    // No click, no reopening: the list notices.
    QTRY_COMPARE_WITH_TIMEOUT(status(), QStringLiteral("interrupted"), 10000);

    // A folder whose run.json is damaged appears (listed off the GUI thread) as "damaged", the
    // tooltip naming the file, instead of being left out.
    const QString broken = ws + QStringLiteral("/runs/20990102-000000-dead");
    QVERIFY(QDir().mkpath(broken));
    QFile damaged(broken + QStringLiteral("/run.json"));
    QVERIFY(damaged.open(QIODevice::WriteOnly));
    damaged.write("{\"id\": \"20990102-000000-dead\", \"name\": ");
    damaged.close();
    auto brokenItem = [panel] {
        for (QTreeWidgetItemIterator it(panel->tree()); *it; ++it)
            if ((*it)->text(RunsPanel::NameColumn) == QLatin1String("20990102-000000-dead"))
                return *it;
        return static_cast<QTreeWidgetItem*>(nullptr);
    };
    QTRY_VERIFY_WITH_TIMEOUT(brokenItem() != nullptr, 10000);
    QCOMPARE(brokenItem()->text(RunsPanel::StatusColumn), QStringLiteral("damaged"));
    QVERIFY2(brokenItem()->toolTip(RunsPanel::StatusColumn).contains(QStringLiteral("20990102-000000-dead: not a complete run")),
             qPrintable(brokenItem()->toolTip(RunsPanel::StatusColumn)));
    QCOMPARE(status(), QStringLiteral("interrupted")); // the other run is still listed
}

void WorkspaceWindowTest::thresholdBelongsToItsRun()
{
    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(window.currentRunDir(), m_runDirs.last(), 60000);
    auto* evaluation = window.findChild<EvaluationView*>();
    QVERIFY(evaluation);
    // A threshold chosen on one run does not carry over to the next.
    evaluation->setThreshold(0.3);
    QCOMPARE(evaluation->threshold(), 0.3);
    window.showRun(m_runDirs.first());
    QTRY_COMPARE(window.currentRunDir(), m_runDirs.first());
    QCOMPARE(evaluation->threshold(), 0.5);
    // Saved with the run, it comes back with it.
    evaluation->setThreshold(0.3);
    auto* save = evaluation->findChild<QToolButton*>(QStringLiteral("saveThresholdButton"));
    QVERIFY(save && save->isEnabled());
    save->click();
    QVERIFY(QFile(m_runDirs.first() + QStringLiteral("/run.json")).open(QIODevice::ReadOnly));
    QVERIFY2(window.statusText().startsWith(QStringLiteral("Threshold 0.300 saved")), qPrintable(window.statusText()));
    window.showRun(m_runDirs.last());
    QTRY_COMPARE(window.currentRunDir(), m_runDirs.last());
    QCOMPARE(evaluation->threshold(), 0.5);
    // The message was about the previous run: it does not stay under this one.
    QVERIFY2(!window.statusText().contains(QStringLiteral("saved")), qPrintable(window.statusText()));
    window.showRun(m_runDirs.first());
    QTRY_COMPARE(window.currentRunDir(), m_runDirs.first());
    QCOMPARE(evaluation->threshold(), 0.3);

    // headbench-cli eval uses the saved threshold by default; --threshold overrides it.
    const QStringList eval{QStringLiteral("eval"), QStringLiteral("--run"), m_runDirs.first(), QStringLiteral("--features"), m_features,
                           QStringLiteral("--json")};
    const QJsonObject saved = QJsonDocument::fromJson(cli(eval)).object();
    QCOMPARE(saved.value(QStringLiteral("threshold")).toDouble(), 0.3);
    const QJsonObject half =
        QJsonDocument::fromJson(cli(eval + QStringList{QStringLiteral("--threshold"), QStringLiteral("0.5")})).object();
    QCOMPARE(half.value(QStringLiteral("threshold")).toDouble(), 0.5);

    // Compare shows the run's figures at its threshold (as eval computes them).
    QSignalSpy compared(&window, &MainWindow::comparisonShown);
    window.compareRuns({m_runDirs.first(), m_runDirs.last()});
    QVERIFY(compared.wait(30000));
    auto* compare = window.findChild<RunCompareView*>();
    int f1Row = -1;
    for (int r = 0; r < compare->metricsTable()->rowCount(); ++r)
        if (compare->metricsTable()->verticalHeaderItem(r)->text() == QLatin1String("val F1"))
            f1Row = r;
    QVERIFY(f1Row >= 0);
    // F1 of class 1 at 0.3 on the run's validation rows, counted here.
    const RunPredictions p = loadPredictions(m_runDirs.first().toStdString());
    std::int64_t tp = 0, fp = 0, fn = 0;
    for (std::size_t r = 0; r < p.labels.size(); ++r)
        if (p.split[r] == kValidation) {
            const bool predicted = p.probabilities[2 * r + 1] >= 0.3, positive = p.labels[r] == 1;
            tp += predicted && positive;
            fp += predicted && !positive;
            fn += !predicted && positive;
        }
    const double expected = 2.0 * tp / (2.0 * tp + fp + fn);
    QCOMPARE(compare->metricsTable()->item(f1Row, 0)->text(), QString::number(expected, 'f', 3));
    // Cleared again for the tests that follow.
    setRunThreshold(m_runDirs.first().toStdString(), std::nullopt);
}

void WorkspaceWindowTest::runsOnDifferentDataAreNotRankedAndTheirSpecLoads()
{
    // Two runs on two feature files (other rows: 200 functions); their default names say which.
    const QString data = m_dir.filePath(QStringLiteral("data-other"));
    cli({QStringLiteral("demo"), QStringLiteral("--out"), data, QStringLiteral("--n"), QStringLiteral("200"), QStringLiteral("--seed"),
         QStringLiteral("7")});
    const QString other = m_dir.filePath(QStringLiteral("elsewhere/other-features.h5"));
    cli({QStringLiteral("extract"), QStringLiteral("--dataset"), data + QStringLiteral("/demo.jsonl"), QStringLiteral("--dim"),
         QStringLiteral("128"), QStringLiteral("--out"), other});
    const QString ws = m_dir.filePath(QStringLiteral("ws-mixed"));
    QStringList dirs, names;
    for (const QString& features : {m_features, other}) {
        const QJsonObject r = QJsonDocument::fromJson(cli({QStringLiteral("train"), QStringLiteral("--features"), features,
                                                           QStringLiteral("--workspace"), ws, QStringLiteral("--depth"),
                                                           QStringLiteral("1"), QStringLiteral("--width"), QStringLiteral("16"),
                                                           QStringLiteral("--epochs"), QStringLiteral("3"), QStringLiteral("--json")}))
                                  .object();
        dirs << r.value(QStringLiteral("dir")).toString();
        names << r.value(QStringLiteral("name")).toString();
    }
    QVERIFY2(names[0] != names[1], qPrintable(names.join(QStringLiteral(" / "))));
    QVERIFY2(names[0].endsWith(QStringLiteral("demo-features.h5")), qPrintable(names[0]));
    QVERIFY2(names[1].endsWith(QStringLiteral("other-features.h5")), qPrintable(names[1]));

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.openWorkspace(ws);
    QTRY_VERIFY_WITH_TIMEOUT(!window.currentRunDir().isEmpty(), 60000);
    // The runs list sorts by a metric column as numbers (test F1 carries its interval as text).
    auto* panel = window.findChild<RunsPanel*>();
    QTRY_COMPARE(panel->runCount(), 2);
    QTreeWidget* tree = panel->tree();
    tree->sortByColumn(RunsPanel::TestF1Column, Qt::AscendingOrder);
    const double first = tree->topLevelItem(0)->text(RunsPanel::TestF1Column).section(QLatin1Char(' '), 0, 0).toDouble();
    const double second = tree->topLevelItem(1)->text(RunsPanel::TestF1Column).section(QLatin1Char(' '), 0, 0).toDouble();
    QVERIFY2(first <= second, qPrintable(QStringLiteral("%1 then %2").arg(first).arg(second)));
    tree->sortByColumn(RunsPanel::TestF1Column, Qt::DescendingOrder);
    QVERIFY(tree->topLevelItem(0)->text(RunsPanel::TestF1Column).section(QLatin1Char(' '), 0, 0).toDouble() >= first);

    // Compare warns and names no best.
    QSignalSpy compared(&window, &MainWindow::comparisonShown);
    window.compareRuns(dirs);
    QVERIFY(compared.wait(30000));
    auto* compare = window.findChild<RunCompareView*>();
    QVERIFY(compare);
    auto* warning = compare->findChild<QLabel*>(QStringLiteral("compareDataWarning"));
    QVERIFY(warning);
    QVERIFY(warning->isVisibleTo(compare));
    QVERIFY2(warning->text().contains(QStringLiteral("different data")) && warning->text().contains(QStringLiteral("other-features.h5")),
             qPrintable(warning->text()));
    for (int r = 0; r < compare->metricsTable()->rowCount(); ++r)
        QVERIFY2(compare->bestRunOf(compare->metricsTable()->verticalHeaderItem(r)->text()).isEmpty(),
                 qPrintable(compare->metricsTable()->verticalHeaderItem(r)->text()));
    // The same feature file twice: no warning.
    window.compareRuns({m_runDirs.first(), m_runDirs.last()});
    QVERIFY(compared.wait(30000));
    QVERIFY(!warning->isVisibleTo(compare));
    // An export of the tab names both runs (it named the run shown in Evaluation).
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::CompareTab));
    QCOMPARE(window.viewCaption(), QStringLiteral("Compare: first vs second"));

    // Load spec into designer: the designer holds the run's head.
    auto* designer = window.findChild<HeadDesignerPanel*>();
    QVERIFY(designer);
    designer->setSpec(HeadSpec{});
    QVERIFY(window.loadSpecIntoDesigner(dirs.first()));
    QVERIFY(designer->spec().hidden == std::vector<int>{16});
    QCOMPARE(designer->spec().epochs, 3);
    QVERIFY(!designer->calibrateBox()->isChecked());
    QCOMPARE(designer->crossValidationBox()->value(), 0);
    // A cross-validated, calibrated run brings those settings back with its head.
    const QJsonObject cv = QJsonDocument::fromJson(cli({QStringLiteral("train"), QStringLiteral("--features"), m_features,
                                                        QStringLiteral("--workspace"), m_dir.filePath(QStringLiteral("ws-cv")),
                                                        QStringLiteral("--depth"), QStringLiteral("0"), QStringLiteral("--cv"),
                                                        QStringLiteral("3"), QStringLiteral("--calibrate"),
                                                        QStringLiteral("temperature"), QStringLiteral("--json")}))
                               .object();
    designer->repeatsBox()->setValue(3);
    QVERIFY(window.loadSpecIntoDesigner(cv.value(QStringLiteral("dir")).toString()));
    QVERIFY(designer->spec().hidden.empty());
    QVERIFY(designer->calibrateBox()->isChecked());
    QCOMPARE(designer->crossValidationBox()->value(), 3);
    QCOMPARE(designer->repeatsBox()->value(), 1);
    QVERIFY2(designer->problems().isEmpty(), qPrintable(designer->problems().join(QStringLiteral("; "))));
    QVERIFY(window.loadSpecIntoDesigner(dirs.first())); // and a plain run takes them away again
    QVERIFY(!designer->calibrateBox()->isChecked());
    QCOMPARE(designer->crossValidationBox()->value(), 0);
}

void WorkspaceWindowTest::epochAxesTickOnWholeEpochs()
{
    LossChartView chart;
    chart.resize(600, 300);
    QList<QPointF> loss;
    for (int e = 1; e <= 13; ++e)
        loss << QPointF(e, 1.0 / e);
    chart.setHistory(loss, loss, {});
    auto* x = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Horizontal).value(0));
    QVERIFY(x);
    // Ticks at 2, 4, … 12, never at fractional epochs.
    QCOMPARE(x->tickType(), QValueAxis::TicksDynamic);
    QCOMPARE(x->tickInterval(), 2.0);
    QCOMPARE(std::fmod(x->tickAnchor(), 1.0), 0.0);
    QCOMPARE(LossChartView::integerTickStep(5), 1);
    QCOMPARE(LossChartView::integerTickStep(40), 5);
    QCOMPARE(LossChartView::integerTickStep(150), 20);
    // One epoch: drawn as points around a tick at 1.
    chart.setHistory({QPointF(1, 0.6)}, {QPointF(1, 0.7)}, {});
    QVERIFY(x->min() < 1 && x->max() > 1);
    const auto series = chart.chart()->series();
    QVERIFY(!series.isEmpty());
    for (auto* s : series)
        if (auto* line = qobject_cast<QLineSeries*>(s); line && line->count() > 0)
            QVERIFY(line->pointsVisible());
}

void WorkspaceWindowTest::numericIdsSortAsNumbers()
{
    auto data = std::make_shared<SampleData>();
    data->ids = {"99989", "9990", "100", "12"};
    data->labels = {0, 1, 0, 1};
    data->probabilities = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f, 0.3f, 0.7f};
    data->numClasses = 2;
    data->labelNames = {"safe", "vulnerable"};
    SampleTableModel model;
    SampleFilterProxy proxy;
    proxy.setSourceModel(&model);
    model.setSamples(data, {0, 1, 2, 3});
    proxy.sort(SampleTableModel::IdColumn, Qt::AscendingOrder);
    QStringList order;
    for (int r = 0; r < proxy.rowCount(); ++r)
        order << proxy.index(r, SampleTableModel::IdColumn).data().toString();
    QCOMPARE(order, (QStringList{QStringLiteral("12"), QStringLiteral("100"), QStringLiteral("9990"), QStringLiteral("99989")}));
    // One id that is not a number: all sort as text.
    data->ids[3] = "x12";
    model.setSamples(data, {0, 1, 2, 3});
    proxy.sort(SampleTableModel::IdColumn, Qt::AscendingOrder);
    QCOMPARE(proxy.index(0, SampleTableModel::IdColumn).data().toString(), QStringLiteral("100"));
    QCOMPARE(proxy.index(3, SampleTableModel::IdColumn).data().toString(), QStringLiteral("x12"));
}

void WorkspaceWindowTest::reopeningFreesThePreviousMatrix()
{
    // Re-opening must not hold two matrices (a 600 MB file reached 2.5x its size in the window):
    // once the next file opens as a feature file, the previous matrix is released before the
    // read. A file that is not one leaves the previous features loaded.
    const QString nanFile = m_dir.filePath(QStringLiteral("nan.h5"));
    {
        FeatureSet set = readFeatureFile(m_features.toStdString());
        set.features[5] = std::numeric_limits<float>::quiet_NaN(); // opens, but reading refuses it
        writeFeatureFile(nanFile.toStdString(), set);
    }
    const QString notHdf5 = m_dir.filePath(QStringLiteral("not-hdf5.h5"));
    QFile junk(notHdf5);
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not a feature file\n");
    junk.close();

    WorkspaceController workspace;
    QSignalSpy loaded(&workspace, &WorkspaceController::featuresLoaded);
    QSignalSpy failed(&workspace, &WorkspaceController::errorOccurred);
    workspace.openFeatures(m_features);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    std::weak_ptr<const FeatureSet> first = workspace.features();
    QVERIFY(!first.expired());
    // The NaN file passes the open check, so the first matrix goes before its read fails.
    workspace.openFeatures(nanFile);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY(failed.last().at(0).toString().contains(QStringLiteral("NaN")));
    QVERIFY(first.expired());
    QVERIFY(!workspace.features());

    workspace.openFeatures(m_features);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
    const auto second = workspace.features();
    QVERIFY(second);
    QCOMPARE(second->rows, 300);
    // A file that is not a feature file: refused before anything is released.
    workspace.openFeatures(notHdf5);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 30000);
    QVERIFY(failed.last().at(0).toString().contains(QStringLiteral("not an HDF5 file")));
    QCOMPARE(workspace.features(), second);
}

void WorkspaceWindowTest::aJobArraysSweepLandsInOneGroup()
{
    // The tasks of a job array (sweep --shard I/2 --sweep-id) write into the workspace the window
    // has open: it lists them as one group, counting points of the whole sweep, as they land.
    const QString ws = m_dir.filePath(QStringLiteral("ws-array"));
    const QString grid = m_dir.filePath(QStringLiteral("array-grid.json"));
    QFile g(grid);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(R"({"base": {"epochs": 2, "hidden": [8]}, "grid": {"lr": [0.001, 0.01, 0.1], "dropout": [0.0, 0.5]}})");
    g.close();
    const auto task = [&](const char* shard) {
        cli({QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("sweep"), QStringLiteral("--features"), m_features,
             QStringLiteral("--workspace"), ws, QStringLiteral("--grid"), grid, QStringLiteral("--leakage"), QStringLiteral("off"),
             QStringLiteral("--shard"), QLatin1String(shard), QStringLiteral("--sweep-id"), QStringLiteral("array-1")});
    };
    task("0/2");
    MainWindow window;
    window.show();
    window.openWorkspace(ws);
    auto* panel = window.findChild<RunsPanel*>();
    auto group = [panel]() -> QTreeWidgetItem* {
        for (int i = 0; i < panel->tree()->topLevelItemCount(); ++i)
            if (panel->tree()->topLevelItem(i)->text(RunsPanel::NameColumn) == QLatin1String("array-1"))
                return panel->tree()->topLevelItem(i);
        return nullptr;
    };
    QTRY_VERIFY(group() != nullptr);
    QCOMPARE(group()->text(RunsPanel::StatusColumn), QStringLiteral("3/6 done"));
    QCOMPARE(group()->toolTip(RunsPanel::StatusColumn), QStringLiteral("3 of 6 finished"));
    QCOMPARE(group()->childCount(), 3);
    task("1/2"); // the other task lands: no click, no reopening
    QTRY_COMPARE_WITH_TIMEOUT(group() ? group()->text(RunsPanel::StatusColumn) : QString(), QStringLiteral("6/6 done"),
                              10000);
    QCOMPARE(group()->childCount(), 6);
    QCOMPARE(panel->tree()->topLevelItemCount(), 1);
    // The status column shows the group's line whole (it was cut to "6 of 6 fir...").
    QVERIFY(panel->tree()->columnWidth(RunsPanel::StatusColumn) >
            panel->tree()->fontMetrics().horizontalAdvance(group()->text(RunsPanel::StatusColumn)));
}

QTEST_MAIN(WorkspaceWindowTest)
#include "WorkspaceWindowTest.moc"
