#pragma once
/// \file WorkspaceController.h
#include <headbench/core/ProgressEstimate.h>
#include <headbench/data/Dataset.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunStore.h>

#include <QFileSystemWatcher>
#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

namespace headbench {

/// What the import dialog asks to extract with: the built-in backbone, or a model (a TorchScript
/// file or a Hugging Face model folder) with its tokenizer and pooling.
struct ExtractionRequest {
    QString backbone = QStringLiteral("hashed-ngram"); ///< "hashed-ngram", "torchscript" or "hf-folder"
    int dim = 1024;                                   ///< hashed-ngram only
    QString modelPath;     ///< a model: the TorchScript file or the model folder
    QString tokenizerPath; ///< a model: its tokenizer; empty for a folder: the folder's own
    QString pooling = QStringLiteral("mean");
    QString layers = QStringLiteral("last"); ///< a model: "last", "all" or a list such as "-1,-4,8"
    int maxLength = 512;
    bool normalize = false;
    QString longMode = QStringLiteral("head"); ///< texts over maxLength: head, tail or windows
    int batchSize = 0; ///< 0: 64 built in, 16 for a model
};

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

    /// Opens (creating if needed) a workspace folder and lists its runs. The feature file of the
    /// newest finished run is loaded from the path its run.json records (wherever it lies) when
    /// its hash still matches; otherwise runFeaturesUnavailable says why and the newest file in
    /// `features/` (if any) is loaded instead.
    void openWorkspace(const QString& dir);
    /// The newest finished run (nullptr: none).
    const RunRecord* newestFinishedRun() const;
    /// Why the feature file recorded by `run` cannot be used ("" when it can), e.g. "…/x.h5,
    /// the feature file of run R, no longer exists (moved or deleted)".
    static QString featuresProblem(const RunRecord& run, FeaturesState state);
    /// Loads a feature file in the background.
    /// Loads a feature file; `featureSet` picks one of a version-2 file's sets (empty: its default).
    void openFeatures(const QString& path, const QString& featureSet = {});
    /// Extracts a dataset into `outPath`, then loads it. An interrupted or cancelled
    /// extraction of the same inputs resumes from its finished chunks; an identical finished
    /// one is reused.
    void extractDataset(const QString& datasetPath, const FieldMap& fields, const ExtractionRequest& request,
                        const QString& outPath);
    /// Extracts a dataset of one or several files (own split, groups, skipped rows, dedup,
    /// class names: see DatasetRequest).
    void extractDataset(const DatasetRequest& dataset, const ExtractionRequest& request, const QString& outPath);
    /// Makes the demo workspace in `dir`: dataset, features, ready to train.
    void createDemoWorkspace(const QString& dir);
    /// Cancels a running extraction.
    void cancelJob();
    void refreshRuns();

    /// The application's one data folder: ~/.local/share/HeadBench on Linux,
    /// %LOCALAPPDATA%/HeadBench on Windows, ~/Library/Application Support/HeadBench on macOS.
    static QString appDataDir();
    /// Where the demo workspace lives by default: appDataDir()/demo-workspace.
    static QString defaultDemoDir();

Q_SIGNALS:
    void workspaceChanged(QString dir);
    void featuresLoaded(QString path);
    /// The loaded features were let go because another file is being read: whoever holds them
    /// (the Data panel's summary) lets go too, so that a re-open does not hold two matrices.
    void featuresReleased();
    /// The feature file a run was trained on is missing or changed (`reason` says which).
    void runFeaturesUnavailable(QString runDir, QString featuresPath, QString reason);
    void runsChanged();
    void jobStarted(QString title);
    /// done and total rows; rows per second so far; the time left (NaN until known), estimated
    /// from the rate of the recent work (ProgressEstimate).
    void jobProgress(qint64 done, qint64 total, double rowsPerSecond, double secondsLeft);
    void jobFinished();
    void errorOccurred(QString message);
    /// A line for the status bar about a finished job ("reused the cached features", ...).
    void jobMessage(QString message);

private:
    struct JobResult {
        std::shared_ptr<FeatureSet> features;
        QString path;
        QString error;
        bool cancelled = false;
        QString message;
        /// The features loaded before, given back when the new file could not be opened.
        std::shared_ptr<const FeatureSet> restore;
    };
    void runJob(const QString& title, std::function<JobResult()> job);
    /// Watches runs/ and the folders of running runs, so a run finishing or a process ending
    /// elsewhere (headbench-cli, a killed window) shows without a manual refresh.
    void watchRuns();
    /// Lists the runs again on a pool thread (hundreds of run.json files and feature-file
    /// checks must not stall the window); emits runsChanged only when a run appeared, went or
    /// changed status.
    void refreshRunsIfChanged();
    struct RunListing {
        QString workspace;
        quint64 generation = 0; ///< m_listGeneration when the listing began
        std::vector<RunRecord> runs;
        std::vector<FeaturesState> states;
    };
    /// Every run of `workspace`, damaged ones included, with its feature file's state; runs with
    /// a saved threshold at it, read again only when their files changed (`cache`).
    static RunListing listWorkspaceRuns(const QString& workspace, SavedThresholdCache* cache);
    void applyRunListing(RunListing listing);

    QString m_workspace;
    QString m_featuresPath;
    std::shared_ptr<const FeatureSet> m_features;
    std::vector<RunRecord> m_runs;
    std::vector<FeaturesState> m_featureStates;
    bool m_busy = false;

public:
    /// A running job's progress, written by its thread, read by the progress timer.
    struct JobProgress {
        std::atomic<qint64> done{0}, total{0}, resumed{-1};
        std::atomic<double> work{0}, workTotal{0};
    };

private:
    JobProgress m_job;
    std::atomic<bool> m_cancel{false};
    qint64 m_jobStartMs = 0;
    ProgressEstimate m_estimate; ///< the time left of the running job
    QTimer m_progressTimer;
    QFutureWatcher<JobResult> m_watcher;
    QFileSystemWatcher m_runsWatcher;
    QTimer m_runsDebounce; ///< folder changes come in bursts
    QTimer m_liveTimer;    ///< while a run is running: has its process ended?
    QFutureWatcher<RunListing> m_listWatcher;
    bool m_listAgain = false; ///< a change came while a listing was under way
    /// Counts the synchronous listings: a pool listing begun before one of them is stale.
    quint64 m_listGeneration = 0;
    /// Shared with the pool listing, which may outlive a workspace switch.
    std::shared_ptr<SavedThresholdCache> m_thresholdCache = std::make_shared<SavedThresholdCache>();
};

} // namespace headbench
