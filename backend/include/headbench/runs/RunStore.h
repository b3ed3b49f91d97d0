#pragma once
/// \file RunStore.h
/// Training runs kept in a workspace folder: `<workspace>/runs/<id>/` with run.json,
/// spec.json, history.json, metrics.json, predictions.csv and head.pt. A run folder appears
/// under its final name only when all of it is written.
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/Metrics.h>
#include <headbench/eval/PredictionFiles.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace headbench {

/// A saved run as listed and reloaded.
struct RunRecord {
    std::string id;
    std::string name;
    std::string dir;
    std::string created;        ///< ISO 8601, UTC
    std::string status;         ///< "finished"; for runs that never finished "running" or "interrupted";
                                ///< "damaged" for a folder that cannot be read (see problem)
    std::string problem;        ///< status "damaged": what is wrong, naming the file
    std::string featuresPath;
    std::string featuresHash;
    std::string featureSet;     ///< the feature set trained on (version-2 files); empty: the only one
    std::string backbone;
    std::int64_t rows = 0, dim = 0;
    std::vector<std::string> labelNames;
    HeadSpec spec;
    std::int64_t parameters = 0;
    int bestEpoch = 0;
    int epochsRun = 0;
    bool finishedByUser = false; ///< Finish Now ended training before spec.epochs (run.json "finished_by_user")
    double seconds = 0;
    double leakageSeconds = 0;  ///< of `seconds`, the leakage check (run.json "costs")
    double intervalSeconds = 0; ///< of `seconds`, the bootstrap intervals
    std::vector<EpochStats> history;
    Metrics validation, test;
    std::vector<std::string> tags;
    /// The decision threshold chosen for the run (two classes; run.json "threshold"), used by
    /// compare and eval instead of 0.5; unset when none was saved.
    std::optional<double> threshold;
    std::string sweepId;        ///< the sweep the run belongs to, if any
    std::string sweepParams;    ///< the sweep's values for this run (JSON object text)
    int sweepPoint = -1;        ///< the run's point (seed, fold) in its sweep, 0-based; -1 when not kept
    int sweepPoints = 0;        ///< how many points the whole sweep has (every shard's); 0 when not kept
    std::string host;           ///< the machine that trained (or is training) the run
    std::string slurmTask;      ///< the Slurm job array task that ran it ("<array job>_<task>"); empty outside Slurm
    std::int64_t featuresSize = 0;
    std::int64_t featuresMtime = 0;
    std::string splitSource;    ///< "file", "group" or "random"; empty for runs from before it was kept
    LeakageReport leakage;      ///< counts only (per-row detail: loadLeakageRows); measured=false when absent
    Calibration calibration;    ///< post-hoc calibration (train --calibrate); method "none" when absent
    double trainFraction = 1;   ///< learning curves: the fraction of the training split used
    std::int64_t trainRows = 0; ///< training rows the head was fitted on; 0 for runs from before it was kept
    std::string headHash;       ///< content hash of head.pt as saved ("xxh3_64:..."); empty for older runs

    bool finished() const { return status == "finished"; }
};

/// Sweep membership recorded with a run (run.json "sweep").
struct SweepTag {
    std::string id;
    std::string params;
    int point = -1;  ///< the point's index in the whole sweep (all shards); -1: not recorded
    int points = 0;  ///< the whole sweep's number of points; 0: not recorded
};

/// A sweep point's fields as people read them: {"lr":0.001,"depth":2} is "lr=0.001, depth=2".
/// Text that is not a JSON object comes back as it is.
std::string sweepPointText(const std::string& params);

/// Per-sample outputs of a run (predictions.csv, PredictionFiles.h).
using RunPredictions = Predictions;

/// A run's name when none is given: the head, then what tells runs of one workspace apart (the
/// sweep point's fields and values, the feature file or, without one, the backbone), e.g.
/// "2x256 relu, ce · lr=0.001, depth=2 · bigvul.h5".
std::string defaultRunName(const HeadSpec& spec, const FeatureSet& data, const SweepTag& sweep = {});

