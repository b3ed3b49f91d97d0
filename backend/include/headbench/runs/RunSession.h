#pragma once
/// \file RunSession.h
/// The one run lifecycle that `train`, `train --repeats`, `sweep` and the window all call:
/// begin the run folder, train with an observer, optionally cross-validate, save, and the one
/// cleanup rule for a cancel or a failure.
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/CrossValidation.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <optional>
#include <string>

namespace headbench {

/// How a run session ended; a failure is an exception instead.
enum class RunOutcome {
    Saved,     ///< the run is finished and saved (run.json written)
    Cancelled, ///< the observer asked to stop: no run folder is left
};

/// What to run besides the data and the head.
struct RunRequest {
    std::string workspace;
    std::string name;        ///< empty: the head's summary
    SweepTag tag;            ///< the sweep or group of repeats the run belongs to, if any
    TrainOptions options;    ///< split, leakage check, calibration
    int cvFolds = 0;         ///< K-fold cross-validation after the run (cv.json, oof.csv); 0: none
    /// Observer of the fold heads (their epochs are not the run's); null: the run's observer.
    TrainingObserver* foldObserver = nullptr;
};

/// What a session produced.
struct RunSessionResult {
    RunOutcome outcome = RunOutcome::Cancelled;
    RunRecord record;                        ///< the saved run, when Saved
    std::optional<CrossValidationResult> cv; ///< with RunRequest::cvFolds, when Saved
    /// Where a cancel landed ("before the run began", "training", "cross-validation") and how
    /// far it had come, for the message a front end prints.
    std::string cancelledIn;
    int epochsDone = 0;
    int foldsDone = 0;
};

/// Runs one head on `data`: beginRun (the folder exists from the start, marked running, so a
/// process that dies leaves it listed as interrupted), trainHead with `observer` (progress and
/// cancel), cross-validation when asked (its files written into the folder before run.json),
/// then saveRun, whose run.json, written last, makes the run finished.
///
/// The one cleanup rule: until run.json is written, a cancel or a failure removes the run
/// folder, so a cancelled or failed run never leaves a folder behind, let alone one that looks
/// finished. A cancel is the observer's shouldStop() turning true at any moment until the save
/// begins (also before the first batch, or while the run is being set up); an error raised
/// while a cancel is pending counts as the cancel. Other errors are rethrown after the cleanup.
RunSessionResult runSession(const FeatureSet& data, const HeadSpec& spec, const RunRequest& request,
                            TrainingObserver* observer);

} // namespace headbench
