#pragma once
/// \file CrossValidationShards.h
/// `train --cv K --shard I/N`: a cross-validated run spread over the tasks of a job array. Its K
/// folds and the run itself are K + 1 points; task I takes the points p with p mod N = I (point K
/// is the run). A fold's result waits in `<workspace>/cv-folds/<group id>/` (fold-<f>.csv, then
/// fold-<f>.json, each atomic); whoever lands the last piece (or `gather` after the array)
/// assembles cv.json and oof.csv into the run's folder, under a lock on that folder, once. A
/// re-queued task skips the folds already saved and a run already finished.
#include <headbench/core/Shard.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunSession.h>
#include <headbench/train/CrossValidation.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace headbench {

struct ShardedCrossValidation {
    std::string workspace;
    std::string groupId;  ///< the run's group (run.json "sweep" id) and the folder of its folds
    int k = 5;
    Shard shard;
    std::string name;     ///< the run's name; empty: the default
    TrainOptions options; ///< the run's split, leakage check and calibration (folds: split only)
};

/// What one task did, in the order it did it.
struct ShardedCrossValidationResult {
    std::vector<FoldResult> trained;   ///< folds trained by this task (metrics, rows)
    std::vector<int> foldsSavedBefore; ///< this task's folds found saved (a re-queued task)
    std::optional<RunRecord> run;      ///< the run, when this task trained it or found it finished
    bool runFinishedBefore = false;
    bool gathered = false;             ///< cv.json and oof.csv are in the run's folder now
    std::string runDir;                ///< the run's folder, once it has finished (this or another task)
    std::vector<int> waitingFor;       ///< folds (0-based) not saved yet, when not gathered
    bool cancelled = false;
};

/// Told as the task goes (on its thread).
struct ShardedCrossValidationObserver {
    std::function<void(int fold, const FoldResult&)> foldTrained;
    std::function<void(const RunRecord&)> runSaved;
    TrainingObserver* training = nullptr; ///< progress and cancel of every head this task trains
};

/// Runs this task's points. Throws headbench::Error for folds that disagree with those already
/// saved under the group (another file, seed or K), and what runSession and trainFold throw.
ShardedCrossValidationResult runShardedCrossValidation(const FeatureSet& data, const HeadSpec& spec,
                                                       const ShardedCrossValidation& request,
                                                       const ShardedCrossValidationObserver& observer = {});

/// What gathering found: done (cv.json and oof.csv written now, or before), or what is missing.
struct GatherResult {
    bool gathered = false;
    bool alreadyGathered = false;
    std::string runDir;          ///< empty when the run has not finished yet
    std::vector<int> missingFolds;
    int k = 0;
};

/// Assembles cv.json and oof.csv of the group's run from its saved folds, once, under a lock
/// (flock on `<folds folder>/.lock`). Nothing is written while the run or a fold is missing (the
/// result says which). Throws headbench::Error when the group has no saved folds or the folds
/// disagree, naming the files.
GatherResult gatherCrossValidation(const std::string& workspace, const std::string& groupId);

/// The folder a group's fold results wait in.
std::string foldFolder(const std::string& workspace, const std::string& groupId);

} // namespace headbench
