#pragma once
/// \file Split.h
/// Train/validation/test splits: stratified by class, or by group so that related rows (the two
/// versions of a fixed function, one project, one commit) never straddle two splits.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

struct FeatureSet;

/// A stratified train/validation/test split (codes as in FeatureFile.h), the same for the
/// same labels and seed. Each class keeps its proportion; a class with at least three
/// samples gets at least one in each split.
std::vector<std::uint8_t> stratifiedSplit(std::span<const std::int32_t> labels, int numClasses,
                                          std::uint64_t seed, double trainFraction = 0.8,
                                          double validationFraction = 0.1);

/// Rows gathered by group: each group's class counts (groups in order of first appearance) and
/// each row's group. Rows outside `inPool` (when given) are not counted and keep group 0.
struct GroupTable {
    std::vector<std::vector<std::int64_t>> counts; ///< groups x classes
    std::vector<std::size_t> groupOf;              ///< rows
};
GroupTable tabulateGroups(std::span<const std::int32_t> labels, std::span<const std::string> groups, int numClasses,
                          std::span<const std::uint8_t> inPool = {});

/// A seeded split by group: every group lies in one split; groups are placed largest first
/// (ties in seeded order) into the split whose classes most lack rows, so that the rows come
/// out about trainFraction / validationFraction / rest and each class keeps its proportion as
/// well as the groups allow. Throws headbench::Error with fewer than three groups.
std::vector<std::uint8_t> groupSplit(std::span<const std::int32_t> labels, std::span<const std::string> groups,
                                     int numClasses, std::uint64_t seed, double trainFraction = 0.8,
                                     double validationFraction = 0.1);

/// Learning curves: the training rows a run with `fraction` of the training split uses (row
/// indices, ascending). Stratified: each class keeps max(1, round(fraction * n_c)) of its n_c
/// training rows. Nested: each class's training rows are shuffled once from `seed` and a prefix is
/// taken, so for the same split and seed the subset of a smaller fraction lies inside that of every
/// larger one. Validation and test rows are never included. fraction 1 gives every training row.
/// Throws headbench::Error unless 0 < fraction <= 1.
std::vector<std::int64_t> trainSubset(std::span<const std::int32_t> labels, std::span<const std::uint8_t> split,
                                      int numClasses, double fraction, std::uint64_t seed);

/// Which split a training run uses.
enum class SplitMode {
    Auto,   ///< the file's /split; else by /groups when the file has them; else random
    File,   ///< the file's /split (an error when there is none)
    Random, ///< stratified random 80/10/10 from the seed, even when the file has a split
    Group,  ///< by /groups, 80/10/10 from the seed (an error when there are no groups)
};
/// "auto", "file", "random", "group".
const char* toString(SplitMode mode);
/// Parses a name of toString; throws headbench::Error listing the names.
SplitMode parseSplitMode(std::string_view name);

/// The split a run uses and where it came from.
struct SplitChoice {
    std::vector<std::uint8_t> split;
    std::string source; ///< "file", "group" or "random"
};

/// Resolves a split mode for a feature set. Throws headbench::Error naming the file when the
/// mode needs what the file lacks.
SplitChoice chooseSplit(const FeatureSet& data, SplitMode mode, std::uint64_t seed);

} // namespace headbench
