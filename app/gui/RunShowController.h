#pragma once
/// \file RunShowController.h
#include "RunView.h"

#include <QFutureWatcher>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

namespace headbench {

class TrainingController;
class WorkspaceController;

/// Shows saved runs: decides whether a run needs its own feature file loaded first (another,
/// intact file than the loaded one), keeps the run waiting for it, reads the run off the GUI
/// thread (loadRunForView), and remembers where Locate… found moved feature files and why others
/// cannot be used. It reads the workspace and the training state but commands neither: the window
/// opens the file featuresNeeded names, shows what runLoaded carries, and offers Locate… when
/// featuresMissing says a file is gone.
class RunShowController : public QObject {
    Q_OBJECT
public:
    RunShowController(const WorkspaceController* workspace, const TrainingController* training, QObject* parent = nullptr);

    /// The run shown: the last one runLoaded carried (empty when none, or cleared).
    QString currentRunDir() const { return m_currentRunDir; }
    /// The run last asked for by showRun (shown, being read, or waiting for its features).
    QString requestedRunDir() const { return m_requestedRunDir; }
    /// Where the feature file of `run` is: its recorded path, or where locate() found it.
    QString runFeaturesPath(const RunRecord& run) const;

    /// Shows the saved run in `runDir`. When its own feature file is another one than the loaded
    /// file and intact (or located), featuresNeeded asks for it and the run waits for
    /// featuresLoaded; otherwise the run is read on a pool thread: runLoaded, or error.
    void showRun(const QString& runDir);
    /// Locate…: takes `chosenPath` as the feature file of the run in `runDir` when its hash is the
    /// one the run recorded, and shows the run again with it; otherwise error names the file (or
    /// says why it could not be read). Returns whether the file was taken.
    bool locate(const QString& runDir, const QString& chosenPath);
    /// Runs were deleted: when the shown (or requested) run is among `dirs` it is no longer shown
    /// (runCleared). A deleted run stayed on screen, and "Save threshold with run" then failed.
    void runsDeleted(const QStringList& dirs);

    // What the workspace reports. The window connects WorkspaceController's signals to these,
    // after its own handlers of the same signals (a run shown from featuresLoaded may ask for
    // another file, which unloads the current one).
    /// Another workspace: the requested and waiting runs and the known problems are forgotten; a
    /// shown run outside `dir` is no longer current (runCleared).
    void workspaceChanged(const QString& dir);
    /// A feature file is loaded: the run waiting for it is shown; else, when no run was asked for
    /// and nothing trains, the workspace's newest finished run if `path` is its feature file.
    void featuresLoaded(const QString& path);
    /// A workspace job failed: a run waiting for its features is shown without them (and its
    /// features are not asked for again).
    void featuresFailed();
    /// The feature file the run in `runDir` was trained on is missing or changed: the reason is
    /// kept for its samples' code pane, and featuresMissing passes it on.
    void featuresUnavailable(const QString& runDir, const QString& featuresPath, const QString& reason);

Q_SIGNALS:
    /// A run was read for the views (currentRunDir() is now its folder).
    void runLoaded(const headbench::LoadedRun& run);
    /// The run asked for needs the feature file at `path` loaded first.
    void featuresNeeded(QString path);
    /// The feature file `featuresPath` recorded by the run in `runDir` cannot be used (`reason`).
    void featuresMissing(QString runDir, QString featuresPath, QString reason);
    /// The run shown belongs to a workspace no longer open: the views should drop it.
    void runCleared();
    void error(QString message);

private:
    void readFinished();

    const WorkspaceController* m_workspace;
    const TrainingController* m_training;
    QFutureWatcher<LoadedRun> m_runWatcher;
    QString m_currentRunDir;
    QString m_requestedRunDir;
    /// A run to show once the feature file being loaded for it is there.
    QString m_runAwaitingFeatures;
    /// Why a run's feature file cannot be loaded, by its recorded path (for the code pane).
    QHash<QString, QString> m_featuresProblems;
    /// Feature files found with Locate…: recorded path -> where it is now (same hash).
    QHash<QString, QString> m_locatedFeatures;
    /// Runs whose feature file failed to load (not tried again).
    QSet<QString> m_featuresUnloadable;
};

} // namespace headbench
