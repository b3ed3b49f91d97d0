// The controller that shows saved runs, driven alone (no window): which feature file a run asks
// for, a run whose feature file moved, and Locate… with a wrong and the right file.
#include "RunShowController.h"
#include "SampleTableModel.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/train/Trainer.h>

#include "TestUtil.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include <filesystem>

using namespace headbench;

namespace {

/// Two-class blobs with texts and ids, written to `path`.
FeatureSet featureFile(const std::string& path, std::uint64_t seed)
{
    FeatureSet data = test::blobs(300, 8, 2, seed, 1.5);
    data.texts.resize(300);
    data.ids.resize(300);
    for (int i = 0; i < 300; ++i) {
        data.texts.set(i, "int f" + std::to_string(seed) + "_" + std::to_string(i) + "(void);");
        data.ids[i] = "fn" + std::to_string(i);
    }
    data.path = path;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    writeFeatureFile(path, data);
    return data;
}

/// A workspace, the training state and the controller, wired as the window wires them.
struct Harness {
    WorkspaceController workspace;
    TrainingController training;
    RunShowController runs{&workspace, &training};
    std::vector<LoadedRun> loaded; ///< every runLoaded, in order
    QStringList errors;

    Harness()
    {
        QObject::connect(&workspace, &WorkspaceController::workspaceChanged, &runs, &RunShowController::workspaceChanged);
        QObject::connect(&workspace, &WorkspaceController::featuresLoaded, &runs, &RunShowController::featuresLoaded);
        QObject::connect(&workspace, &WorkspaceController::errorOccurred, &runs, &RunShowController::featuresFailed);
        QObject::connect(&workspace, &WorkspaceController::runFeaturesUnavailable, &runs, &RunShowController::featuresUnavailable);
        QObject::connect(&runs, &RunShowController::featuresNeeded, &workspace, [this](const QString& path) { workspace.openFeatures(path); });
        QObject::connect(&runs, &RunShowController::runLoaded, &runs, [this](const LoadedRun& run) { loaded.push_back(run); });
        QObject::connect(&runs, &RunShowController::error, &runs, [this](const QString& message) { errors << message; });
    }
};

QString canonical(const QString& path)
{
    return QFileInfo(path).canonicalFilePath();
}

} // namespace

class RunShowControllerTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void showsTheNewestRunWithItsOwnFeatures();
    void aRunOnAnotherFeatureFileAsksForIt();
    void aMovedFeatureFileIsReportedAndLocated();
    void anotherWorkspaceClearsTheRunShown();
    void deletingTheRunShownClearsIt();

private:
    test::TempDir m_dir;
    QString m_workspace;
    QString m_featuresA, m_featuresB; ///< both outside the workspace; B's run is the newer
    QString m_runA, m_runB;
};

void RunShowControllerTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    m_workspace = QString::fromStdString(m_dir.file("ws"));
    m_featuresA = QString::fromStdString(m_dir.file("elsewhere/a.h5"));
    m_featuresB = QString::fromStdString(m_dir.file("elsewhere/b.h5"));
    HeadSpec probe;
    probe.hidden = {};
    probe.epochs = 2;
    const FeatureSet a = featureFile(m_featuresA.toStdString(), 1);
    m_runA = QString::fromStdString(saveRun(m_workspace.toStdString(), a, probe, trainHead(a, probe), "on-a").dir);
    QTest::qWait(1100); // distinct creation times: the run on B is the newest
    const FeatureSet b = featureFile(m_featuresB.toStdString(), 2);
    m_runB = QString::fromStdString(saveRun(m_workspace.toStdString(), b, probe, trainHead(b, probe), "on-b").dir);
}

void RunShowControllerTest::showsTheNewestRunWithItsOwnFeatures()
{
    Harness h;
    QSignalSpy needed(&h.runs, &RunShowController::featuresNeeded);
    QSignalSpy missing(&h.runs, &RunShowController::featuresMissing);
    h.workspace.openWorkspace(m_workspace);
    // The workspace loads the newest run's file; the controller then shows that run.
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(1), 30000);
    QCOMPARE(h.loaded.back().dir, m_runB);
    QCOMPARE(h.runs.currentRunDir(), m_runB);
    QCOMPARE(h.runs.requestedRunDir(), m_runB);
    QCOMPARE(needed.count(), 0);
    QCOMPARE(missing.count(), 0);
    QVERIFY(h.errors.isEmpty());
    // Its own file is loaded: the samples carry its texts.
    QVERIFY(h.loaded.back().samples);
    QCOMPARE(h.loaded.back().samples->texts.size(), std::size_t(300));
    QCOMPARE(h.loaded.back().samples->texts.front(), std::string("int f2_0(void);"));
}

void RunShowControllerTest::aRunOnAnotherFeatureFileAsksForIt()
{
    Harness h;
    h.workspace.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(1), 30000);
    QTRY_VERIFY(!h.workspace.busy());

    QSignalSpy needed(&h.runs, &RunShowController::featuresNeeded);
    h.runs.showRun(m_runA);
    // Asked for at once; the run waits for it (the one shown stays until then).
    QCOMPARE(needed.count(), 1);
    QCOMPARE(canonical(needed.first().at(0).toString()), canonical(m_featuresA));
    QCOMPARE(h.runs.requestedRunDir(), m_runA);
    QCOMPARE(h.runs.currentRunDir(), m_runB);
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(2), 30000);
    QCOMPARE(h.loaded.back().dir, m_runA);
    QCOMPARE(h.runs.currentRunDir(), m_runA);
    QCOMPARE(canonical(h.workspace.featuresPath()), canonical(m_featuresA));
    QCOMPARE(h.loaded.back().samples->texts.front(), std::string("int f1_0(void);"));
    QVERIFY(h.errors.isEmpty());

    // Back to the run on B: its file is asked for again.
    QTRY_VERIFY(!h.workspace.busy());
    h.runs.showRun(m_runB);
    QCOMPARE(needed.count(), 2);
    QCOMPARE(canonical(needed.last().at(0).toString()), canonical(m_featuresB));
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(3), 30000);
    QCOMPARE(h.loaded.back().dir, m_runB);
}

