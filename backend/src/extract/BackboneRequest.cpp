#include <headbench/extract/BackboneRequest.h>

#include <headbench/core/Error.h>
#include <headbench/extract/HfFolder.h>
#include <headbench/extract/ModelBackbone.h>
#include "extract/TorchLibrary.h"

#include <algorithm>
#include <vector>

namespace headbench {
namespace {

/// "mean" or a list such as "mean,last,cls".
std::vector<Pooling> parsePoolings(const std::string& text)
{
    std::vector<Pooling> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        out.push_back(parsePooling(text.substr(pos, comma - pos)));
        pos = comma + 1;
    }
    return out;
}

} // namespace

bool isBuiltInBackbone(const std::string& name)
{
    return name == "hashed-ngram";
}

OpenedBackbone openBackbone(const BackboneRequest& r)
{
    OpenedBackbone opened;
    const std::vector<Pooling> poolings = parsePoolings(r.pooling);
    const LongMode longMode = parseLongMode(r.longMode);
    if (r.windowPool != "mean" && r.windowPool != "max")
        throw Error("--window-pool '" + r.windowPool + "': expected mean or max");
    if (r.windowStride < 0)
        throw Error("--window-stride " + std::to_string(r.windowStride) + ": expected a positive token count");
    if (isBuiltInBackbone(r.backbone)) {
        if (r.layers != "last" || r.pooling.find(',') != std::string::npos)
            throw Error("--layers and several --pooling values need a TorchScript model; the built-in " + r.backbone +
                        " backbone has one feature set");
        if (longMode != LongMode::Head)
            throw Error("--long " + r.longMode + " needs a TorchScript model with a token window; the built-in " +
                        r.backbone + " backbone reads every text whole");
        BackboneOptions options;
        options.dim = r.dim;
        opened.backbone = makeBackbone(r.backbone, options);
        opened.batchSize = r.batchSize > 0 ? r.batchSize : 64;
        return opened;
    }
    ModelBackboneOptions to;
    to.modelPath = r.backbone;
    to.tokenizerPath = r.tokenizer;
    if (isModelFolder(r.backbone)) {
        // A Hugging Face folder brings its tokenizer; --tokenizer overrides it.
        if (to.tokenizerPath.empty())
            to.tokenizerPath = folderTokenizer(r.backbone);
        if (to.tokenizerPath.empty())
            throw Error(r.backbone + ": the model folder has no tokenizer.json, tokenizer.model, vocab.json with merges.txt "
                        "or vocab.txt; give one with --tokenizer");
    } else if (r.tokenizer.empty()) {
        throw Error("--backbone " + r.backbone + " is a model file: give its tokenizer with --tokenizer "
                    "(tokenizer.json or tokenizer.model)");
    }
    to.poolings = poolings;
    to.pooling = to.poolings.front();
    to.layers = r.layers;
    to.maxLength = r.maxLength;
    to.normalize = r.normalize;
    to.longMode = longMode;
    to.windowStride = r.windowStride;
    to.windowMax = r.windowPool == "max";
    opened.backbone = loadModelBackbone(to);
    opened.batchSize = r.batchSize > 0 ? r.batchSize : 16;
    return opened;
}

const char* poolingName(Pooling p)
{
    switch (p) {
    case Pooling::Cls: return "cls";
    case Pooling::Mean: return "mean";
    case Pooling::Last: return "last";
    case Pooling::Max: return "max";
    }
    return "mean";
}

Pooling parsePooling(const std::string& name)
{
    if (name == "cls") return Pooling::Cls;
    if (name == "mean") return Pooling::Mean;
    if (name == "last") return Pooling::Last;
    if (name == "max") return Pooling::Max;
    throw Error("unknown pooling '" + name + "' (cls, mean, last or max)");
}

std::unique_ptr<Backbone> loadModelBackbone(const ModelBackboneOptions& options)
{
    // The model runs in the LibTorch module, loaded here on first use.
    return torchFunction<decltype(&loadModelBackboneWithTorch)>("loadModelBackbone")(options);
}

} // namespace headbench
