#pragma once
/// \file Metrics.h
/// Classification metrics from per-sample probabilities. Plain C++, no torch.
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

/// A two-sided confidence interval; NaN bounds when the metric is undefined (e.g. ROC-AUC with
/// more than two classes).
struct Interval {
    double low = std::numeric_limits<double>::quiet_NaN();
    double high = std::numeric_limits<double>::quiet_NaN();
    bool valid() const { return low == low && high == high; } // neither is NaN
    /// Whether the two intervals share a point (false when either is invalid).
    bool overlaps(const Interval& o) const { return valid() && o.valid() && low <= o.high && o.low <= high; }
};

/// Bootstrap intervals of the metrics of one split (see Bootstrap.h for how they are made).
struct MetricIntervals {
    Interval accuracy, precision, recall, f1, rocAuc, prAuc, ece;
    int resamples = 0;
    double level = 0.95;
    std::uint64_t seed = 0;
};

/// Metrics of one split. For two classes precision/recall/F1 are those of class 1 (the
/// positive class) at the threshold; for more classes they are macro averages over classes
/// and the prediction is the arg-max. ROC-AUC and PR-AUC (average precision) are defined for
/// two classes only and NaN otherwise or when a class is missing.
struct Metrics {
    std::int64_t count = 0;
    double accuracy = 0, precision = 0, recall = 0, f1 = 0;
    double rocAuc = std::numeric_limits<double>::quiet_NaN();
    double prAuc = std::numeric_limits<double>::quiet_NaN();
    double ece = 0;   ///< expected calibration error, 10 equal-width bins of top-class confidence
    double loss = std::numeric_limits<double>::quiet_NaN(); ///< filled by training when known
    std::vector<std::vector<std::int64_t>> confusion; ///< [true][predicted]
    /// 95% bootstrap intervals, when computed (runs saved before they existed have none).
    std::optional<MetricIntervals> ci;
};

/// The metrics of no rows (an empty split, a run that never finished): count 0 and every figure
/// NaN, shown as "-" and written as null, never as a score of 0.
Metrics metricsOfNoRows(int numClasses);

/// What a reader of `m` (the metrics of the rows `where` names: "the test split") must know when
/// some class has no rows in it, as one sentence; empty when every class has rows (or there are
/// no rows). With
/// two classes and no positive rows, recall and F1 are 0 and the AUCs undefined whatever the head
/// does; with more classes, the macro averages leave the absent classes out.
std::string missingClassNote(const Metrics& m, const std::vector<std::string>& labelNames, std::string_view where);

/// Predicted class of one sample from its K probabilities (threshold on p1 for K == 2).
int predictClass(const float* probs, int numClasses, double threshold = 0.5);

/// Computes all metrics. `probs` holds labels.size() x numClasses values, row-major.
Metrics computeMetrics(std::span<const std::int32_t> labels, std::span<const float> probs,
                       int numClasses, double threshold = 0.5);

/// ROC-AUC of scores for binary labels (ties averaged, as Mann-Whitney U). NaN with one class.
double rocAuc(std::span<const std::int32_t> labels, std::span<const float> scores);
/// Average precision (area under the PR curve, step-wise as scikit-learn). NaN with no positives.
double averagePrecision(std::span<const std::int32_t> labels, std::span<const float> scores);
/// One bin of a reliability diagram: the mean top-class probability of its rows and how many
/// of them that class got right.
struct ReliabilityBin {
    double confidence = 0, accuracy = 0;
    std::int64_t count = 0;
};
/// `bins` equal-width bins (lo, hi] of the top-class probability (0 falls in the first); only the
/// bins holding rows, in order. The reliability diagram draws them; the ECE is their weighted gap.
std::vector<ReliabilityBin> reliabilityBins(std::span<const std::int32_t> labels, std::span<const float> probs,
                                            int numClasses, int bins = 10);
/// Expected calibration error with `bins` equal-width bins of the top-class probability.
double expectedCalibrationError(std::span<const std::int32_t> labels, std::span<const float> probs,
                                int numClasses, int bins = 10);

/// One point of a ROC or PR curve.
struct CurvePoint {
    double x = 0, y = 0, threshold = 0;
};
/// ROC curve (x = FPR, y = TPR) at every distinct score, from (0,0) to (1,1).
std::vector<CurvePoint> rocCurve(std::span<const std::int32_t> labels, std::span<const float> scores);
/// Precision-recall curve (x = recall, y = precision) at every distinct score.
std::vector<CurvePoint> prCurve(std::span<const std::int32_t> labels, std::span<const float> scores);

} // namespace headbench
