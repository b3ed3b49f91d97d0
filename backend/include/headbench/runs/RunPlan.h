#pragma once
/// \file RunPlan.h
/// What one press of Train, `train`, `train --repeats`, `sweep` and the window's sweeps train: a
/// plan of runs (each head with its settings), grouped under one tag, run by one function through
/// the run session. The CLI and the window make their plans with the same functions, so a group
/// of repeats is tagged alike, a sweep point's train fraction and the calibration and split mode
/// reach every run, and progress is counted in the units each head trains in.
#include <headbench/core/Shard.h>
#include <headbench/runs/RunSession.h>
#include <headbench/runs/Sweep.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace headbench {

/// One run of a plan.
struct PlannedRun {
    HeadSpec spec;
    std::string params = "{}"; ///< the values that make this run of its group (JSON object text)
    std::string featureSet;    ///< the feature set to train on; empty: the file's default
    TrainOptions options;      ///< split mode and seed, leakage check, calibration, train fraction
    int cvFolds = 0;           ///< K-fold cross-validation after the run; 0: none
    int point = -1;            ///< index in the whole plan (before sharding); -1 for a single run
    /// What a progress bar counts for this run: epochs, or the L2 penalties an L-BFGS probe tries.
    int plannedEpochs() const;
};

enum class PlanKind { Single, Repeats, Sweep };

struct RunPlan {
    PlanKind kind = PlanKind::Single;
    /// The tag every run of a group carries (run.json "sweep": {"id": ...}): "repeat-<UTC time>"
    /// for repeats, "sweep-<UTC time>" for sweeps; empty for a single run.
    std::string groupId;
    std::string name; ///< a single run's name; empty: the default name
    std::vector<PlannedRun> runs;
    int totalRuns = 0; ///< runs of the whole plan, every shard's (runs holds this shard's)
    /// Skip the runs whose point already finished under groupId on the same feature file (a
    /// re-queued job array task, or a sweep run again with the same id), and mark an unfinished
    /// earlier attempt of a point interrupted before training it again. Set by withGroupId.
    bool resume = false;
    std::string featuresPath; ///< the feature file the plan trains on, to recognise its finished runs
};

/// A group id from the text that defines a group: "<kind>-<12 hex digits of its XXH3>", e.g.
/// "sweep-3f2a9c01be77" for a sweep definition file's content and the feature file's name, so the
/// tasks of a job array agree on it without being told.
std::string derivedGroupId(PlanKind kind, std::string_view definition);

/// Puts the plan under `groupId` (given with --sweep-id, or derivedGroupId) and makes it resume:
/// runs already finished under that id are skipped. Throws headbench::Error for an id that is
/// empty, longer than 100 characters or not made of letters, digits, '-', '_' and '.'.
void withGroupId(RunPlan& plan, const std::string& groupId, const std::string& featuresPath);

/// Keeps the runs of `shard`: the points p (0-based, in the whole plan) with p mod N = I. Throws
/// headbench::Error for a single run or a shard with no points (I >= the plan's size).
void shardPlan(RunPlan& plan, const Shard& shard);

/// What the runs of a plan share.
struct PlanSettings {
    TrainOptions options; ///< split mode, leakage check, calibration, train fraction
    int cvFolds = 0;      ///< cross-validation folds (single runs only)
    std::string featureSet;
    std::string name;
};

/// One run of `spec`.
RunPlan singleRunPlan(const HeadSpec& spec, const PlanSettings& settings);
/// `repeats` runs of `spec` with seeds spec.seed, spec.seed + 1, ..., all on the split that
/// spec.seed draws; params {"seed": S}. Throws headbench::Error for fewer than 2 repeats, or
/// with cross-validation (cross-validate a single seed).
RunPlan repeatsPlan(const HeadSpec& spec, int repeats, const PlanSettings& settings);
/// A run for `repeats` <= 1, else repeatsPlan: what Train does with the designer's repeats.
RunPlan trainPlan(const HeadSpec& spec, int repeats, const PlanSettings& settings);
/// The points of a sweep: each with its spec, values, feature set (else the settings') and train
/// fraction (a point's "train_fraction", else the settings'); split mode, leakage check and
/// calibration from the settings; each point on its own seed's split. Throws headbench::Error for
/// no points or with cross-validation.
RunPlan sweepPlan(const std::vector<SweepPoint>& points, const PlanSettings& settings);

/// Problems of a plan on data with `numClasses` classes, each naming the run ("point 3
/// ({"depth":2}): ..."), empty when every head is valid.
std::vector<std::string> planProblems(const RunPlan& plan, int numClasses);

/// Runs of a plan that would train the same head on the same rows, one sentence per repeat, e.g.
/// "points 1 and 4 ({"depth":0,"lr":0.001} and {"depth":0,"lr":0.01}) train the same head: L-BFGS
/// ignores lr". A sweep over depth 0, 1, 2 x lr trained identical probes without a word. Fields a
/// head does not use are ignored in the comparison: an L-BFGS probe's minibatch settings (lr,
/// weight decay, momentum, schedule, epochs, batch size, early stopping), a probe's hidden-layer
/// settings (activation, dropout, normalisation).
std::vector<std::string> planWarnings(const RunPlan& plan);

/// Told about a plan as it runs, on the thread that runs it.
class PlanObserver {
public:
    virtual ~PlanObserver() = default;
    /// Run `index` starts; returns the observer of its training (progress and cancel), or null.
    virtual TrainingObserver* runStarted(std::size_t index, const PlannedRun& run) = 0;
    virtual void runSaved(std::size_t /*index*/, const RunSessionResult& /*result*/) {}
    /// Run `index` was skipped: its point had finished before, as `finished` (a resumed plan).
    virtual void runSkipped(std::size_t /*index*/, const RunRecord& /*finished*/) {}
    /// Run `index` failed (its folder is removed): true goes on with the next run, false stops the
    /// plan and rethrows the error.
    virtual bool runFailed(std::size_t /*index*/, const std::string& /*message*/) { return false; }
    /// The observer of cross-validation's fold heads (their epochs are not the run's); null: the run's.
    virtual TrainingObserver* foldObserver() { return nullptr; }
};

struct PlanResult {
    std::vector<RunSessionResult> saved; ///< the runs saved, in order
    std::vector<RunRecord> skipped;      ///< runs found finished before (a resumed plan), in order
    std::size_t interruptedMarked = 0;   ///< earlier unfinished attempts marked interrupted
    bool cancelled = false;              ///< a run was cancelled: the plan stopped there
    std::size_t cancelledAt = 0;         ///< index of the cancelled run
    RunSessionResult cancelledRun;       ///< where the cancel landed
    std::size_t failed = 0;              ///< runs that failed and were skipped
};

/// The data a run trains on, by feature set name; called again only when the set changes.
using FeatureSource = std::function<std::shared_ptr<const FeatureSet>(const std::string& featureSet)>;

/// Runs the plan's runs one after the other through runSession, tagged with the plan's group (and
/// each run's point). A resumed plan skips points already finished and marks the earlier
/// unfinished attempts of a point it trains interrupted: those whose process is gone, or that
/// the same Slurm array task began before it was re-queued.
/// Stops at a cancel (the cancelled run leaves no folder); a failed run stops the plan unless the
/// observer says to go on.
PlanResult runPlan(const RunPlan& plan, const std::string& workspace, const FeatureSource& features,
                   PlanObserver& observer);

} // namespace headbench
