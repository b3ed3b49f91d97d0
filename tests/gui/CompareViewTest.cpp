// The comparison view built from two saved runs, offscreen.
#include "CodeViewer.h"
#include "ElidedLabel.h"
#include "RunCompareView.h"
#include "RunsPanel.h"

#include <headbench/compute/Runtime.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Compare.h>
#include <headbench/runs/RunComparison.h>
#include <headbench/train/Trainer.h>

#include "TestUtil.h"

#include <QAction>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeWidget>
#include <QtTest>

#include <cmath>

using namespace headbench;

class CompareViewTest : public QObject {
    Q_OBJECT
private:
    std::vector<RunRecord> showSavedRuns(RunsPanel& panel);

private Q_SLOTS:
    void initTestCase();
    void showsTwoSavedRunsSideBySide();
    void runsPanelGroupsSweepsAndMarksState();
    void windowAndCliAgreeAtASavedThreshold();
    void aPlainClickSelectsOneRun();
    void f2RenamesAndDeleteAsksToDelete();
    void showsTheCrossValidationMeanAndSd();
    void longRunNamesDoNotWidenTheView();
    void elidedLabelCutsToItsWidth();

private:
    test::TempDir m_dir;
    FeatureSet m_data;
    std::vector<std::string> m_dirs;
};

void CompareViewTest::initTestCase()
{
    configureRuntime(2);
    m_data = test::blobs(600, 12, 2, 21, 2.2);
    m_data.texts.resize(600);
    m_data.ids.resize(600);
    for (int i = 0; i < 600; ++i) {
        m_data.texts.set(i, "int f" + std::to_string(i) + "(void);");
        m_data.ids[i] = "fn" + std::to_string(i);
    }
    m_data.path = m_dir.file("f.h5");
    writeFeatureFile(m_data.path, m_data);
    HeadSpec probe;
    probe.hidden = {};
    probe.epochs = 3;
    HeadSpec mlp;
    mlp.hidden = {32};
    mlp.activation = Activation::Gelu;
    mlp.epochs = 6;
    mlp.learningRate = 0.01;
    m_dirs.push_back(saveRun(m_dir.file("ws"), m_data, probe, trainHead(m_data, probe), "probe").dir);
    m_dirs.push_back(saveRun(m_dir.file("ws"), m_data, mlp, trainHead(m_data, mlp), "mlp").dir);
}