void RunShowControllerTest::aMovedFeatureFileIsReportedAndLocated()
{
    const QString moved = QString::fromStdString(m_dir.file("moved/b-renamed.h5"));
    QVERIFY(QDir().mkpath(QFileInfo(moved).absolutePath()));
    QVERIFY(QFile::rename(m_featuresB, moved));
    {
        Harness h;
        QSignalSpy missing(&h.runs, &RunShowController::featuresMissing);
        QSignalSpy needed(&h.runs, &RunShowController::featuresNeeded);
        h.workspace.openWorkspace(m_workspace);
        // The newest run's file is gone: the controller passes the reason on.
        QCOMPARE(missing.count(), 1);
        QCOMPARE(missing.first().at(0).toString(), m_runB);
        QCOMPARE(missing.first().at(1).toString(), QFileInfo(m_featuresB).absoluteFilePath());
        const QString reason = missing.first().at(2).toString();
        QVERIFY2(reason.contains(QDir::toNativeSeparators(m_featuresB)) && reason.contains(QStringLiteral("no longer exists")),
                 qPrintable(reason));
        QVERIFY(h.workspace.features() == nullptr);

        // Shown without its features; the code pane gives that reason.
        h.runs.showRun(m_runB);
        QCOMPARE(needed.count(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(1), 30000);
        QCOMPARE(h.loaded.back().dir, m_runB);
        QVERIFY(h.loaded.back().samples->texts.empty());
        QCOMPARE(QString::fromStdString(h.loaded.back().samples->textsMissingReason), reason);

        // Locate… with a file of another hash: refused, naming the file; nothing changes.
        QVERIFY(!h.runs.locate(m_runB, m_featuresA));
        QCOMPARE(h.errors.size(), 1);
        QVERIFY2(h.errors.first().contains(QDir::toNativeSeparators(m_featuresA)) && h.errors.first().contains(QStringLiteral("on-b")) &&
                     h.errors.first().contains(QStringLiteral("hash differs")),
                 qPrintable(h.errors.first()));
        QCOMPARE(needed.count(), 0);
        const RunRecord record = loadRun(m_runB.toStdString());
        QCOMPARE(h.runs.runFeaturesPath(record), QString::fromStdString(record.featuresPath));
        // A file that cannot be read is refused with its error.
        QVERIFY(!h.runs.locate(m_runB, QString::fromStdString(m_dir.file("nowhere.h5"))));
        QCOMPARE(h.errors.size(), 2);

        // The right file: recorded, asked for, and the run shown with its texts.
        QVERIFY(h.runs.locate(m_runB, moved));
        QCOMPARE(h.runs.runFeaturesPath(record), QFileInfo(moved).absoluteFilePath());
        QCOMPARE(needed.count(), 1);
        QCOMPARE(needed.first().at(0).toString(), QFileInfo(moved).absoluteFilePath());
        QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(2), 30000);
        QCOMPARE(h.loaded.back().dir, m_runB);
        QCOMPARE(h.loaded.back().samples->texts.size(), std::size_t(300));
        QVERIFY(h.loaded.back().samples->textsMissingReason.empty());
        QCOMPARE(h.errors.size(), 2);
    }
    QVERIFY(QFile::rename(moved, m_featuresB));
}

void RunShowControllerTest::anotherWorkspaceClearsTheRunShown()
{
    Harness h;
    h.workspace.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(1), 30000);
    QTRY_VERIFY(!h.workspace.busy());
    QSignalSpy cleared(&h.runs, &RunShowController::runCleared);
    // Opening the same workspace again keeps the run; another one drops it.
    h.workspace.openWorkspace(m_workspace);
    QCOMPARE(cleared.count(), 0);
    QCOMPARE(h.runs.currentRunDir(), m_runB);
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(2), 30000); // its newest run, shown again
    QTRY_VERIFY(!h.workspace.busy());
    h.workspace.openWorkspace(QString::fromStdString(m_dir.file("other-ws")));
    QCOMPARE(cleared.count(), 1);
    QVERIFY(h.runs.currentRunDir().isEmpty());
    QVERIFY(h.runs.requestedRunDir().isEmpty());
}

// A deleted run stayed on screen and "Save threshold with run" then failed on its folder.
void RunShowControllerTest::deletingTheRunShownClearsIt()
{
    Harness h;
    h.workspace.openWorkspace(m_workspace);
    QTRY_COMPARE_WITH_TIMEOUT(h.loaded.size(), std::size_t(1), 30000);
    QTRY_VERIFY(!h.workspace.busy());
    QCOMPARE(h.runs.currentRunDir(), m_runB);
    QSignalSpy cleared(&h.runs, &RunShowController::runCleared);
    h.runs.runsDeleted({m_runA}); // another run: the shown one stays
    QCOMPARE(cleared.count(), 0);
    QCOMPARE(h.runs.currentRunDir(), m_runB);
    h.runs.runsDeleted({m_runA, m_runB + QStringLiteral("/")}); // the same folder, written another way
    QCOMPARE(cleared.count(), 1);
    QVERIFY(h.runs.currentRunDir().isEmpty());
    QVERIFY(h.runs.requestedRunDir().isEmpty());
}

QTEST_GUILESS_MAIN(RunShowControllerTest)
#include "RunShowControllerTest.moc"
