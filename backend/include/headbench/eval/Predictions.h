#pragma once
/// \file Predictions.h
/// Per-sample outputs of a classifier on a labelled set: what metrics, comparisons and label
/// issues are computed from (a run's predictions.csv holds one).
#include <cstdint>
#include <string>
#include <vector>

namespace headbench {

struct Predictions {
    std::vector<std::string> ids;
    std::vector<std::int32_t> labels;
    std::vector<std::uint8_t> split;   ///< SplitCode of each row (FeatureFile.h)
    std::vector<float> probabilities;  ///< rows x numClasses, row-major
    std::vector<std::string> labelNames;
    int numClasses = 0;

    std::size_t rows() const { return ids.size(); }
    const float* row(std::size_t r) const { return probabilities.data() + r * static_cast<std::size_t>(numClasses); }
};

/// The labels and probabilities of the rows of one split, in order: what computeMetrics takes.
struct SplitRows {
    std::vector<std::int32_t> labels;
    std::vector<float> probabilities;
};
SplitRows rowsOfSplit(const Predictions& p, std::uint8_t split);

} // namespace headbench