void CompareViewTest::showsTwoSavedRunsSideBySide()
{
    std::vector<ComparedRun> runs;
    for (const auto& d : m_dirs)
        runs.push_back({loadRun(d), loadPredictions(d)});
    const RunRecord a = runs[0].record, b = runs[1].record;
    const TextColumn texts = m_data.texts;
    RunCompareView view;
    view.setComparison(compareLoadedRuns(runs), texts);
    view.resize(1100, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    // Metrics: one column per run, the best value of each row marked.
    QTableWidget* metrics = view.metricsTable();
    QCOMPARE(metrics->columnCount(), 2);
    int f1Row = -1;
    for (int r = 0; r < metrics->rowCount(); ++r)
        if (metrics->verticalHeaderItem(r)->text() == QStringLiteral("test F1"))
            f1Row = r;
    QVERIFY(f1Row >= 0);
    QCOMPARE(metrics->item(f1Row, 0)->text(), QString::number(a.test.f1, 'f', 3));
    QCOMPARE(metrics->item(f1Row, 1)->text(), QString::number(b.test.f1, 'f', 3));
    const int better = b.test.f1 > a.test.f1 ? 1 : 0;
    QVERIFY(metrics->item(f1Row, better)->font().bold());
    QVERIFY(!metrics->item(f1Row, 1 - better)->font().bold());
    QCOMPARE(view.bestRunOf(QStringLiteral("parameters")), metrics->horizontalHeaderItem(0)->text()); // the probe is smaller

    // Differences: only the fields that differ.
    QStringList fields;
    for (int r = 0; r < view.differencesTable()->rowCount(); ++r)
        fields << view.differencesTable()->verticalHeaderItem(r)->text();
    QCOMPARE(fields, (QStringList{QStringLiteral("hidden"), QStringLiteral("activation"), QStringLiteral("lr"), QStringLiteral("epochs")}));

    // McNemar and the disagreements agree with the backend.
    const auto paired = pairOutcomes(runs[0].predictions, runs[1].predictions, kTest);
    const McNemarResult t = mcnemar(paired.firstCorrect, paired.secondCorrect);
    QVERIFY(view.mcnemarLabel()->text().contains(QStringLiteral("p = %1").arg(t.pValue, 0, 'g', 4)));
    QCOMPARE(static_cast<std::int64_t>(view.disagreementTable()->rowCount()), t.onlyFirstCorrect + t.onlySecondCorrect);
    if (view.disagreementTable()->rowCount() > 0) {
        view.tabs()->setCurrentIndex(5);
        view.disagreementTable()->setCurrentCell(0, 0);
        const QString id = view.disagreementTable()->item(0, 0)->text();
        QCOMPARE(view.codeViewer()->toPlainText(), QStringLiteral("int f%1(void);").arg(id.mid(2)));
    }
}

// Four runs with long names (sweep points) must not make the view wider than a 1024-wide
// screen: the window grew to 1374 px and pushed the designer and Train off screen.
void CompareViewTest::longRunNamesDoNotWidenTheView()
{
    std::vector<ComparedRun> runs;
    for (int i = 0; i < 4; ++i) {
        runs.push_back({loadRun(m_dirs[static_cast<std::size_t>(i % 2)]), loadPredictions(m_dirs[static_cast<std::size_t>(i % 2)])});
        runs.back().record.id += "-" + std::to_string(i); // four runs: compare refuses one run twice
        runs.back().record.name = "1x64 gelu, ce · activation=gelu, dropout=0." + std::to_string(i) +
                                  ", learning_rate=0.001, weight_decay=0.0001 · juliet-features-layer-12.h5";
    }
    RunCompareView view;
    view.setComparison(compareLoadedRuns(runs), m_data.texts);
    for (int tab = 0; tab < view.tabs()->count(); ++tab) {
        view.tabs()->setCurrentIndex(tab);
        QVERIFY2(view.minimumSizeHint().width() < 700,
                 qPrintable(QStringLiteral("tab %1: %2 px").arg(tab).arg(view.minimumSizeHint().width())));
    }
    view.resize(700, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    // The names are cut with "…" and whole in the tooltips.
    QTableWidget* metrics = view.metricsTable();
    for (int c = 0; c < metrics->columnCount(); ++c) {
        QVERIFY(metrics->columnWidth(c) < 400);
        QCOMPARE(metrics->horizontalHeaderItem(c)->toolTip(), metrics->horizontalHeaderItem(c)->text());
    }
    const auto titles = view.findChildren<ElidedLabel*>();
    QCOMPARE(titles.size(), 4);
    for (ElidedLabel* t : titles) {
        QVERIFY(t->fullText().contains(QStringLiteral("juliet-features-layer-12.h5")));
        QCOMPARE(t->toolTip(), t->fullText());
    }
}

// Names of any length fit the room given: cut with "…", whole in the tooltip, never asking for
// more than an ellipsis' width as a minimum.
void CompareViewTest::elidedLabelCutsToItsWidth()
{
    ElidedLabel label;
    const QString name = QStringLiteral("1x64 relu, ce · activation=relu, dropout=0.3 · juliet.h5");
    label.setFullText(name);
    label.resize(120, 30);
    label.show();
    QVERIFY(QTest::qWaitForWindowExposed(&label));
    QVERIFY2(label.text().endsWith(QStringLiteral("…")), qPrintable(label.text()));
    QVERIFY(name.startsWith(label.text().chopped(1)));
    QVERIFY(label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width());
    QCOMPARE(label.toolTip(), name);
    QVERIFY(label.minimumSizeHint().width() < 40);
    label.resize(label.sizeHint().width() + 20, 30);
    QTRY_COMPARE(label.text(), name);
}

void CompareViewTest::runsPanelGroupsSweepsAndMarksState()
{
    std::vector<RunRecord> runs;
    for (const auto& d : m_dirs)
        runs.push_back(loadRun(d));
    runs[1].sweepId = "sweep-1";
    runs[1].sweepParams = R"({"depth":1})";
    runs[1].sweepPoint = 2;
    runs[1].name = "1x32 gelu, ce · depth=1 · features.h5"; // a sweep point's default name
    RunRecord interrupted = runs[0];
    interrupted.status = "interrupted";
    interrupted.dir = "/nowhere";
    runs.push_back(interrupted);
    RunsPanel panel;
    panel.setRuns(runs, {FeaturesState::Changed, FeaturesState::Same, FeaturesState::Same});
    QCOMPARE(panel.runCount(), 3);
    QCOMPARE(panel.tree()->topLevelItemCount(), 3); // probe, the sweep group, the interrupted run
    QTreeWidgetItem* changed = nullptr;
    QTreeWidgetItem* group = nullptr;
    QTreeWidgetItem* broken = nullptr;
    for (int i = 0; i < panel.tree()->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = panel.tree()->topLevelItem(i);
        if (item->text(RunsPanel::NameColumn) == QStringLiteral("sweep-1"))
            group = item;
        else if (item->text(RunsPanel::StatusColumn) == QStringLiteral("interrupted"))
            broken = item;
        else
            changed = item;
    }
    QVERIFY(group && broken && changed);
    QCOMPARE(group->childCount(), 1);
    QCOMPARE(group->child(0)->text(RunsPanel::HeadColumn), QStringLiteral(R"({"depth":1})"));
    // Under its sweep a point is told by its number and values (the default name was cut before
    // them); the whole name is its tooltip's first line, then what tells same-named runs apart.
    QCOMPARE(group->child(0)->text(RunsPanel::NameColumn), QStringLiteral("3 · depth=1"));
    const QStringList tip = group->child(0)->toolTip(RunsPanel::NameColumn).split(QLatin1Char('\n'));
    QCOMPARE(tip.value(0), QStringLiteral("1x32 gelu, ce · depth=1 · features.h5"));
    QVERIFY2(tip.value(1).startsWith(QStringLiteral("trained 20")) && tip.value(2).contains(QStringLiteral(" epochs, best ")) &&
                 tip.value(3).startsWith(QStringLiteral("validation F1 0.")),
             qPrintable(tip.join(QStringLiteral(" | "))));
    QCOMPARE(changed->text(RunsPanel::StatusColumn), QStringLiteral("features changed"));
    // Interrupted runs can be selected but never compared or opened.
    broken->setSelected(true);
    QVERIFY(panel.selectedRunDirs().isEmpty());
}

// The reported disagreement: with a threshold saved in run.json the window showed that run at it
// while `headbench-cli compare` printed the 0.5 figures. Both now show compareRuns' value: the
// Compare view's table and `compare --json` give the same figures, at the saved threshold.
void CompareViewTest::windowAndCliAgreeAtASavedThreshold()
{
    setRunThreshold(m_dirs[1], 0.3);
    const RunRecord atHalf = loadRun(m_dirs[1]); // metrics.json keeps the 0.5 figures
    RunCompareView view;
    view.setComparison(compareRuns(m_dirs));
    QProcess cli;
    cli.start(QStringLiteral(HEADBENCH_CLI), {QStringLiteral("compare"), QString::fromStdString(m_dirs[0]),
                                              QString::fromStdString(m_dirs[1]), QStringLiteral("--json")});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject json = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const QJsonArray runs = json.value(QStringLiteral("runs")).toArray();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(runs[1].toObject().value(QStringLiteral("threshold")).toDouble(), 0.3);
    QTableWidget* table = view.metricsTable();
    bool movedByThreshold = false;
    for (int run = 0; run < 2; ++run) {
        const QJsonObject metrics = runs[run].toObject().value(QStringLiteral("metrics")).toObject();
        for (const auto& [split, key] : {std::pair{QStringLiteral("val"), QStringLiteral("val")},
                                         std::pair{QStringLiteral("test"), QStringLiteral("test")}}) {
            const QJsonObject m = metrics.value(key).toObject();
            for (const MetricField& f : metricFields()) {
                const QString name = split + QLatin1Char(' ') + QString::fromUtf8(f.label);
                int row = -1;
                for (int r = 0; r < table->rowCount(); ++r)
                    if (table->verticalHeaderItem(r)->text() == name)
                        row = r;
                QVERIFY2(row >= 0, qPrintable(name));
                const QJsonValue v = m.value(QString::fromUtf8(f.json));
                if (v.isNull())
                    continue;
                QCOMPARE(table->item(row, run)->text(), QString::number(v.toDouble(), 'f', f.decimals));
                if (run == 1 && key == QStringLiteral("test") && f.thresholdDependent)
                    movedByThreshold = movedByThreshold || std::abs(v.toDouble() - atHalf.test.*f.value) > 1e-9;
            }
        }
    }
    QVERIFY2(movedByThreshold, "threshold 0.3 should change a test figure of the second run");
    // McNemar's counts: the CLI's numbers are the view's.
    const QJsonObject m = json.value(QStringLiteral("mcnemar")).toObject();
    const QString text = view.mcnemarLabel()->text();
    QVERIFY(text.contains(QStringLiteral("alone right on <b>%1</b>").arg(m.value(QStringLiteral("only_first_correct")).toInt())));
    QVERIFY(text.contains(QStringLiteral("alone right on <b>%1</b>").arg(m.value(QStringLiteral("only_second_correct")).toInt())));
    QVERIFY(text.contains(QStringLiteral("saved threshold 0.3")));
    setRunThreshold(m_dirs[1], std::nullopt);
}

/// The two saved runs, listed in `panel`, shown on screen.
std::vector<RunRecord> CompareViewTest::showSavedRuns(RunsPanel& panel)
{
    std::vector<RunRecord> runs;
    for (const auto& d : m_dirs)
        runs.push_back(loadRun(d));
    panel.resize(600, 300);
    panel.show();
    if (!QTest::qWaitForWindowExposed(&panel))
        qWarning("the runs panel was not exposed");
    panel.setRuns(runs, {FeaturesState::Same, FeaturesState::Same});
    return runs;
}

// With two runs selected, a plain click on one of them kept both selected.
void CompareViewTest::aPlainClickSelectsOneRun()
{
    RunsPanel panel;
    const std::vector<RunRecord> runs = showSavedRuns(panel);
    QTreeWidget* tree = panel.tree();
    QTreeWidgetItem* first = tree->topLevelItem(0);
    QTreeWidgetItem* second = tree->topLevelItem(1);
    const QPoint a(30, tree->visualItemRect(first).center().y()), b(30, tree->visualItemRect(second).center().y());
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, a);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, Qt::ControlModifier, b);
    QCOMPARE(panel.selectedRunDirs().size(), 2);
    QTest::qWait(QApplication::doubleClickInterval() + 50); // not a double click
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, a);
    QCOMPARE(panel.selectedRunDirs().size(), 1);
    QCOMPARE(panel.selectedRunDirs().first(), QString::fromStdString(first->text(RunsPanel::NameColumn) == QString::fromStdString(runs[0].name) ? runs[0].dir : runs[1].dir));
}

