#include <headbench/extract/Extractor.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/data/FeatureFile.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

namespace headbench {

namespace fs = std::filesystem;

namespace {

std::string hex(std::uint64_t h)
{
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::uint64_t mix(std::uint64_t h, std::string_view s)
{
    const std::uint64_t n = s.size();
    h = fnv1a64(std::string_view(reinterpret_cast<const char*>(&n), sizeof n), h);
    return fnv1a64(s, h);
}

std::string keyOf(const std::string& dataHash, const Backbone& backbone, int shardIndex, int shardCount)
{
    std::uint64_t h = mix(0xcbf29ce484222325ULL, dataHash);
    h = mix(h, backbone.name());
    h = mix(h, backbone.version());
    h = mix(h, std::to_string(backbone.dim()));
    for (const auto& [k, v] : backbone.attributes())
        h = mix(mix(h, k), v);
    if (shardCount > 1)
        h = mix(h, std::to_string(shardIndex) + "/" + std::to_string(shardCount));
    return hex(h);
}

/// The resumable work area beside the output: state.json plus one raw float file per chunk,
/// each written to a temporary name and renamed, so a kill leaves only whole chunks.
class ChunkStore {
public:
    ChunkStore(std::string dir, std::string key, std::int64_t rows, std::int64_t dim, std::int64_t chunkRows)
        : m_dir(std::move(dir)), m_key(std::move(key)), m_rows(rows), m_dim(dim), m_chunkRows(chunkRows) {}

    /// Number of leading chunks already finished by an earlier run with the same key.
    std::int64_t open(bool resume)
    {
        std::error_code ec;
        if (resume && fs::is_directory(m_dir, ec) && stateMatches()) {
            // A chunk is taken when whole and made of numbers: one changed on disk (NaN rows) was
            // assembled into a file the reader refuses, which later runs then reused as done.
            std::int64_t k = 0;
            while (k < chunkCount() && fs::file_size(chunkPath(k), ec) == bytesOf(k) && !ec && holdsNumbers(k))
                ++k;
            return k;
        }
        fs::remove_all(m_dir, ec);
        fs::create_directories(m_dir, ec);
        if (ec)
            throw Error(m_dir + ": cannot create the extraction work folder: " + ec.message());
        const nlohmann::json state{{"key", m_key}, {"rows", m_rows}, {"dim", m_dim}, {"chunk_rows", m_chunkRows}};
        writeFileAtomically(m_dir + "/state.json", state.dump());
        return 0;
    }

    std::int64_t chunkCount() const { return (m_rows + m_chunkRows - 1) / m_chunkRows; }
    std::int64_t rowsOf(std::int64_t k) const { return std::min(m_chunkRows, m_rows - k * m_chunkRows); }

    void write(std::int64_t k, const float* data)
    {
        writeFileAtomically(chunkPath(k), std::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(bytesOf(k))));
    }

    bool holdsNumbers(std::int64_t k) const
    {
        std::vector<float> values(static_cast<std::size_t>(rowsOf(k) * m_dim));
        try {
            read(k, values.data());
        } catch (const Error&) {
            return false;
        }
        return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
    }

    void read(std::int64_t k, float* data) const
    {
        std::ifstream in(chunkPath(k), std::ios::binary);
        in.read(reinterpret_cast<char*>(data), static_cast<std::streamsize>(bytesOf(k)));
        if (!in)
            throw Error(chunkPath(k) + ": cannot read a finished chunk back");
    }

    void remove()
    {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

private:
    std::string chunkPath(std::int64_t k) const
    {
        char name[32];
        std::snprintf(name, sizeof name, "/chunk-%06lld.f32", static_cast<long long>(k));
        return m_dir + name;
    }
    std::uintmax_t bytesOf(std::int64_t k) const
    {
        return static_cast<std::uintmax_t>(rowsOf(k) * m_dim) * sizeof(float);
    }
    bool stateMatches() const
    {
        try {
            std::ifstream in(m_dir + "/state.json");
            const auto s = nlohmann::json::parse(in);
            return s.at("key") == m_key && s.at("rows") == m_rows && s.at("dim") == m_dim && s.at("chunk_rows") == m_chunkRows;
        } catch (const std::exception&) {
            return false;
        }
    }
    std::string m_dir, m_key;
    std::int64_t m_rows, m_dim, m_chunkRows;
};

/// A backbone with several feature sets encodes each row as the sets side by side: the default
/// set becomes `features`, every other one its own matrix (version-2 file).
void splitFeatureSets(FeatureSet& set, const Backbone& backbone)
{
    const std::vector<FeatureSetInfo> sets = backbone.featureSets();
    if (sets.empty())
        return;
    const auto count = static_cast<std::int64_t>(sets.size());
    const std::int64_t width = set.dim / count;
    const std::size_t chosen = backbone.defaultFeatureSet();
    set.setFeatures.assign(sets.size(), FeatureMatrix());
    for (std::size_t s = 0; s < sets.size(); ++s) {
        FeatureMatrix m(static_cast<std::size_t>(set.rows * width));
        for (std::int64_t r = 0; r < set.rows; ++r)
            std::copy_n(set.features.data() + r * set.dim + static_cast<std::int64_t>(s) * width, width, m.data() + r * width);
        set.setFeatures[s] = std::move(m);
        set.featureSets.push_back(sets[s]);
        set.featureSets.back().dataset = "/feature_sets/" + sets[s].name;
    }
    set.features = std::move(set.setFeatures[chosen]);
    set.setFeatures[chosen] = FeatureMatrix();
    set.dim = width;
    set.featureSet = sets[chosen].name;
}

/// A count kept as a string attribute; -1 when absent or not a number (a file from elsewhere).
std::int64_t countAttribute(const std::map<std::string, std::string>& attrs, const std::string& key)
{
    const auto it = attrs.find(key);
    if (it == attrs.end())
        return -1;
    try {
        std::size_t used = 0;
        const long long v = std::stoll(it->second, &used);
        return used == it->second.size() && v >= 0 ? v : -1;
    } catch (const std::exception&) {
        return -1;
    }
}

/// What the model saw: per row the token count before truncation (`/n_tokens`) and the number of
/// rows the window cut (`truncated_rows`), for backbones with a token window.
void recordTokenCounts(const Backbone& backbone, std::span<const std::string> texts, FeatureSet& set,
                       ExtractionResult& result)
{
    set.nTokens = backbone.tokenCounts(texts);
    if (set.nTokens.empty())
        return;
    const std::int64_t window = backbone.window();
    result.truncatedRows = backbone.seesWholeText()
                               ? 0
                               : std::count_if(set.nTokens.begin(), set.nTokens.end(),
                                               [window](std::int64_t n) { return window > 0 && n > window; });
    set.attributes["truncated_rows"] = std::to_string(result.truncatedRows);
}

} // namespace

std::string datasetHash(const Dataset& data)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i < data.size(); ++i) {
        h = mix(h, data.texts[i]);
        h = mix(h, std::to_string(data.labels[i]));
        h = mix(h, i < data.ids.size() ? data.ids[i] : std::string());
    }
    for (const auto& name : data.labelNames)
        h = mix(h, name);
    // Split and groups count only when present, so that a dataset without them keeps the hash
    // (and the cached extractions) it had before they existed.
    if (!data.split.empty()) {
        h = mix(h, "split:" + data.splitSource);
        h = mix(h, std::string(data.split.begin(), data.split.end()));
    }
    if (!data.groups.empty()) {
        h = mix(h, "groups");
        for (const auto& g : data.groups)
            h = mix(h, g);
    }
    return "fnv1a64:" + hex(h);
}

