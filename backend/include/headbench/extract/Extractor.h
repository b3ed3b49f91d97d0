#pragma once
/// \file Extractor.h
/// Feature extraction into the HDF5 cache: batches formed by length, resumable in chunks,
/// reused when the same extraction exists, split into shards for job arrays and merged back.
#include <headbench/data/Dataset.h>
#include <headbench/extract/Backbone.h>

#include <cstdint>
#include <string>
#include <vector>

namespace headbench {

/// Progress of an extraction; called on the extracting thread.
class ExtractionObserver {
public:
    virtual ~ExtractionObserver() = default;
    /// `done` counts rows finished so far, including rows recovered from an interrupted run.
    virtual void onProgress(std::int64_t done, std::int64_t total) {}
    /// The cost of the rows done and of all rows (their batches' padded lengths: tokens for a
    /// model), called just before each onProgress. Rows are encoded longest first, so rows per
    /// second rise through a job; the time left is estimated from this work, not from rows.
    virtual void onWork(double done, double total) {}
    /// Polled between batches; true cancels the extraction (no output file is written; the
    /// finished chunks are kept for a later resume).
    virtual bool shouldStop() { return false; }
};

struct ExtractOptions {
    int batchSize = 64;
    /// Rows per resumable chunk; 0 picks 16 batches. A kill loses at most one chunk of work.
    std::int64_t chunkRows = 0;
    /// Process only the shardIndex-th (0-based) of shardCount deterministic slices of the rows
    /// and write a shard file (see mergeShards).
    int shardIndex = 0;
    int shardCount = 1;
    /// Continue from the chunks an interrupted extraction of the same inputs left behind.
    bool resume = true;
    /// Return at once when the output file already holds this very extraction.
    bool reuse = true;
};

struct ExtractionResult {
    enum Status { Completed, Reused, Cancelled };
    Status status = Completed;
    std::int64_t rows = 0;        ///< rows in the output (the shard's rows for a shard)
    std::int64_t resumedRows = 0; ///< rows recovered from an interrupted extraction
    std::string cacheKey;
    /// Rows whose token count exceeded the backbone's window (cut by --max-length); -1 when the
    /// backbone has no window (the built-in hashed n-gram backbone reads the whole text).
    std::int64_t truncatedRows = -1;
    explicit operator bool() const { return status != Cancelled; }
};

/// Encodes every text of `data` (or of one shard of it) with `backbone` and writes the feature
/// file atomically: texts, ids, labels, label names, and as attributes the backbone's
/// description, the dataset's content hash and the cache key. Work in progress lives in
/// `outPath + ".partial/"` until the file is complete; nothing ever appears at `outPath` before.
ExtractionResult extractFeatures(const Dataset& data, Backbone& backbone, const std::string& outPath,
                                 ExtractionObserver* observer = nullptr, const ExtractOptions& options = {});

/// Content hash of a dataset (texts, labels, ids and label names).
std::string datasetHash(const Dataset& data);

/// The key a complete extraction of `data` with `backbone` is cached under.
std::string extractionKey(const Dataset& data, const Backbone& backbone);

/// Joins the shard files of one extraction into one feature file (a copy, written atomically).
/// Throws headbench::Error when the shards disagree (backbone, pooling, dimension, dataset),
/// when one is missing or given twice, or when their rows do not cover the set exactly once.
/// Returns the number of rows written.
std::int64_t mergeShards(const std::vector<std::string>& shardPaths, const std::string& outPath);

} // namespace headbench
