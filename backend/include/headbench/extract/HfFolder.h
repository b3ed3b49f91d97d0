#pragma once
/// \file HfFolder.h
/// A model folder as the Hugging Face Hub ships it: config.json, model.safetensors (or shards
/// and model.safetensors.index.json) and tokenizer.json or tokenizer.model (or the older
/// vocab.json + merges.txt, vocab.txt). Reading the
/// config and the weights' headers needs no LibTorch: `inspect` and the import dialog describe
/// a folder, and every tensor's presence and shape are checked, before any weight is loaded.
#include <headbench/core/Safetensors.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace headbench {

/// The model types whose forward pass HeadBench has: bert, roberta (and xlm-roberta), and the
/// llama family of decoders: llama, mistral (sliding-window attention) and qwen2 (biased q, k, v).
const std::vector<std::string>& supportedModelTypes();

/// What config.json says about the layers a backbone runs.
struct HfConfig {
    std::string modelType;                  ///< bert, roberta, xlm-roberta, llama, mistral, qwen2
    std::vector<std::string> architectures;
    std::int64_t hiddenSize = 0;
    std::int64_t layers = 0;
    std::int64_t heads = 0;
    std::int64_t kvHeads = 0;               ///< llama: num_key_value_heads (grouped-query attention)
    std::int64_t headDim = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t vocabSize = 0;
    std::int64_t maxPositions = 0;          ///< max_position_embeddings
    std::int64_t typeVocabSize = 0;         ///< bert, roberta: token types
    std::int64_t padTokenId = 0;            ///< roberta: positions count from pad_token_id + 1
    std::string hiddenAct;                  ///< gelu, gelu_new, gelu_pytorch_tanh, relu, silu, ...
    double normEps = 0;                     ///< layer_norm_eps or rms_norm_eps
    double ropeTheta = 10000;               ///< llama
    bool attentionBias = false;             ///< llama family: q, k, v projections with biases
    bool outputBias = false;                ///< llama family: the o projection with a bias
    bool mlpBias = false;                   ///< llama: gate, up, down projections with biases
    /// mistral: each token attends to itself and the sliding_window - 1 tokens before it
    /// (0: to every token before it).
    std::int64_t slidingWindow = 0;
    bool isRoberta() const { return modelType == "roberta" || modelType == "xlm-roberta"; }
    /// Llama and the decoders built as it is (mistral, qwen2): pre-norm blocks, RMS norms,
    /// rotary positions, grouped-query causal attention and a gated MLP.
    bool isLlama() const { return modelType == "llama" || modelType == "mistral" || modelType == "qwen2"; }
    /// The longest sequence the position table allows (roberta's starts at pad_token_id + 1);
    /// 0 for llama (rotary positions).
    std::int64_t maxTokens() const;
};

/// Reads `folder`/config.json. Throws headbench::Error naming the file: missing, not JSON, a
/// model_type that is not supported (with the supported list), a field missing or out of range,
/// a hidden_act, position_embedding_type or rope_scaling that is not implemented.
HfConfig readHfConfig(const std::string& folder);

/// A tensor the forward pass needs: its name after the prefixes are stripped and its shape.
struct HfTensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
};
/// Every tensor a model of this config runs on, in the order the forward pass uses them.
std::vector<HfTensorSpec> hfTensorSpecs(const HfConfig& config);

/// Where one needed tensor lies: its file and entry.
struct HfTensorRef {
    std::size_t file = 0;       ///< index into HfWeights::files and headers
    SafetensorsTensor tensor;   ///< its entry (name as stored, dtype, shape, byte span)
};

/// The folder's weights: each file's header, and every needed tensor found by its name with the
/// `bert.`, `roberta.` or `model.` prefix stripped and legacy `gamma`/`beta` read as
/// `weight`/`bias`. Heads a backbone does not run (lm_head, cls.*, classifier.*, pooler,
/// score) and integer buffers are left alone.
struct HfWeights {
    std::vector<std::string> files;          ///< model.safetensors or the index's shards
    std::vector<SafetensorsHeader> headers;  ///< one per file
    std::map<std::string, HfTensorRef> tensors; ///< by the spec's name
    std::int64_t parameters = 0;             ///< elements of the needed tensors
    std::uint64_t bytes = 0;                 ///< their stored size
    std::string dtype;                       ///< their stored dtype ("BF16"; "F16+F32" when mixed)
};

/// Opens the weights of `folder` for `config` and checks that every needed tensor is there with
/// its shape and a float dtype. Throws headbench::Error naming the file and the tensor: no
/// weights, an index naming a missing shard, a damaged header, a truncated file, a tensor
/// missing or mis-shaped.
HfWeights openHfWeights(const std::string& folder, const HfConfig& config);

/// The folder's tokenizer: tokenizer.json, else tokenizer.model, else vocab.json when merges.txt
/// is beside it, else vocab.txt (loadTokenizer reads those as RoBERTa's BPE and BERT's
/// WordPiece); empty when it has none of them.
std::string folderTokenizer(const std::string& folder);

/// True for a directory: `--backbone DIR` reads it as a model folder (config.json and weights).
bool isModelFolder(const std::string& path);

/// What `inspect` and the import dialog show of a folder.
struct HfModelInfo {
    std::string folder;
    HfConfig config;
    std::int64_t parameters = 0;
    std::string dtype;
    std::uint64_t weightBytes = 0;
    std::vector<std::string> weightFiles;
    std::string tokenizer;                   ///< empty: the folder has none
};
/// Reads config.json and the weights' headers (no weight is loaded); throws like openHfWeights.
HfModelInfo inspectModelFolder(const std::string& folder);

} // namespace headbench
