#pragma once
/// \file TrainingController.h
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/runs/RunPlan.h>
#include <headbench/runs/Sweep.h>
#include <headbench/train/Trainer.h>

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <memory>

Q_DECLARE_METATYPE(headbench::EpochStats)

namespace headbench {

/// Runs training on a worker thread and saves the run. Lives on the worker thread; the GUI
/// talks to it only through queued calls and the atomic stop flag.
class TrainingWorker : public QObject, public TrainingObserver {
    Q_OBJECT
public:
    /// Set directly from the GUI thread: intentionally not a slot, a queued stop would wait
    /// behind the training loop it is meant to interrupt.
    std::atomic<bool> stopRequested{false};
    /// Set like stopRequested: end the current run after its epoch and keep it.
    std::atomic<bool> finishRequested{false};
    /// Trains a plan through the backend's runPlan: a single run ends in finished, cancelled or
    /// failed; a group (repeats, sweep) reports each run (sweepRun*) and sweepEnded, a failing run
    /// not ending the group.
    void trainPlan(std::shared_ptr<const FeatureSet> data, RunPlan plan, QString workspace);

    // TrainingObserver (called on the worker thread)
    void onEpoch(const EpochStats& stats) override;
    void onBatch(int epoch, int batch, int batches) override;
    bool shouldStop() override;
    bool shouldFinish() override { return finishRequested.load(); }

Q_SIGNALS:
    void epochFinished(headbench::EpochStats stats);
    void batchProgress(int epoch, int batch, int batches);
    void finished(QString runDir);
    void cancelled();
    void failed(QString message);
    void sweepRunStarted(int index, int count);
    void sweepRunFinished(int index, QString runDir);
    void sweepRunFailed(int index, QString message);
    void sweepEnded(bool cancelled);
    /// Cross-validation after the run trains fold `fold` (0-based) of `folds`; `progress` in [0, 1].
    void crossValidationProgress(int fold, int folds, double progress);

public:
    /// Resets the progress throttle at the start of a run.
    void runStarting()
    {
        m_lastBatchSignal = 0;
        finishRequested = false; // a sweep's Finish Now ends the run it was asked in, not the next
    }

private:
    qint64 m_lastBatchSignal = 0;
};

/// Owns the training thread. One training at a time.
class TrainingController : public QObject {
    Q_OBJECT
public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    bool isRunning() const { return m_running; }
    /// Starts training; returns false when one is already running.
    /// The split the next runs use (auto: the file's, else by group, else random).
    void setSplitMode(SplitMode mode) { m_options.split = mode; }
    /// The seed of the split of the next runs (unset: each run's own seed); repeats over seeds
    /// set it so that every seed trains on the same rows.
    void setSplitSeed(std::optional<std::uint64_t> seed) { m_options.splitSeed = seed; }
    /// Cross-validation folds trained after each run (0: none).
    void setCrossValidation(int folds) { m_cvFolds = folds; }
    /// Temperature scaling after training (off by default).
    void setCalibration(CalibrationMethod method) { m_options.calibrate = method; }
    SplitMode splitMode() const { return m_options.split; }
    /// Starts a plan (RunPlan.h); returns false when training is already running or the plan is empty.
    bool startPlan(std::shared_ptr<const FeatureSet> data, RunPlan plan, const QString& workspace);
    /// One run of `spec` with the settings above (singleRunPlan).
    bool start(std::shared_ptr<const FeatureSet> data, const HeadSpec& spec, const QString& workspace,
               const QString& name = {});
    /// A sweep of `points` with the settings above (sweepPlan), tagged `sweepId`.
    bool startSweep(std::shared_ptr<const FeatureSet> data, std::vector<SweepPoint> points, const QString& workspace,
                    const QString& sweepId);
    /// The settings start() and startSweep() give their plans.
    PlanSettings settings() const { return {.options = m_options, .cvFolds = m_cvFolds}; }
    bool isSweeping() const { return m_sweeping; }
    /// Asks the worker to stop after the current batch; returns at once.
    void stop();
    /// Asks the worker to end the current run after its epoch (the probe: after its L2 penalty)
    /// and save it, as early stopping would; returns at once.
    void finishNow();

Q_SIGNALS:
    void started(int epochs);
    void epochFinished(headbench::EpochStats stats);
    void batchProgress(int epoch, int batch, int batches);
    void finished(QString runDir);
    void cancelled();
    void failed(QString message);
    void runningChanged(bool running);
    void sweepRunStarted(int index, int count);
    void sweepRunFinished(int index, QString runDir);
    void sweepRunFailed(int index, QString message);
    void sweepEnded(bool cancelled);
    void crossValidationProgress(int fold, int folds, double progress);

private:
    void setRunning(bool running);

    QThread m_thread;
    TrainingWorker* m_worker;
    bool m_running = false;
    bool m_sweeping = false;
    TrainOptions m_options;
    int m_cvFolds = 0;
};

} // namespace headbench
