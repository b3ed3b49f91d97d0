#pragma once
/// \file ModelBackbone.h
/// A pretrained model (a TorchScript file, or a Hugging Face folder of config.json and
/// safetensors weights), with its tokenizer and a pooling of its hidden states into one vector
/// per text.
#include <headbench/extract/Backbone.h>
#include <headbench/text/Tokenizer.h>

#include <memory>
#include <string>
#include <vector>

namespace headbench {

enum class Pooling { Cls, Mean, Last, Max };

/// "cls", "mean", "last", "max"; parsePooling throws headbench::Error on anything else.
const char* poolingName(Pooling p);
Pooling parsePooling(const std::string& name);

struct ModelBackboneOptions {
    std::string modelPath;      ///< a file saved with torch.jit.save, or a Hugging Face model folder
    std::string tokenizerPath;  ///< tokenizer.json or tokenizer.model
    Pooling pooling = Pooling::Mean;
    /// Several poolings at once (one feature set each); when empty, `pooling` alone. The first
    /// is the default set's.
    std::vector<Pooling> poolings;
    /// Which hidden states: "last", "all", or a list such as "-1,-4,8" (0 = the embeddings,
    /// negative from the end). Anything but "last" needs a model returning all hidden states.
    std::string layers = "last";
    int maxLength = 512;        ///< tokens per text, special tokens included (at most the model's positions)
    bool normalize = false;     ///< L2-normalise each pooled vector
    /// A text longer than maxLength: its head, its tail, or overlapping windows (encodeLong) whose
    /// pooled vectors are averaged (or, with windowMax, their elementwise maximum taken).
    LongMode longMode = LongMode::Head;
    std::int64_t windowStride = 0; ///< text tokens between window starts; 0: half a window
    bool windowMax = false;
};

/// Loads and checks a model backbone. A folder is read as a Hugging Face model (see
/// HfFolder.h); a file as TorchScript: its forward must take (input_ids, attention_mask),
/// int64 [B, T], and return the last hidden states [B, T, H] (or a tuple, list or dict whose
/// first entry is), or all hidden states: a tuple or list of two or more [B, T, H] tensors,
/// embeddings first (transformers' output_hidden_states), at the top or as an entry of the
/// output tuple. With several layers or poolings the backbone has one feature set per (layer,
/// pooling), named `layer<i>.<pooling>` (`last.<pooling>` for a last-state-only model). The
/// hidden size H is read from a trial forward pass; the tokenizer's largest id must fit the
/// model's embedding. Throws headbench::Error naming the file and the problem.
std::unique_ptr<Backbone> loadModelBackbone(const ModelBackboneOptions& options);

} // namespace headbench
