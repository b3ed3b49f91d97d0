#pragma once
/// \file SplitEvaluation.h
/// One split of a run's predictions as the evaluation view shows it: the curves and reliability
/// bins, which do not depend on the threshold, computed once; the metrics at any threshold on
/// request. The window hands the view this value; the view only draws it.
#include <headbench/eval/Metrics.h>
#include <headbench/eval/Predictions.h>

#include <cstdint>
#include <vector>

namespace headbench {

/// Where a two-class decision threshold puts a classifier on its ROC and PR curves.
struct OperatingPoint {
    double falsePositiveRate = 0, truePositiveRate = 0;
    double precision = 1; ///< 1 when nothing is predicted positive (the PR curve's start)
};
/// From two-class metrics' confusion matrix (true class by row).
OperatingPoint operatingPoint(const Metrics& twoClass);

class SplitEvaluation {
public:
    SplitEvaluation() = default;
    /// `rows`: the split's labels and probabilities (rows x numClasses). `temperature` != 1: the
    /// probabilities were temperature-scaled, and reliabilityBefore() shows them before.
    SplitEvaluation(SplitRows rows, int numClasses, double temperature = 1.0);

    std::size_t rows() const { return m_rows.labels.size(); }
    int numClasses() const { return m_numClasses; }
    bool binary() const { return m_numClasses == 2 && rows() > 0; }
    /// ROC and precision-recall curves of the positive class (two classes; empty otherwise).
    const std::vector<CurvePoint>& roc() const { return m_roc; }
    const std::vector<CurvePoint>& pr() const { return m_pr; }
    /// Reliability bins (10) of the probabilities, and of those before calibration (empty
    /// without calibration).
    const std::vector<ReliabilityBin>& reliability() const { return m_reliability; }
    const std::vector<ReliabilityBin>& reliabilityBefore() const { return m_reliabilityBefore; }
    /// Every metric at a decision threshold on the positive class (two classes; argmax otherwise).
    Metrics at(double threshold) const;

private:
    SplitRows m_rows;
    int m_numClasses = 0;
    std::vector<CurvePoint> m_roc, m_pr;
    std::vector<ReliabilityBin> m_reliability, m_reliabilityBefore;
};

} // namespace headbench
