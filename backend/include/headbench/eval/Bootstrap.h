#pragma once
/// \file Bootstrap.h
/// How sure a metric is: percentile-bootstrap confidence intervals of the metrics of one split,
/// and paired-bootstrap intervals of the difference between two classifiers on the same rows.
/// Plain C++, no torch.
///
/// Resampling is stratified by true class: every resample draws, within each class, as many
/// rows as the class has, uniformly with replacement. Class counts stay fixed, so a small class
/// never vanishes from a resample and ROC-AUC / PR-AUC stay defined in every one. The metrics of
/// a resample are those of computeMetrics (same definitions, same threshold) on the drawn rows;
/// they are computed from per-row draw counts over rows sorted once, not by copying and
/// re-sorting the rows. The interval is the (1-level)/2 and (1+level)/2 quantiles of the
/// resampled values, linearly interpolated (numpy's default `percentile`).
#include <headbench/eval/Metrics.h>

#include <cstdint>
#include <span>

namespace headbench {

struct BootstrapOptions {
    int resamples = 1000;
    double level = 0.95;
    std::uint64_t seed = 0;
};

/// Intervals of every metric of computeMetrics(labels, probs, numClasses, threshold). Metrics
/// that are undefined for the data (ROC-AUC with three classes) get invalid intervals.
MetricIntervals bootstrapIntervals(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses,
                                   double threshold = 0.5, const BootstrapOptions& options = {});

/// Difference of one metric between two classifiers: second minus first, with its interval.
struct PairedDifference {
    double diff = std::numeric_limits<double>::quiet_NaN();
    Interval ci;
};

/// Paired differences of every metric. Each resample draws the rows once and evaluates both
/// classifiers on them, so the interval reflects the difference on shared samples.
struct PairedDifferences {
    PairedDifference accuracy, precision, recall, f1, rocAuc, prAuc, ece;
    std::int64_t samples = 0;
    int resamples = 0;
    double level = 0.95;
    std::uint64_t seed = 0;
};

/// `first` and `second` hold labels.size() x numClasses probabilities of the same rows, each
/// classified at its own threshold (two classes).
PairedDifferences pairedBootstrap(std::span<const std::int32_t> labels, std::span<const float> first,
                                  std::span<const float> second, int numClasses, double firstThreshold = 0.5,
                                  double secondThreshold = 0.5, const BootstrapOptions& options = {});

/// The one table of metric fields: the names used in JSON (`accuracy`, ..., `roc_auc`,
/// `pr_auc`, `ece`) with their members, in display order; the run store (metrics.json,
/// cv.json), the CLI tables and the window's views all read it.
struct MetricField {
    const char* json;                            ///< name in metrics.json, cv.json and --json output
    const char* label;                           ///< name shown to a person (translated by the window)
    double Metrics::*value;
    Interval MetricIntervals::*interval;
    PairedDifference PairedDifferences::*paired;
    bool higherIsBetter;
    /// Computed from predicted classes, so it moves with the decision threshold (accuracy,
    /// precision, recall, F1); the ranking metrics and ECE read the probabilities alone.
    bool thresholdDependent;
    int decimals;                                ///< digits after the point in the window's tables
};
std::span<const MetricField> metricFields();

} // namespace headbench
