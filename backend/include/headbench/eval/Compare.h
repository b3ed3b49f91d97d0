#pragma once
/// \file Compare.h
/// Comparing two classifiers on the same samples: McNemar's test on their outcomes and the paired
/// differences of their metrics, each at its own decision threshold.
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Predictions.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

/// McNemar's test on paired correct/incorrect outcomes of two classifiers on the same samples.
struct McNemarResult {
    std::int64_t onlyFirstCorrect = 0;  ///< b: first right, second wrong
    std::int64_t onlySecondCorrect = 0; ///< c: first wrong, second right
    std::int64_t bothCorrect = 0, bothWrong = 0;
    bool exact = false;   ///< exact binomial test (b + c < 25) rather than chi-squared
    double statistic = 0; ///< exact: min(b, c); else (|b - c| - 1)^2 / (b + c) with continuity correction
    double pValue = 1;    ///< two-sided
};

/// `firstCorrect[i]` and `secondCorrect[i]` say whether each run got sample i right.
/// `exactBelow`: use the exact binomial test when b + c is below it (as statsmodels' advice).
McNemarResult mcnemar(std::span<const std::uint8_t> firstCorrect, std::span<const std::uint8_t> secondCorrect,
                      std::int64_t exactBelow = 25);

/// Which samples of a split two runs got right: rows (indices into each run's predictions) and
/// each run's outcome. Samples are matched by id, so runs on different feature files of one
/// dataset (two backbones) pair even when the files order the rows differently. Throws
/// headbench::Error when the runs were not made on the same samples (other ids, an id twice,
/// other labels) or put a sample in different splits.
struct PairedOutcomes {
    std::vector<std::int64_t> rows;       ///< rows of the first run, in its order
    std::vector<std::int64_t> secondRows; ///< the same samples' rows in the second run
    std::vector<std::uint8_t> firstCorrect, secondCorrect; ///< 1 = correct
    std::vector<std::int32_t> firstPredicted, secondPredicted; ///< each run's class at its threshold
};
/// Outcomes are at each run's decision threshold (on p(class 1), two classes; arg-max otherwise).
PairedOutcomes pairOutcomes(const Predictions& first, const Predictions& second, std::uint8_t split,
                            double firstThreshold = 0.5, double secondThreshold = 0.5);

/// Whether two runs' predictions are of the same samples, labelled and split alike: the same
/// ids, each with the same label and split, in any row order (two backbones' feature files of
/// one dataset). Their figures are then comparable whatever features each run was trained on.
bool sameSamples(const Predictions& first, const Predictions& second);

/// Paired differences of every metric (second run minus first) on the samples of `split`,
/// matched as pairOutcomes does, with paired-bootstrap intervals (Bootstrap.h).
PairedDifferences pairedDifferences(const Predictions& first, const Predictions& second, std::uint8_t split,
                                    double firstThreshold = 0.5, double secondThreshold = 0.5,
                                    const BootstrapOptions& options = {});

} // namespace headbench
