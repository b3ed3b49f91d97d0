#pragma once
/// \file HiddenStateModel.h
/// What a model backbone needs of a model: hidden states for a batch of token ids. A TorchScript
/// file and a Hugging Face folder (safetensors weights, forward pass written here) provide it;
/// ModelBackbone does the rest (tokenizing, windows, layers and poolings) once for both.
#include <headbench/extract/ModelBackbone.h>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace headbench {

class HiddenStateModel {
public:
    virtual ~HiddenStateModel() = default;
    /// Hidden states for right-padded ids [B, T] and their mask [B, T] (1 = a real token), as
    /// float32 [B, T, H]: all of them, embeddings first, or only the last when the model gives
    /// no more. Throws headbench::Error naming the model.
    virtual std::vector<torch::Tensor> forward(const torch::Tensor& ids, const torch::Tensor& mask) = 0;
    /// The model's file or folder as the user gave it (for messages).
    virtual const std::string& path() const = 0;
    /// The name recorded in feature files (the file's or folder's name).
    virtual std::string name() const = 0;
    /// Content hash of everything the features depend on.
    virtual std::string hash() const = 0;
    /// Throws headbench::Error when ids below `vocab` (the tokenizer's range) do not fit the
    /// model's embedding; `tokenizerPath` names the tokenizer in the message.
    virtual void checkVocabulary(std::int64_t vocab, const std::string& tokenizerPath) = 0;
    /// The longest sequence the model takes (its position table); 0 when unlimited.
    virtual std::int64_t maxTokens() const { return 0; }
    /// What to do when layers are asked of a model that returns only its last state.
    virtual std::string allStatesAdvice() const { return {}; }
    /// Extra attributes for the feature file (the model type, the stored dtype, ...).
    virtual std::map<std::string, std::string> attributes() const { return {}; }
};

/// A TorchScript file (torch.jit.save) whose forward takes (input_ids, attention_mask).
std::unique_ptr<HiddenStateModel> loadTorchScriptModel(const std::string& path);

/// A Hugging Face folder: config.json and safetensors weights of a bert, roberta or llama model.
std::unique_ptr<HiddenStateModel> loadHfFolderModel(const std::string& folder);

/// The first line of a torch error: the rest is a C++ or TorchScript stack nobody can act on.
std::string firstLine(const std::string& what);
std::string shapeText(const torch::Tensor& t);

} // namespace headbench