std::string extractionKey(const Dataset& data, const Backbone& backbone)
{
    return keyOf(datasetHash(data), backbone, 0, 1);
}

ExtractionResult extractFeatures(const Dataset& data, Backbone& backbone, const std::string& outPath,
                                 ExtractionObserver* observer, const ExtractOptions& options)
{
    if (data.size() == 0)
        throw Error(data.source + ": no samples to extract");
    if (options.shardCount < 1 || options.shardIndex < 0 || options.shardIndex >= options.shardCount)
        throw Error("shard " + std::to_string(options.shardIndex) + "/" + std::to_string(options.shardCount) +
                    " is not a valid shard (0 <= index < count)");
    const auto total = static_cast<std::int64_t>(data.size());
    if (options.shardCount > total)
        throw Error(std::to_string(options.shardCount) + " shards for " + std::to_string(total) +
                    " rows: some shards would be empty");
    const bool sharded = options.shardCount > 1;
    const std::string dataHash = datasetHash(data);
    const std::string fullKey = keyOf(dataHash, backbone, 0, 1);
    ExtractionResult result;
    result.cacheKey = keyOf(dataHash, backbone, options.shardIndex, options.shardCount);

    // This shard's rows: a contiguous, deterministic slice of the dataset's row order.
    const std::int64_t first = total * options.shardIndex / options.shardCount;
    const std::int64_t last = total * (options.shardIndex + 1) / options.shardCount;
    const std::int64_t rows = last - first;
    result.rows = rows;

    if (options.reuse) {
        const auto attrs = readFeatureAttributes(outPath);
        const auto it = attrs.find("cache_key");
        if (it != attrs.end() && it->second == result.cacheKey) {
            result.status = ExtractionResult::Reused;
            result.truncatedRows = countAttribute(attrs, "truncated_rows");
            if (observer)
                observer->onProgress(rows, rows);
            return result;
        }
    }

    // Longest texts first: similar lengths share a batch (little padding), and a batch too
    // large for memory fails at the start, not after an hour.
    const std::span<const std::string> texts = std::span<const std::string>(data.texts).subspan(
        static_cast<std::size_t>(first), static_cast<std::size_t>(rows));
    const std::vector<std::int64_t> lengths = backbone.lengths(texts);
    std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
        return lengths[static_cast<std::size_t>(a)] > lengths[static_cast<std::size_t>(b)];
    });

    const std::int64_t dim = backbone.dim();
    const std::int64_t batch = std::max(1, options.batchSize);
    const std::int64_t chunkRows = options.chunkRows > 0 ? options.chunkRows : 16 * batch;
    ChunkStore store(outPath + ".partial", result.cacheKey, rows, dim, chunkRows);
    const std::int64_t doneChunks = store.open(options.resume);

    FeatureSet set;
    set.rows = rows;
    set.dim = dim;
    set.features.resize(static_cast<std::size_t>(rows * dim));
    std::vector<float> chunk;
    std::vector<std::string> batchTexts;
    std::int64_t done = 0;
    // The work of a batch, as the backbone costs it: padded to its longest (first) row.
    const auto batchWork = [&](std::int64_t k, std::int64_t b) {
        const std::int64_t n = std::min(batch, store.rowsOf(k) - b);
        return backbone.batchCost(n, lengths[static_cast<std::size_t>(order[static_cast<std::size_t>(k * chunkRows + b)])]);
    };
    double workTotal = 0, workDone = 0;
    for (std::int64_t k = 0; k < store.chunkCount(); ++k)
        for (std::int64_t b = 0; b < store.rowsOf(k); b += batch)
            workTotal += batchWork(k, b);
    auto scatter = [&](std::int64_t k) {
        for (std::int64_t r = 0; r < store.rowsOf(k); ++r) {
            const std::int64_t row = order[static_cast<std::size_t>(k * chunkRows + r)];
            std::copy_n(chunk.data() + r * dim, dim, set.features.data() + row * dim);
        }
    };
    for (std::int64_t k = 0; k < store.chunkCount(); ++k) {
        chunk.resize(static_cast<std::size_t>(store.rowsOf(k) * dim));
        if (k < doneChunks) {
            store.read(k, chunk.data());
            result.resumedRows += store.rowsOf(k);
            for (std::int64_t b = 0; b < store.rowsOf(k); b += batch)
                workDone += batchWork(k, b);
        } else {
            for (std::int64_t b = 0; b < store.rowsOf(k); b += batch) {
                if (observer && observer->shouldStop()) {
                    result.status = ExtractionResult::Cancelled;
                    return result;
                }
                const std::int64_t n = std::min(batch, store.rowsOf(k) - b);
                batchTexts.clear();
                for (std::int64_t r = 0; r < n; ++r)
                    batchTexts.push_back(texts[static_cast<std::size_t>(order[static_cast<std::size_t>(k * chunkRows + b + r)])]);
                backbone.encode(batchTexts, chunk.data() + b * dim);
                workDone += batchWork(k, b);
                if (observer) {
                    observer->onWork(workDone, workTotal);
                    observer->onProgress(done + b + n, rows);
                }
            }
            store.write(k, chunk.data());
        }
        scatter(k);
        done += store.rowsOf(k);
        if (observer) {
            observer->onWork(workDone, workTotal);
            observer->onProgress(done, rows);
        }
    }

    auto slice = [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        return v.empty() ? V() : V(v.begin() + first, v.begin() + last);
    };
    set.labels = slice(data.labels);
    set.texts = slice(data.texts);
    set.ids = slice(data.ids);
    set.split = slice(data.split);
    set.groups = slice(data.groups);
    set.labelNames = data.labelNames;
    set.backbone = backbone.name();
    set.backboneVersion = backbone.version();
    set.attributes = backbone.attributes();
    set.attributes["dataset_hash"] = dataHash;
    set.attributes["cache_key"] = result.cacheKey;
    if (const std::string tokenizer = backbone.tokenizerPath(); !tokenizer.empty())
        set.attributes["tokenizer_path"] = tokenizer;
    if (!data.split.empty())
        set.attributes["split_source"] = data.splitSource.empty() ? "dataset" : data.splitSource;
    if (sharded) {
        set.attributes["extraction_key"] = fullKey;
        set.attributes["shard_index"] = std::to_string(options.shardIndex);
        set.attributes["shard_count"] = std::to_string(options.shardCount);
        set.attributes["total_rows"] = std::to_string(total);
        set.rowIndex.resize(static_cast<std::size_t>(rows));
        std::iota(set.rowIndex.begin(), set.rowIndex.end(), first);
    }
    splitFeatureSets(set, backbone);
    recordTokenCounts(backbone, texts, set, result);
    writeFeatureFile(outPath, set);
    store.remove();
    return result;
}