/// Marks the start of a run: makes `<workspace>/runs/<id>/` holding only running.json (process
/// id, host, start time, spec, feature file). A process killed mid-training leaves it so, and
/// listRuns shows it as interrupted. Returns the run folder.
std::string beginRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec,
                     const std::string& name = {}, const SweepTag& sweep = {});

/// Saves a finished training run into `runDir` (from beginRun), or into a new folder when it is
/// empty; returns its record. run.json, which makes the run complete, is renamed into place
/// last, so a crash or a full disk never leaves a run that looks finished.
RunRecord saveRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec,
                  const TrainResult& result, const std::string& name = {}, const std::string& runDir = {},
                  const SweepTag& sweep = {});

/// Writes the epochs a running run has finished into its folder (history.json, atomically), so a
/// process killed mid-training leaves an interrupted run with its curves so far (listRuns reads
/// them into RunRecord::history). saveRun writes the final history over it.
void saveProgress(const std::string& runDir, const std::vector<EpochStats>& history);

/// Marks an unfinished run (running.json) as interrupted for good, e.g. by the re-queued task that
/// takes its point over: it lists as interrupted from any host, whatever its process id says.
/// `retriedBy` names the run that repeats it. No-op for a finished run.
void markInterrupted(const std::string& dir, const std::string& retriedBy = {});

/// Marks, among the unfinished attempts of one point (running.json only), those that will never
/// finish: listed as interrupted (their process is gone), or begun by this very Slurm array task
/// before it was re-queued (RunRecord::slurmTask is this process's). Returns how many.
std::size_t markAbandonedAttempts(const std::vector<RunRecord>& attempts);

/// Removes a run folder (a cancelled run, or one the user deletes).
void deleteRun(const std::string& dir);
/// Renames a run / replaces its tags (run.json rewritten atomically).
void renameRun(const std::string& dir, const std::string& name);
/// Saves the decision threshold of a two-class run (run.json "threshold"); nullopt removes it.
/// Throws headbench::Error when it is outside (0, 1).
void setRunThreshold(const std::string& dir, std::optional<double> threshold);
void setRunTags(const std::string& dir, const std::vector<std::string>& tags);

/// Runs of a workspace, newest first: finished ones, and (with includeUnfinished) those still
/// running in a live process or interrupted. Damaged folders are reported in `problems` (when
/// given) and, with includeDamaged, also listed: status "damaged", named after their folder,
/// `problem` saying what is wrong.
std::vector<RunRecord> listRuns(const std::string& workspace, std::vector<std::string>* problems = nullptr,
                                bool includeUnfinished = false, bool includeDamaged = false);

/// A sweep or group of repeats as listed: its runs may still be landing from the tasks of a job
/// array, and a point may have an interrupted attempt beside the run that finished it.
struct RunGroup {
    std::string id;
    int points = 0; ///< the points the whole group plans (recorded with its runs); 0 when unknown
    int finished = 0, running = 0, interrupted = 0; ///< points by their best attempt (finished first)
    /// One run per point, by point (runs without a recorded point after them, by id): the
    /// finished run of the point, else its newest attempt. Pointers into the listRuns vector.
    std::vector<const RunRecord*> members;
    int retried = 0; ///< attempts left out of members: interrupted runs whose point was tried again
    /// "4 of 6 finished, 2 running", "3 finished, 1 interrupted": what the group's line says.
    std::string statusText() const;
    /// The same in a narrow column (the Runs dock shows ~60 px of it at 1280x800): "4/6 done,
    /// 2 running", "3 done, 1 interrupted".
    std::string shortStatusText() const;
};

/// The groups (sweeps, repeats) of a listRuns result, in the order their first run appears.
std::vector<RunGroup> runGroups(const std::vector<RunRecord>& runs);

/// Whether the feature file a run was trained on is still what it was.
enum class FeaturesState { Same, Changed, Missing };
FeaturesState checkFeatures(const RunRecord& run);

