#include "RunShowController.h"

#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>
#include <utility>

namespace headbench {

RunShowController::RunShowController(const WorkspaceController* workspace, const TrainingController* training, QObject* parent)
    : QObject(parent)
    , m_workspace(workspace)
    , m_training(training)
{
    connect(&m_runWatcher, &QFutureWatcher<LoadedRun>::finished, this, &RunShowController::readFinished);
}

QString RunShowController::runFeaturesPath(const RunRecord& run) const
{
    const QString recorded = QString::fromStdString(run.featuresPath);
    return m_locatedFeatures.value(recorded, recorded);
}

void RunShowController::showRun(const QString& runDir)
{
    m_requestedRunDir = runDir;
    if (!m_runAwaitingFeatures.isEmpty() && m_workspace->busy()) {
        m_runAwaitingFeatures = runDir; // shown once the features being loaded are there
        return;
    }
    const auto features = m_workspace->features();
    const QString featuresPath = QFileInfo(m_workspace->featuresPath()).absoluteFilePath();
    // The run's own feature file is loaded first when it is another, intact one (the code
    // pane and leakage neighbours need it).
    const auto& runs = m_workspace->runs();
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (QString::fromStdString(runs[i].dir) != runDir || !runs[i].finished())
            continue;
        const QString wanted = runFeaturesPath(runs[i]);
        const bool intact = m_locatedFeatures.contains(QString::fromStdString(runs[i].featuresPath)) ||
                            (i < m_workspace->featureStates().size() && m_workspace->featureStates()[i] == FeaturesState::Same);
        if (wanted != featuresPath && intact && !m_featuresUnloadable.contains(runDir) && !m_workspace->busy() &&
            !m_training->isRunning()) {
            m_runAwaitingFeatures = runDir;
            Q_EMIT featuresNeeded(wanted);
            return;
        }
        break;
    }
    // Reading a run (predictions of every row, texts) takes tens of milliseconds at 50k rows:
    // it is done on a pool thread, and only the views are updated on the GUI thread.
    const QHash<QString, QString> located = m_locatedFeatures, problems = m_featuresProblems;
    m_runWatcher.setFuture(QtConcurrent::run([runDir, features, featuresPath, located, problems] {
        return loadRunForView(runDir, features, featuresPath, located, problems);
    }));
}

void RunShowController::readFinished()
{
    const LoadedRun run = m_runWatcher.result();
    if (!run.error.isEmpty()) {
        Q_EMIT error(run.error);
        return;
    }
    m_currentRunDir = run.dir;
    Q_EMIT runLoaded(run);
}

bool RunShowController::locate(const QString& runDir, const QString& chosenPath)
{
    RunRecord run;
    try {
        run = loadRun(runDir.toStdString());
        if (!fileHasHash(chosenPath.toStdString(), run.featuresHash)) {
            Q_EMIT error(tr("%1 is not the feature file run %2 was trained on: its hash differs.")
                             .arg(QDir::toNativeSeparators(chosenPath), QString::fromStdString(run.name)));
            return false;
        }
    } catch (const std::exception& e) {
        Q_EMIT error(QString::fromStdString(e.what()));
        return false;
    }
    const QString recorded = QString::fromStdString(run.featuresPath);
    m_locatedFeatures.insert(recorded, QFileInfo(chosenPath).absoluteFilePath());
    m_featuresProblems.remove(recorded);
    m_featuresUnloadable.remove(runDir);
    showRun(runDir);
    return true;
}

void RunShowController::runsDeleted(const QStringList& dirs)
{
    const auto same = [](const QString& a, const QString& b) {
        return !a.isEmpty() &&
               QDir::cleanPath(QFileInfo(a).absoluteFilePath()) == QDir::cleanPath(QFileInfo(b).absoluteFilePath());
    };
    for (const QString& dir : dirs) {
        if (same(m_requestedRunDir, dir))
            m_requestedRunDir.clear();
        if (same(m_runAwaitingFeatures, dir))
            m_runAwaitingFeatures.clear();
        if (same(m_currentRunDir, dir)) {
            m_currentRunDir.clear();
            Q_EMIT runCleared();
        }
    }
}

void RunShowController::workspaceChanged(const QString& dir)
{
    m_requestedRunDir.clear();
    m_runAwaitingFeatures.clear();
    m_featuresProblems.clear();
    // A run of another workspace is no longer shown once the window switches.
    if (!m_currentRunDir.isEmpty() && QDir(dir).relativeFilePath(m_currentRunDir).startsWith(QLatin1String(".."))) {
        m_currentRunDir.clear();
        Q_EMIT runCleared();
    }
}

void RunShowController::featuresLoaded(const QString& path)
{
    if (!m_runAwaitingFeatures.isEmpty()) {
        showRun(std::exchange(m_runAwaitingFeatures, QString()));
    } else if (m_requestedRunDir.isEmpty() && !m_training->isRunning()) {
        // A workspace just opened: show its newest run when these are its features.
        const RunRecord* run = m_workspace->newestFinishedRun();
        if (run && runFeaturesPath(*run) == QFileInfo(path).absoluteFilePath())
            showRun(QString::fromStdString(run->dir));
    }
}

void RunShowController::featuresFailed()
{
    // The features of a run to show did not load: show it without them.
    if (!m_runAwaitingFeatures.isEmpty()) {
        const QString dir = std::exchange(m_runAwaitingFeatures, QString());
        m_featuresUnloadable << dir;
        showRun(dir);
    }
}

void RunShowController::featuresUnavailable(const QString& runDir, const QString& featuresPath, const QString& reason)
{
    m_featuresProblems.insert(featuresPath, reason);
    Q_EMIT featuresMissing(runDir, featuresPath, reason);
}

} // namespace headbench
