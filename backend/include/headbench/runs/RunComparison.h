#pragma once
/// \file RunComparison.h
/// Comparing saved runs, once for every front end: `headbench-cli compare` prints this value and
/// the window's Compare view shows it, so the two cannot disagree. Every figure of a run is at
/// its decision threshold: the one saved in run.json (two classes), else 0.5.
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Compare.h>
#include <headbench/runs/RunStore.h>

#include <optional>
#include <string>
#include <vector>

namespace headbench {

/// A run as compared: its record with the validation and test metrics (and their bootstrap
/// intervals) at `threshold`, and its per-sample outputs.
struct ComparedRun {
    RunRecord record;
    RunPredictions predictions;
    double threshold = 0.5;      ///< the decision threshold every figure of this run is at
    bool savedThreshold = false; ///< threshold comes from run.json (else the default 0.5)
    /// Two classes: the ROC and precision-recall curves of the positive class on the test split.
    std::vector<CurvePoint> testRoc, testPr;
    /// cv.json's fold mean and sd, for a run trained with cross-validation (read by
    /// compareLoadedRuns when not given; a damaged cv.json leaves it unset).
    std::optional<CrossValidationSummary> crossValidation;
};

/// A file of a run that could not be read; the compare (or the window) goes on without what it held.
struct RunFileProblem {
    std::string file;    ///< its path
    std::string problem; ///< "is damaged (cut short at line 2, column 1)", "cannot be opened for reading"
    std::string run;     ///< the name of the run it belongs to
    std::string leftOut; ///< what the compare leaves out because of it: "cross-validation figures"
    /// One line naming all of it: "<file> is damaged (…): the cross-validation figures of '<run>' are left out".
    std::string sentence() const;
};

/// The cross-validation summary (cv.json) of the run `runName` in `runDir`: nothing for a run
/// trained without one; nothing and `problem` set when the file is damaged or unreadable, which
/// costs the caller the run's cross-validation figures, not the run.
std::optional<CrossValidationSummary> loadCrossValidationOrProblem(const std::string& runDir, const std::string& runName,
                                                                   std::optional<RunFileProblem>& problem);

struct RunComparison {
    std::vector<ComparedRun> runs;
    /// Head-spec fields that differ, then the training settings outside the spec that do
    /// ("features", "backbone"), each with every run's value.
    std::vector<SpecDifference> differences;
    /// False when the runs were trained on different samples, labels or splits: their figures
    /// are not comparable and no run should be called best. Runs on different feature files of
    /// the same samples, split alike (two backbones), are comparable.
    bool sameData = true;
    /// Files of the runs that could not be read, and what the comparison left out because of
    /// them (a damaged cv.json: that run's cross-validation figures).
    std::vector<RunFileProblem> problems;
    // Two runs only: McNemar's test and the paired differences on the test split (the
    // validation split when there are no test rows), each run at its own threshold.
    std::string pairedSplit;     ///< "test" or "validation"; empty when the runs were not paired
    std::string pairingProblem;  ///< why two runs could not be paired; empty otherwise
    PairedOutcomes outcomes;
    std::optional<McNemarResult> mcnemar;
    std::optional<PairedDifferences> paired;
};

struct CompareOptions {
    bool pairedDifferences = true; ///< the paired bootstrap (the slow part: about a second on 15,000 rows)
};

/// Compares runs already loaded (a run whose record holds a saved threshold and is not yet at it
/// is put at it first).
RunComparison compareLoadedRuns(std::vector<ComparedRun> runs, const CompareOptions& options = {});

/// Loads the run folders and compares them (compareLoadedRuns). Throws headbench::Error for fewer than two runs or
/// a run folder that cannot be read; runs that cannot be paired are reported in pairingProblem.
RunComparison compareRuns(const std::vector<std::string>& runDirs, const CompareOptions& options = {});

/// A run's record with its validation and test metrics recomputed at `threshold` (two classes)
/// from its predictions, intervals included; other runs are returned as saved.
void applyThreshold(ComparedRun& run, double threshold);

} // namespace headbench
