#pragma once
/// \file BackboneRequest.h
/// What a front end asks to extract with (the CLI's extract flags, the import dialog's fields),
/// checked and opened in one place, with the default batch sizes.
#include <headbench/extract/Backbone.h>

#include <cstdint>
#include <memory>
#include <string>

namespace headbench {

struct BackboneRequest {
    std::string backbone = "hashed-ngram"; ///< a built-in backbone's name, a TorchScript model file or a Hugging Face model folder
    std::string tokenizer;                 ///< a model's tokenizer.json or tokenizer.model (a folder's own by default)
    std::int64_t dim = 1024;               ///< the built-in backbone's width
    std::string pooling = "mean";          ///< one pooling or several: "mean,last,cls"
    std::string layers = "last";           ///< "last", "all" or a list such as "-1,-4,8"
    int maxLength = 512;                   ///< tokens per text, special tokens included
    bool normalize = false;
    std::string longMode = "head";         ///< head, tail or windows (extract --long)
    std::int64_t windowStride = 0;         ///< windows: text tokens between starts; 0: half a window
    std::string windowPool = "mean";       ///< windows: mean or max of the windows' vectors
    int batchSize = 0;                     ///< texts per forward pass; 0: the backbone's default
};

/// True for the name of a backbone built into HeadBench (no model file).
bool isBuiltInBackbone(const std::string& name);

struct OpenedBackbone {
    std::unique_ptr<Backbone> backbone;
    int batchSize = 0; ///< the request's, or 64 for the built-in backbone and 16 for a model
};

/// Checks the request and opens its backbone. Throws headbench::Error with the flag or file at
/// fault (a model without a tokenizer, layers or windows asked of the built-in backbone, an
/// unknown pooling or --long mode, a broken model file).
OpenedBackbone openBackbone(const BackboneRequest& request);

} // namespace headbench