// F2 edits the current run's name and Delete asks to delete the selected runs, with the keys
// shown in the context menu and listed by Help ▸ Keyboard shortcuts (from the same actions).
void CompareViewTest::f2RenamesAndDeleteAsksToDelete()
{
    RunsPanel panel;
    showSavedRuns(panel);
    QTreeWidget* tree = panel.tree();
    QTreeWidgetItem* first = tree->topLevelItem(0);
    tree->setFocus();
    tree->setCurrentItem(first);
    QSignalSpy renamed(&panel, &RunsPanel::renameRequested);
    QSignalSpy deleted(&panel, &RunsPanel::deleteRequested);
    QTest::keyClick(tree, Qt::Key_F2);
    QLineEdit* editor = nullptr;
    QTRY_VERIFY((editor = tree->findChild<QLineEdit*>()) && editor->isVisible());
    editor->selectAll();
    QTest::keyClicks(editor, QStringLiteral("renamed by F2"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(renamed.count(), 1);
    QCOMPARE(renamed.first().at(1).toString(), QStringLiteral("renamed by F2"));
    QCOMPARE(deleted.count(), 0);

    tree->setFocus();
    tree->selectAll();
    QTest::keyClick(tree, Qt::Key_Delete);
    QCOMPARE(deleted.count(), 1);
    QStringList dirs = deleted.first().first().toStringList();
    dirs.sort();
    QStringList want;
    for (const auto& d : m_dirs)
        want << QString::fromStdString(d);
    want.sort();
    QCOMPARE(dirs, want);

    QStringList listed;
    for (QAction* a : tree->actions())
        listed << a->property("shortcutPlace").toString() + QLatin1Char('|') + a->shortcut().toString();
    QVERIFY2(listed.contains(QStringLiteral("Runs list|F2")) && listed.contains(QStringLiteral("Runs list|Del")),
             qPrintable(listed.join(QLatin1Char(','))));
}

// Issue 24: the fold mean ± sd of a run trained with cross-validation was in cv.json only; the
// Compare view shows it beside the single split's figures, as `compare --json` does.
void CompareViewTest::showsTheCrossValidationMeanAndSd()
{
    const QString ws = QString::fromStdString(m_dir.file("ws-cv"));
    QStringList dirs;
    for (const QStringList& extra : {QStringList{QStringLiteral("--cv"), QStringLiteral("3")}, QStringList{}}) {
        QProcess cli;
        cli.start(QStringLiteral(HEADBENCH_CLI), QStringList{QStringLiteral("train"), QStringLiteral("--features"),
                                                             QString::fromStdString(m_data.path), QStringLiteral("--workspace"), ws,
                                                             QStringLiteral("--depth"), QStringLiteral("0"), QStringLiteral("--json")} +
                                                     extra);
        QVERIFY(cli.waitForFinished(120000));
        QCOMPARE(cli.exitCode(), 0);
        dirs << QJsonDocument::fromJson(cli.readAllStandardOutput()).object().value(QStringLiteral("dir")).toString();
    }
    QFile cvFile(dirs[0] + QStringLiteral("/cv.json"));
    QVERIFY(cvFile.open(QIODevice::ReadOnly));
    const QJsonObject cv = QJsonDocument::fromJson(cvFile.readAll()).object();
    RunCompareView view;
    view.setComparison(compareRuns({dirs[0].toStdString(), dirs[1].toStdString()}));
    QTableWidget* table = view.metricsTable();
    int checked = 0;
    for (const MetricField& f : metricFields()) {
        const QString name = QStringLiteral("CV %1 (mean ± sd)").arg(QString::fromUtf8(f.label));
        int row = -1;
        for (int r = 0; r < table->rowCount(); ++r)
            if (table->verticalHeaderItem(r)->text() == name)
                row = r;
        QVERIFY2(row >= 0, qPrintable(name));
        const QJsonValue mean = cv.value(QStringLiteral("mean")).toObject().value(QString::fromUtf8(f.json));
        const QJsonValue sd = cv.value(QStringLiteral("sd")).toObject().value(QString::fromUtf8(f.json));
        if (mean.isNull() || sd.isNull())
            continue;
        QCOMPARE(table->item(row, 0)->text(), QStringLiteral("%1 ± %2").arg(mean.toDouble(), 0, 'f', f.decimals).arg(sd.toDouble(), 0, 'f', f.decimals));
        QCOMPARE(table->item(row, 1)->text(), QStringLiteral("–")); // trained without cross-validation
        ++checked;
    }
    QVERIFY(checked >= 4);
    QVERIFY(view.dataWarning()->isHidden());

    // A damaged cv.json: the run is still compared, its CV rows say "–", and the warning names
    // the file.
    QVERIFY(cvFile.remove());
    QVERIFY(cvFile.open(QIODevice::WriteOnly));
    cvFile.write("{\"k\": 5, \"mean\": ");
    cvFile.close();
    view.setComparison(compareRuns({dirs[0].toStdString(), dirs[1].toStdString()}));
    QVERIFY(!view.dataWarning()->isHidden());
    // The file's name and what is wrong with it, in words; its whole path in the tooltip.
    const QString warning = view.dataWarning()->text();
    QVERIFY2(warning.contains(QStringLiteral("cv.json of '")), qPrintable(warning));
    QVERIFY2(warning.contains(QStringLiteral("is damaged (cut short at line 1, column 18): its cross-validation figures are left out")),
             qPrintable(warning));
    QVERIFY2(!warning.contains(QStringLiteral("json.exception")), qPrintable(warning));
    QCOMPARE(view.dataWarning()->toolTip(), cvFile.fileName());
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->verticalHeaderItem(r)->text().startsWith(QStringLiteral("CV ")))
            QCOMPARE(table->item(r, 0)->text(), QStringLiteral("–"));
}


QTEST_MAIN(CompareViewTest)
#include "CompareViewTest.moc"
