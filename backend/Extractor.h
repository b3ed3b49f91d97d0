#pragma once
/// \file Extractor.h
#include "Backbone.h"
#include "Dataset.h"

#include <cstdint>
#include <string>

namespace headbench {

/// Progress of an extraction; called on the extracting thread.
class ExtractionObserver {
public:
    virtual ~ExtractionObserver() = default;
    virtual void onProgress(std::int64_t done, std::int64_t total) {}
    /// Polled between batches; true cancels the extraction (no file is written).
    virtual bool shouldStop() { return false; }
};

struct ExtractOptions {
    int batchSize = 64;
};

/// Encodes every text of `data` with `backbone` and writes the feature file atomically
/// (texts, ids, labels and label names included). Returns false when cancelled, in which case
/// nothing is written at `outPath`.
bool extractFeatures(const Dataset& data, Backbone& backbone, const std::string& outPath,
                     ExtractionObserver* observer = nullptr, const ExtractOptions& options = {});

} // namespace headbench