std::int64_t mergeShards(const std::vector<std::string>& shardPaths, const std::string& outPath)
{
    if (shardPaths.empty())
        throw Error("merge: no shard files given");
    refuseToReplaceAnInput(outPath, shardPaths, "one of the shards");
    std::vector<FeatureSet> shards;
    std::map<int, std::string> byIndex;
    int count = 0;
    std::int64_t total = 0;
    // Attributes every shard must agree on.
    static const char* const mustAgree[] = {"extraction_key", "dataset_hash", "backbone_hash", "pooling", "layers", "poolings",
                                            "max_length", "normalize", "tokenizer_hash", "total_rows", "shard_count"};
    for (const std::string& path : shardPaths) {
        FeatureSet s = readFeatureFile(path, {.loadTexts = true, .requireTwoClasses = false, .featureSet = {}, .loadAllSets = true});
        const auto idx = s.attributes.find("shard_index");
        if (idx == s.attributes.end() || s.rowIndex.empty())
            throw Error(path + ": not a shard (no shard_index attribute or /row_index); make shards with extract --shard I/N");
        const int index = std::stoi(idx->second);
        const int n = std::stoi(s.attributes.at("shard_count"));
        if (!shards.empty()) {
            const FeatureSet& ref = shards.front();
            auto get = [](const FeatureSet& f, const char* key) {
                const auto it = f.attributes.find(key);
                return it == f.attributes.end() ? std::string() : it->second;
            };
            for (const char* key : mustAgree) {
                const std::string va = get(ref, key), vb = get(s, key);
                if (va != vb)
                    throw Error(path + ": " + key + " is '" + vb + "' but " + shardPaths.front() + " has '" + va +
                                "': the shards are not from one extraction");
            }
            if (s.backbone != ref.backbone || s.backboneVersion != ref.backboneVersion)
                throw Error(path + ": backbone " + s.backbone + " differs from " + ref.backbone + " in " + shardPaths.front());
            if (s.dim != ref.dim)
                throw Error(path + ": dimension " + std::to_string(s.dim) + " differs from " + std::to_string(ref.dim) +
                            " in " + shardPaths.front());
            if (s.labelNames != ref.labelNames)
                throw Error(path + ": label names differ from " + shardPaths.front());
        }
        if (const auto [it, fresh] = byIndex.emplace(index, path); !fresh)
            throw Error("merge: shard " + std::to_string(index) + "/" + std::to_string(n) + " is given twice (" + it->second +
                        " and " + path + ")");
        count = n;
        total = std::stoll(s.attributes.at("total_rows"));
        shards.push_back(std::move(s));
    }
    std::vector<int> missing;
    for (int i = 0; i < count; ++i)
        if (!byIndex.count(i))
            missing.push_back(i);
    if (!missing.empty()) {
        std::string list;
        for (int i : missing)
            list += (list.empty() ? "" : ", ") + std::to_string(i);
        throw Error("merge: " + std::to_string(missing.size()) + " of " + std::to_string(count) +
                    " shards missing (index " + list + "); every shard 0.." + std::to_string(count - 1) + " is needed");
    }

    const FeatureSet& ref = shards.front();
    FeatureSet out;
    out.rows = total;
    out.dim = ref.dim;
    out.features.resize(static_cast<std::size_t>(total * ref.dim));
    out.labels.assign(static_cast<std::size_t>(total), -1);
    out.featureSets = ref.featureSets;
    out.featureSet = ref.featureSet;
    for (const FeatureMatrix& m : ref.setFeatures) // every feature set of a version-2 extraction
        out.setFeatures.emplace_back(static_cast<std::size_t>(total) * (m.size() / static_cast<std::size_t>(ref.rows)));
    const bool texts = std::all_of(shards.begin(), shards.end(), [](const FeatureSet& s) { return !s.texts.empty(); });
    const bool ids = std::all_of(shards.begin(), shards.end(), [](const FeatureSet& s) { return !s.ids.empty(); });
    const bool splits = std::all_of(shards.begin(), shards.end(), [](const FeatureSet& s) { return !s.split.empty(); });
    const bool groups = std::all_of(shards.begin(), shards.end(), [](const FeatureSet& s) { return !s.groups.empty(); });
    const bool nTokens = std::all_of(shards.begin(), shards.end(), [](const FeatureSet& s) { return !s.nTokens.empty(); });
    if (nTokens) out.nTokens.resize(static_cast<std::size_t>(total));
    std::vector<std::string> mergedTexts(texts ? static_cast<std::size_t>(total) : 0);
    if (ids) out.ids.resize(static_cast<std::size_t>(total));
    if (splits) out.split.resize(static_cast<std::size_t>(total));
    if (groups) out.groups.resize(static_cast<std::size_t>(total));
    std::vector<char> seen(static_cast<std::size_t>(total), 0);
    for (std::size_t s = 0; s < shards.size(); ++s) {
        FeatureSet& sh = shards[s];
        for (std::int64_t r = 0; r < sh.rows; ++r) {
            const std::int64_t row = sh.rowIndex[static_cast<std::size_t>(r)];
            if (row < 0 || row >= total)
                throw Error(shardPaths[s] + ": row index " + std::to_string(row) + " is outside 0.." + std::to_string(total - 1));
            if (seen[static_cast<std::size_t>(row)]++)
                throw Error(shardPaths[s] + ": row " + std::to_string(row) + " is also in another shard");
            std::copy_n(sh.features.data() + r * sh.dim, sh.dim, out.features.data() + row * out.dim);
            for (std::size_t k = 0; k < out.setFeatures.size() && k < sh.setFeatures.size(); ++k) {
                const std::size_t w = sh.setFeatures[k].size() / static_cast<std::size_t>(sh.rows);
                std::copy_n(sh.setFeatures[k].data() + static_cast<std::size_t>(r) * w, w,
                            out.setFeatures[k].data() + static_cast<std::size_t>(row) * w);
            }
            out.labels[static_cast<std::size_t>(row)] = sh.labels[static_cast<std::size_t>(r)];
            if (texts) mergedTexts[static_cast<std::size_t>(row)] = sh.texts[static_cast<std::size_t>(r)];
            if (ids) out.ids[static_cast<std::size_t>(row)] = std::move(sh.ids[static_cast<std::size_t>(r)]);
            if (splits) out.split[static_cast<std::size_t>(row)] = sh.split[static_cast<std::size_t>(r)];
            if (groups) out.groups[static_cast<std::size_t>(row)] = std::move(sh.groups[static_cast<std::size_t>(r)]);
            if (nTokens) out.nTokens[static_cast<std::size_t>(row)] = sh.nTokens[static_cast<std::size_t>(r)];
        }
    }
    const auto holes = std::count(seen.begin(), seen.end(), 0);
    if (texts)
        out.texts = std::move(mergedTexts);
    if (holes > 0)
        throw Error("merge: " + std::to_string(holes) + " of " + std::to_string(total) + " rows are in no shard");
    out.labelNames = ref.labelNames;
    out.backbone = ref.backbone;
    out.backboneVersion = ref.backboneVersion;
    out.attributes = ref.attributes;
    for (const char* key : {"shard_index", "shard_count", "total_rows", "extraction_key"})
        out.attributes.erase(key);
    out.attributes["cache_key"] = ref.attributes.at("extraction_key");
    out.attributes["merged_from"] = std::to_string(count) + " shards";
    if (nTokens) {
        const std::int64_t window = countAttribute(out.attributes, "max_length");
        out.attributes["truncated_rows"] = std::to_string(
            std::count_if(out.nTokens.begin(), out.nTokens.end(), [window](std::int64_t n) { return window > 0 && n > window; }));
    }
    writeFeatureFile(outPath, out);
    return total;
}

} // namespace headbench
