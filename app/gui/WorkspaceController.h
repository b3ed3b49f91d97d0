#pragma once
/// \file WorkspaceController.h
#include "Dataset.h"
#include "FeatureFile.h"
#include "RunStore.h"

#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

namespace headbench {

/// The open workspace: its folder, the loaded feature file and the saved runs. Loading and
/// extraction run off the GUI thread (QtConcurrent); their progress is read from atomics by a
/// timer, so the worker never floods the event loop.
class WorkspaceController : public QObject {
    Q_OBJECT
public:
    explicit WorkspaceController(QObject* parent = nullptr);
    ~WorkspaceController() override;

    QString workspace() const { return m_workspace; }
    std::shared_ptr<const FeatureSet> features() const { return m_features; }
    QString featuresPath() const { return m_featuresPath; }
    /// Every run, finished, running or interrupted, newest first.
    const std::vector<RunRecord>& runs() const { return m_runs; }
    /// Whether each run's feature file is unchanged (same order as runs()).
    const std::vector<FeaturesState>& featureStates() const { return m_featureStates; }
    bool busy() const { return m_busy; }

    /// Opens (creating if needed) a workspace folder and lists its runs. When it holds a feature
    /// file (`features/*.h5`), the newest one is loaded.
    void openWorkspace(const QString& dir);
    /// Loads a feature file in the background.
    void openFeatures(const QString& path);
    /// Extracts a dataset with a built-in backbone into `outPath`, then loads it.
    void extractDataset(const QString& datasetPath, const FieldMap& fields, const QString& backbone, int dim,
                        const QString& outPath);
    /// Makes the demo workspace in `dir`: dataset, features, ready to train.
    void createDemoWorkspace(const QString& dir);
    /// Cancels a running extraction.
    void cancelJob();
    void refreshRuns();

    /// Where the demo workspace lives by default.
    static QString defaultDemoDir();

Q_SIGNALS:
    void workspaceChanged(QString dir);
    void featuresLoaded(QString path);
    void runsChanged();
    void jobStarted(QString title);
    /// done and total rows; rate in rows per second.
    void jobProgress(qint64 done, qint64 total, double rowsPerSecond);
    void jobFinished();
    void errorOccurred(QString message);

private:
    struct JobResult {
        std::shared_ptr<FeatureSet> features;
        QString path;
        QString error;
        bool cancelled = false;
    };
    void runJob(const QString& title, std::function<JobResult()> job);

    QString m_workspace;
    QString m_featuresPath;
    std::shared_ptr<const FeatureSet> m_features;
    std::vector<RunRecord> m_runs;
    std::vector<FeaturesState> m_featureStates;
    bool m_busy = false;

    std::atomic<qint64> m_done{0}, m_total{0};
    std::atomic<bool> m_cancel{false};
    qint64 m_jobStartMs = 0;
    QTimer m_progressTimer;
    QFutureWatcher<JobResult> m_watcher;
};

} // namespace headbench
