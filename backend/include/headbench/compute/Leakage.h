#pragma once
/// \file Leakage.h
/// Duplicates and near duplicates across the splits of a feature set: the leakage that makes a
/// head look better (or, on fix pairs, far worse) than it is. Method and thresholds are
/// documented in docs/FORMAT.md ("Leakage report").
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

struct FeatureSet;

struct LeakageOptions {
    enum class Method {
        Auto,     ///< text when the file has /text, else features
        Text,     ///< Jaccard similarity of token shingles (C lexer tokens, literals kept)
        Features, ///< cosine similarity of mean-centred feature vectors
        Off,      ///< not measured
    };
    Method method = Method::Auto;
    double jaccardThreshold = 0.8; ///< near duplicate: Jaccard of token shingles at least this
    double cosineThreshold = 0.95; ///< near duplicate: cosine of centred features at least this
    int shingleTokens = 3;         ///< tokens per shingle
    /// A folder where reports are kept by the feature file's content and the split (a
    /// workspace's .cache/leakage): the next run on the same file and split, in this process or
    /// another, reads it instead of measuring again. Empty: only the last report of this process
    /// is remembered. Used only with `contentHash`.
    std::string cacheDir;
    std::string contentHash;       ///< the feature file's content hash (hashFile)
};

/// Per-row flags in LeakageReport::flags.
enum LeakageFlag : std::uint8_t { kExactDuplicate = 1, kNearDuplicate = 2, kConflictingLabel = 4 };

/// What measureLeakage found. Counts of validation/test rows; a near duplicate includes exact ones.
struct LeakageReport {
    bool measured = false;
    std::string method;               ///< "text" or "features"
    double nearThreshold = 0;
    std::int64_t trainRows = 0, validationRows = 0, testRows = 0;
    std::int64_t validationExactDuplicates = 0, validationNearDuplicates = 0;
    std::int64_t testExactDuplicates = 0, testNearDuplicates = 0;
    /// Rows anywhere in the file whose normalised text (or features) also occurs with another label.
    std::int64_t conflictingLabels = 0;
    /// Rows anywhere in the file that repeat an earlier row's normalised text (or features).
    std::int64_t duplicateRows = 0;
    double seconds = 0;               ///< what measuring took (when it was read from a cache: back then)
    bool fromCache = false;           ///< read from the workspace's cache, not measured by this run
    /// Per row of the file: LeakageFlag bits (training rows carry only kConflictingLabel).
    std::vector<std::uint8_t> flags;
    /// Per row: the most similar training row found for a validation/test row (-1: none at or
    /// above half the threshold), and its similarity (Jaccard or cosine; NaN when none). By
    /// features, the similarity is exact for a near duplicate; below the threshold it is the best
    /// of the candidates the projection signs put nearest (only pairs that could reach the
    /// threshold are verified past the nearest one).
    std::vector<std::int64_t> nearestTrain;
    std::vector<float> similarity;
};

/// Measures leakage of `split` (codes as in FeatureFile.h) in `data`. Exact duplicates: the same
/// text after normalising whitespace and comments (normalizedCode), or the same feature vector
/// when there is no text. Near duplicates: MinHash candidates (text) or sign-random-projection
/// candidates (features), each verified exactly against the threshold. Uses the torch thread
/// pool. The last result is remembered, so a sweep over one split measures it once; with
/// options.cacheDir the report is also kept on disk for later processes (a damaged or foreign
/// cache file is ignored and rewritten).
LeakageReport measureLeakage(const FeatureSet& data, std::span<const std::uint8_t> split,
                             const LeakageOptions& options = {});

/// Duplicate and conflicting-label counts of a file, whatever its split (for inspect).
struct DuplicateSummary {
    std::int64_t duplicateRows = 0;    ///< rows repeating an earlier row (normalised text or features)
    std::int64_t conflictingLabels = 0; ///< rows whose text also occurs with another label
    bool byText = false;
};
DuplicateSummary findDuplicates(const FeatureSet& data);

/// "auto", "text", "features", "off"; parse throws headbench::Error listing them.
const char* toString(LeakageOptions::Method method);
LeakageOptions::Method parseLeakageMethod(const std::string& name);

} // namespace headbench
