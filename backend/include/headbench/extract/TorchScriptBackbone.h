#pragma once
/// \file TorchScriptBackbone.h
/// A pretrained model exported to TorchScript, with its tokenizer and a pooling of the last
/// hidden states into one vector per text.
#include <headbench/extract/Backbone.h>

#include <memory>
#include <string>

namespace headbench {

enum class Pooling { Cls, Mean, Last, Max };

/// "cls", "mean", "last", "max"; parsePooling throws headbench::Error on anything else.
const char* poolingName(Pooling p);
Pooling parsePooling(const std::string& name);

struct TorchScriptOptions {
    std::string modelPath;      ///< a file saved with torch.jit.save
    std::string tokenizerPath;  ///< tokenizer.json or tokenizer.model
    Pooling pooling = Pooling::Mean;
    int maxLength = 512;        ///< tokens per text, special tokens included
    bool normalize = false;     ///< L2-normalise each pooled vector
};

/// Loads and checks a TorchScript backbone: its forward must take (input_ids, attention_mask),
/// int64 [B, T], and return the last hidden states [B, T, H] (or a tuple, list or dict whose
/// first entry is). The hidden size H is read from a trial forward pass; the tokenizer's largest
/// id must fit the model's embedding. Throws headbench::Error naming the file and the problem.
std::unique_ptr<Backbone> loadTorchScriptBackbone(const TorchScriptOptions& options);

} // namespace headbench
