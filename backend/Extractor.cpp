#include "Extractor.h"

#include "Error.h"
#include "FeatureFile.h"

#include <algorithm>

namespace headbench {

bool extractFeatures(const Dataset& data, Backbone& backbone, const std::string& outPath,
                     ExtractionObserver* observer, const ExtractOptions& options)
{
    if (data.size() == 0)
        throw Error(data.source + ": no samples to extract");
    FeatureSet set;
    set.rows = static_cast<std::int64_t>(data.size());
    set.dim = backbone.dim();
    set.features.resize(static_cast<std::size_t>(set.rows * set.dim));
    const std::int64_t batch = std::max(1, options.batchSize);
    for (std::int64_t start = 0; start < set.rows; start += batch) {
        if (observer && observer->shouldStop())
            return false;
        const std::int64_t end = std::min(set.rows, start + batch);
        backbone.encode(std::span<const std::string>(data.texts).subspan(static_cast<std::size_t>(start),
                                                                         static_cast<std::size_t>(end - start)),
                        set.features.data() + start * set.dim);
        if (observer)
            observer->onProgress(end, set.rows);
    }
    set.labels = data.labels;
    set.texts = data.texts;
    set.ids = data.ids;
    set.labelNames = data.labelNames;
    set.backbone = backbone.name();
    set.backboneVersion = backbone.version();
    writeFeatureFile(outPath, set);
    return true;
}

} // namespace headbench
