#pragma once
/// \file RunEvaluation.h
/// Applying a saved run's head to a feature file, once for every front end (`headbench-cli
/// eval` prints it). On the file the run was trained on, the rows of each split are the run's
/// own (predictions.csv keeps every row's split, also for runs split at random or by group),
/// and the default is the test split, so eval repeats train's test figures; on another file
/// the default is every row, and a split needs the file's /split.
#include <headbench/eval/Metrics.h>
#include <headbench/runs/RunStore.h>

#include <optional>
#include <string>
#include <vector>

namespace headbench {

struct RunEvaluation {
    RunRecord run;
    std::string features;                 ///< the feature file evaluated
    bool ownFile = false;                 ///< the file the run was trained on (same content)
    std::string split;                    ///< "all", "train", "validation" or "test"
    std::int64_t rows = 0;                ///< rows evaluated
    std::optional<double> threshold;      ///< decision threshold on p(class 1); two classes only
    std::vector<std::string> labelNames;
    Metrics metrics;                      ///< with 95% bootstrap intervals (seeded with the head's seed)
};

/// `split`: "all", "train", "validation", "test", or unset for the default (see above).
/// `threshold`: unset for the run's saved threshold, else 0.5. Throws headbench::Error naming
/// the file and the problem for a head that does not fit the file (dimension, classes), a
/// threshold outside (0, 1) or given for more than two classes, a split the file cannot give,
/// or an empty split.
RunEvaluation evaluateRun(const std::string& runDir, const std::string& featuresPath,
                          const std::optional<std::string>& split = std::nullopt,
                          std::optional<double> threshold = std::nullopt);

} // namespace headbench
