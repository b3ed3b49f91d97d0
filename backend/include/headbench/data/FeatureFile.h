#pragma once
/// \file FeatureFile.h
/// The HDF5 feature cache (layout in docs/FORMAT.md): read with full validation, write
/// atomically.
#include <headbench/core/TextColumn.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <memory>
#include <utility>
#include <string>
#include <vector>

namespace headbench {

namespace detail {
/// Memory for a matrix: blocks of 8 MiB and more are 2 MiB-aligned and asked of the kernel as
/// transparent huge pages (madvise), so that the random row reads of the leakage check and of
/// batch gathering do not miss the TLB on every row (a row of 1,024 floats is a 4 KiB page).
void* allocateMatrix(std::size_t bytes);
void freeMatrix(void* p, std::size_t bytes) noexcept;
} // namespace detail

/// An allocator that leaves new elements uninitialised. A feature matrix is always overwritten
/// right after it is sized, and zeroing hundreds of megabytes first costs a full pass over memory.
/// Large blocks come from detail::allocateMatrix (huge pages).
template <typename T> struct UninitializedAllocator : std::allocator<T> {
    template <typename U> struct rebind {
        using other = UninitializedAllocator<U>;
    };
    UninitializedAllocator() = default;
    template <typename U> UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(detail::allocateMatrix(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { detail::freeMatrix(p, n * sizeof(T)); }
    template <typename U> void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
    template <typename U, typename... Args> void construct(U* p, Args&&... args)
    {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// rows x dim floats, row-major.
using FeatureMatrix = std::vector<float, UninitializedAllocator<float>>;

/// Split codes stored in `/split`.
enum SplitCode : std::uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };

/// One feature set of a version-2 file (docs/FORMAT.md): the [N, D] matrix one (layer,
/// pooling) of a backbone gave, stored at `dataset` (`/feature_sets/<name>`).
struct FeatureSetInfo {
    std::string name;     ///< e.g. `layer12.mean`
    int layer = -1;       ///< hidden-state index (0 = embeddings); -1 when only the last was known
    std::string pooling;  ///< cls, mean, last or max
    std::string dataset;  ///< HDF5 path of its matrix
};

/// Features and labels held in memory, as training uses them.
struct FeatureSet {
    std::int64_t rows = 0;
    std::int64_t dim = 0;
    FeatureMatrix features;               ///< rows x dim, row-major
    std::vector<std::int32_t> labels;     ///< rows, values 0..numClasses-1
    TextColumn texts;                     ///< rows, or empty when the file has no /text (copies share it)
    std::vector<std::string> ids;         ///< rows, or empty when the file has no /ids
    std::vector<std::uint8_t> split;      ///< rows, or empty when the file has no /split
    std::vector<std::string> groups;      ///< rows, or empty when the file has no /groups
    std::vector<std::string> labelNames;  ///< numClasses names ("0", "1", ... when absent)
    std::string backbone;
    std::string backboneVersion;          ///< optional attribute `backbone_version`
    /// Other string attributes of the file: how it was extracted (`pooling`, `max_length`,
    /// `backbone_hash`, `cache_key`, ...) and, in a shard, `shard_index`/`shard_count`.
    std::map<std::string, std::string> attributes;
    std::vector<std::int64_t> rowIndex;   ///< `/row_index` of a shard: the rows of the whole set
    std::vector<std::int64_t> nTokens;    ///< `/n_tokens`: token counts before truncation, or empty
    std::string path;                     ///< where it was read from, if anywhere
    /// Version 2: every feature set of the file (empty for a version-1 file), the name of the
    /// one loaded into `features` (the file's default unless asked otherwise), and, for
    /// writing (or reading with loadAllSets), one matrix per entry of `featureSets` (the
    /// default's entry may stay empty: it is `features`).
    std::vector<FeatureSetInfo> featureSets;
    std::string featureSet;
    std::vector<FeatureMatrix> setFeatures;

    int numClasses() const { return static_cast<int>(labelNames.size()); }
    /// The id of row i: the stored id, or the row number when the file has none.
    std::string idOf(std::int64_t row) const;
};

/// What to load besides features and labels.
struct FeatureReadOptions {
    bool loadTexts = true;
    /// A shard may hold a single class; a set to train on may not.
    bool requireTwoClasses = true;
    /// The feature set to load into `features` (a name from `featureSets`); empty: the default
    /// set at `/features` (so does "features"). An unknown name is an error listing the file's sets.
    std::string featureSet = {};
    /// Also load every feature set's matrix into `setFeatures` (merging shards).
    bool loadAllSets = false;
    /// Hash the file (hashFileCached, XXH3) on a second thread while it is read, with this
    /// workspace cache directory ("": the process's memory only); a run's later hashFileCached
    /// of the file then costs nothing. Empty: no hash. A file that cannot be hashed is not an
    /// error here (the later call reports it).
    std::optional<std::string> hashWhileReading;
};

/// Opens `path` as a feature file without reading its data (it exists, is HDF5, opens, holds
/// /features and /labels); throws headbench::Error naming the file and the problem as
/// readFeatureFile would.
void checkFeatureFile(const std::string& path);

/// The string attributes of a feature file (besides `backbone`, `backbone_version` and
/// `label_names`), read without loading any data; empty when the file is missing or not HDF5.
std::map<std::string, std::string> readFeatureAttributes(const std::string& path);

/// Reads and checks a feature file. Throws headbench::Error naming the file and the problem:
/// not HDF5, missing datasets, shape mismatches, non-float features, NaN/Inf rows, labels out
/// of range, a wrong split code, fewer than two classes. float64 features are accepted and
/// converted to float32.
FeatureSet readFeatureFile(const std::string& path, const FeatureReadOptions& options = {});

/// Summary of a feature file without loading texts (for `inspect` and the GUI).
struct FeatureSummary {
    std::int64_t rows = 0, dim = 0;
    std::string backbone;
    std::vector<std::string> labelNames;
    std::vector<std::int64_t> classCounts;
    bool hasSplit = false;
    std::int64_t splitCounts[3] = {0, 0, 0};
    bool hasTexts = false, hasIds = false;
    bool hasGroups = false;
    std::int64_t groupCount = 0;          ///< distinct groups
    std::string splitSource;              ///< attribute split_source: how the stored split was made
    int formatVersion = 1;
    std::vector<FeatureSetInfo> featureSets;
    std::string defaultFeatureSet;
};
FeatureSummary summarize(const FeatureSet& set);

/// Writes a feature file atomically: to a temporary file beside `path`, then renamed over it,
/// so an interrupted write never leaves a file that looks complete.
void writeFeatureFile(const std::string& path, const FeatureSet& set);

/// Name of a split code ("train", "validation", "test").
const char* splitName(std::uint8_t code);

} // namespace headbench
