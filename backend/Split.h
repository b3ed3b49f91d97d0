#pragma once
/// \file Split.h
#include <cstdint>
#include <span>
#include <vector>

namespace headbench {

/// A stratified train/validation/test split (codes as in FeatureFile.h), the same for the
/// same labels and seed. Each class keeps its proportion; a class with at least three
/// samples gets at least one in each split.
std::vector<std::uint8_t> stratifiedSplit(std::span<const std::int32_t> labels, int numClasses,
                                          std::uint64_t seed, double trainFraction = 0.8,
                                          double validationFraction = 0.1);

} // namespace headbench
