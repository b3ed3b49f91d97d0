#pragma once
/// \file Rank.h
/// Which representation? Scores every feature set of one or several feature files (layers and
/// poolings of one backbone, or several backbones over the same rows) without training a head:
/// LogME evidence (You et al., 2021) and the converged linear probe's validation F1.
#include <headbench/data/FeatureFile.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

/// LogME (You et al., 2021, "LogME: Practical Assessment of Pre-trained Models for Transfer
/// Learning"): for each class k, the log marginal evidence of a Bayesian linear regression from
/// the features to the one-hot target y_k (prior N(0, 1/alpha), noise 1/beta), with alpha and
/// beta maximising it by the paper's fixed-point iteration on the SVD of the features; divided
/// by the number of rows and averaged over the classes. Higher is better. `x` is rows x dim,
/// row-major; labels are 0..numClasses-1. Computed in double precision; throws headbench::Error
/// for fewer than two rows.
double logme(const float* x, std::int64_t rows, std::int64_t dim, std::span<const std::int32_t> labels, int numClasses);

/// One scored feature set.
struct RankEntry {
    std::string file;
    std::string featureSet;  ///< its name; "features" for a file with a single set
    int layer = -1;          ///< -1 when unknown (single-set file, last-state-only model)
    std::string pooling;     ///< empty when unknown
    std::int64_t dim = 0;
    double logme = 0;        ///< on the training split's rows
    double probeValF1 = 0;   ///< NaN when the probe was not run
    double seconds = 0;
};

struct RankOptions {
    bool probe = true;        ///< also fit the L-BFGS linear probe (l2 auto) on each set
    std::uint64_t seed = 42;  ///< of a split made when a file has none (as training makes it)
};

/// Progress of a ranking; called on the ranking thread.
class RankObserver {
public:
    virtual ~RankObserver() = default;
    virtual void onProgress(int done, int total, const std::string& current) {}
    /// Polled between feature sets; true stops and returns the sets scored so far.
    virtual bool shouldStop() { return false; }
};

/// Scores every feature set of `files` and returns them best first (by LogME). Files must hold
/// the same rows: the same ids (or row count when they have none) and labels in the same order;
/// otherwise a headbench::Error names the first file that differs and how. The rows LogME sees
/// and the probe's train/validation split are those training uses (the file's /split, else by
/// group, else a seeded stratified split).
std::vector<RankEntry> rankFeatureSets(const std::vector<std::string>& files, const RankOptions& options = {},
                                       RankObserver* observer = nullptr);

} // namespace headbench