/// Where a workspace keeps the hashes of its feature files (hashFileCached): `<ws>/.cache/hashes`;
/// "" for no workspace.
std::string hashCacheDir(const std::string& workspace);

/// Loads one run folder; throws headbench::Error when it is not a complete run.
RunRecord loadRun(const std::string& dir);
/// The run's predictions.csv; besides readPredictionsCsv's checks, its rows must be as many as
/// the feature file run.json names had (a file cut at a line boundary reads well otherwise) and
/// its classes those of run.json's label_names. Throws headbench::Error naming the file.
RunPredictions loadPredictions(const std::string& dir);
/// `rec`'s validation and test metrics, intervals included, at `threshold` (two classes) from
/// the run's predictions `p`; the loss (not a matter of threshold) is kept. The one rule compare,
/// `runs` and the window's runs list apply to a run with a saved threshold.
void metricsAtThreshold(RunRecord& rec, const RunPredictions& p, double threshold);
/// The figures a list of runs shows (the window's runs panel, `runs`): a finished two-class run
/// with a saved threshold is put at it (metricsAtThreshold; metrics.json holds 0.5), as compare
/// and eval show it. A run whose predictions cannot be read then is listed as damaged, with why.
/// With a cache (the window lists its runs after every rename, delete and finished job), a run
/// whose run.json and predictions.csv have the size and modification time they had is not read
/// again: reading and bootstrapping a 150,000-row run takes about a second.
class SavedThresholdCache;
void putRunsAtSavedThresholds(std::vector<RunRecord>& runs, SavedThresholdCache* cache = nullptr);

/// The runs putRunsAtSavedThresholds has already put at their thresholds, keyed by run folder and
/// its files' size and modification time. Safe to share between threads.
class SavedThresholdCache {
public:
    SavedThresholdCache();
    ~SavedThresholdCache();
    SavedThresholdCache(const SavedThresholdCache&) = delete;
    SavedThresholdCache& operator=(const SavedThresholdCache&) = delete;
    /// Entries served from the cache so far (for tests).
    std::size_t hits() const;

    struct Impl;
    Impl& impl() { return *d; }

private:
    std::unique_ptr<Impl> d;
};
/// The trained head of a run (head.pt). Throws headbench::Error when it is not the file the run
/// saved (run.json's head_hash, kept since 2026-12-07: a head.pt copied from another run of the
/// same shape) or when its inputs or classes differ from run.json's.
TrainedHead loadRunHead(const std::string& dir);

/// Per validation/test row of a run, what the leakage check found (leakage.csv), by id.
struct RunLeakageRows {
    struct Row {
        bool exact = false, near = false, conflicting = false;
        std::string nearestTrainId; ///< empty when no training row was a candidate
        double similarity = 0;      ///< NaN when none
        std::uint8_t split = 0;
    };
    std::map<std::string, Row> rows;
};
/// Reads leakage.csv of a run; empty when the run has none. Throws headbench::Error when damaged.
RunLeakageRows loadLeakageRows(const std::string& dir);

/// The leakage record of run.json (and `train --json`) as JSON text, and back.
std::string leakageToJson(const LeakageReport& report);
LeakageReport leakageFromJson(const std::string& json);

/// What cv.json says of a run trained with cross-validation: the fold count, how folds were made,
/// the pooled rows, and the mean and sample sd over folds of every metric.
struct CrossValidationSummary {
    int k = 0;
    std::string foldsBy;        ///< "stratified" or "group"
    std::int64_t pooledRows = 0;
    Metrics mean, sd;
};
/// Reads cv.json of a run folder; nullopt when the run has none (trained without --cv). Throws
/// headbench::Error naming the file when it is damaged.
std::optional<CrossValidationSummary> loadCrossValidationSummary(const std::string& runDir);

/// The epochs of a run as history.json holds them (JSON array text), for the CLI's --json output.
std::string historyToJson(const std::vector<EpochStats>& history);

/// Metrics as JSON text, shared by run files and the CLI's --json output.
std::string metricsToJson(const Metrics& m);

} // namespace headbench
