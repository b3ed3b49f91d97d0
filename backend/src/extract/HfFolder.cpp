#include <headbench/extract/HfFolder.h>

#include <headbench/core/Error.h>

#include "../core/JsonErrors.h"
#include "../core/JsonNumbers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace headbench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json readJsonFile(const fs::path& path, const std::string& what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot open " + what);
    std::stringstream text;
    text << in.rdbuf();
    try {
        return json::parse(text.str());
    } catch (const json::exception& e) {
        throw Error(jsonParseMessage(path.string(), e.what()));
    }
}

/// A whole-number field of config.json in [lo, hi]; `fallback` when absent (or, when there is
/// no fallback, an error).
std::int64_t intField(const json& doc, const char* key, std::int64_t lo, std::int64_t hi, const std::string& where,
                      std::optional<std::int64_t> fallback = std::nullopt)
{
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) {
        if (!fallback)
            throw Error(where + ": no " + key);
        return *fallback;
    }
    const auto v = wholeNumberIn(*it, lo, hi);
    if (!v)
        throw Error(where + ": " + key + " " + it->dump() + " is not a whole number in [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
    return *v;
}

double numberField(const json& doc, const char* key, double fallback, const std::string& where)
{
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null())
        return fallback;
    if (!it->is_number() || !(it->get<double>() > 0))
        throw Error(where + ": " + key + " " + it->dump() + " is not a positive number");
    return it->get<double>();
}

bool boolField(const json& doc, const char* key, const std::string& where)
{
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null())
        return false;
    if (!it->is_boolean())
        throw Error(where + ": " + key + " " + it->dump() + " is not true or false");
    return it->get<bool>();
}

std::string stringField(const json& doc, const char* key, const std::string& fallback, const std::string& where)
{
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null())
        return fallback;
    if (!it->is_string())
        throw Error(where + ": " + key + " " + it->dump() + " is not a string");
    return it->get<std::string>();
}

std::string joined(const std::vector<std::string>& items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
    return out;
}


/// A stored tensor's name as the specs spell it: the task model's prefix stripped, legacy
/// LayerNorm gamma/beta renamed. Empty for what a backbone never runs.
std::string specName(std::string name)
{
    for (const char* prefix : {"bert.", "roberta.", "model."})
        if (name.rfind(prefix, 0) == 0) {
            name.erase(0, std::char_traits<char>::length(prefix));
            break;
        }
    for (const char* head : {"lm_head.", "cls.", "classifier.", "pooler.", "score.", "qa_outputs."})
        if (name.rfind(head, 0) == 0)
            return {};
    if (name == "lm_head.weight")
        return {};
    auto endsWith = [&](std::string_view s) {
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (endsWith(".gamma"))
        name.replace(name.size() - 6, 6, ".weight");
    else if (endsWith(".beta"))
        name.replace(name.size() - 5, 5, ".bias");
    return name;
}

bool isFloatDtype(const std::string& dtype)
{
    return dtype == "F32" || dtype == "F16" || dtype == "BF16";
}

} // namespace

const std::vector<std::string>& supportedModelTypes()
{
    static const std::vector<std::string> types{"bert", "roberta", "xlm-roberta", "llama", "mistral", "qwen2"};
    return types;
}

std::int64_t HfConfig::maxTokens() const
{
    if (isLlama())
        return 0;
    return isRoberta() ? maxPositions - padTokenId - 1 : maxPositions;
}

HfConfig readHfConfig(const std::string& folder)
{
    const fs::path path = fs::path(folder) / "config.json";
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw Error(folder + ": not a folder");
    if (!fs::is_regular_file(path, ec))
        throw Error(folder + ": no config.json (a Hugging Face model folder has config.json beside its weights)");
    const json doc = readJsonFile(path, "the model's config");
    const std::string where = path.string();
    if (!doc.is_object())
        throw Error(where + ": not a JSON object");
    HfConfig c;
    c.modelType = stringField(doc, "model_type", "", where);
    const auto& types = supportedModelTypes();
    if (c.modelType.empty())
        throw Error(where + ": no model_type; HeadBench reads " + joined(types) + " models");
    if (std::find(types.begin(), types.end(), c.modelType) == types.end())
        throw Error(where + ": model_type '" + c.modelType + "' is not supported; HeadBench reads " + joined(types) +
                    " models");
    if (const auto it = doc.find("architectures"); it != doc.end() && it->is_array())
        for (const auto& a : *it)
            if (a.is_string())
                c.architectures.push_back(a.get<std::string>());
    constexpr std::int64_t big = std::int64_t{1} << 31;
    c.hiddenSize = intField(doc, "hidden_size", 1, big, where);
    c.layers = intField(doc, "num_hidden_layers", 1, 10000, where);
    c.heads = intField(doc, "num_attention_heads", 1, c.hiddenSize, where);
    c.intermediateSize = intField(doc, "intermediate_size", 1, big, where);
    c.vocabSize = intField(doc, "vocab_size", 1, big, where);
    if (c.isLlama()) {
        c.kvHeads = intField(doc, "num_key_value_heads", 1, c.heads, where, c.heads);
        if (c.heads % c.kvHeads != 0)
            throw Error(where + ": num_attention_heads " + std::to_string(c.heads) +
                        " is not a multiple of num_key_value_heads " + std::to_string(c.kvHeads));
        c.headDim = intField(doc, "head_dim", 2, big, where, c.hiddenSize / c.heads);
        if (c.headDim % 2 != 0)
            throw Error(where + ": head_dim " + std::to_string(c.headDim) + " is odd; rotary embeddings need an even one");
        c.hiddenAct = stringField(doc, "hidden_act", "silu", where);
        c.normEps = numberField(doc, "rms_norm_eps", 1e-6, where);
        c.ropeTheta = numberField(doc, "rope_theta", 10000.0, where);
        if (c.modelType == "qwen2") {
            // Qwen2's q, k and v projections always have biases, its o projection never.
            c.attentionBias = true;
            if (boolField(doc, "use_sliding_window", where))
                throw Error(where + ": use_sliding_window true is not implemented; HeadBench runs qwen2 models with "
                            "full causal attention (use_sliding_window false, as Qwen2 and Qwen2.5 ship)");
        } else if (c.modelType == "mistral") {
            // Mistral's projections have no biases; its attention may be limited to a window.
            if (const auto it = doc.find("sliding_window"); it != doc.end() && !it->is_null())
                c.slidingWindow = intField(doc, "sliding_window", 1, big, where);
        } else {
            c.attentionBias = c.outputBias = boolField(doc, "attention_bias", where);
            c.mlpBias = boolField(doc, "mlp_bias", where);
        }
        c.maxPositions = intField(doc, "max_position_embeddings", 1, big, where, 0);
        if (const auto it = doc.find("rope_scaling"); it != doc.end() && !it->is_null()) {
            const std::string kind = it->is_object() ? stringField(*it, "rope_type", stringField(*it, "type", "", where), where)
                                                     : it->dump();
            if (kind != "default")
                throw Error(where + ": rope_scaling '" + kind + "' is not implemented; HeadBench runs llama models "
                            "with plain rotary positions (rope_scaling null)");
        }
    } else {
        c.kvHeads = c.heads;
        if (c.hiddenSize % c.heads != 0)
            throw Error(where + ": hidden_size " + std::to_string(c.hiddenSize) + " is not a multiple of num_attention_heads " +
                        std::to_string(c.heads));
        c.headDim = c.hiddenSize / c.heads;
        c.hiddenAct = stringField(doc, "hidden_act", "gelu", where);
        c.normEps = numberField(doc, "layer_norm_eps", 1e-12, where);
        c.maxPositions = intField(doc, "max_position_embeddings", 1, big, where, 512);
        c.typeVocabSize = intField(doc, "type_vocab_size", 0, big, where, 2);
        c.padTokenId = intField(doc, "pad_token_id", 0, c.vocabSize - 1, where, c.isRoberta() ? 1 : 0);
        const std::string positions = stringField(doc, "position_embedding_type", "absolute", where);
        if (positions != "absolute")
            throw Error(where + ": position_embedding_type '" + positions + "' is not implemented; HeadBench runs " +
                        c.modelType + " models with absolute positions");
        if (c.maxTokens() < 2)
            throw Error(where + ": max_position_embeddings " + std::to_string(c.maxPositions) + " leaves no room for a sequence");
    }
    static const std::vector<std::string> acts{"gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish"};
    if (std::find(acts.begin(), acts.end(), c.hiddenAct) == acts.end())
        throw Error(where + ": hidden_act '" + c.hiddenAct + "' is not implemented (" + joined(acts) + ")");
    return c;
}

std::vector<HfTensorSpec> hfTensorSpecs(const HfConfig& c)
{
    const std::int64_t H = c.hiddenSize, I = c.intermediateSize;
    std::vector<HfTensorSpec> out;
    auto add = [&](std::string name, std::vector<std::int64_t> shape) { out.push_back({std::move(name), std::move(shape)}); };
    if (c.isLlama()) {
        const std::int64_t q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
        add("embed_tokens.weight", {c.vocabSize, H});
        for (std::int64_t l = 0; l < c.layers; ++l) {
            const std::string p = "layers." + std::to_string(l) + ".";
            add(p + "input_layernorm.weight", {H});
            for (const auto& [name, rows] : {std::pair{"q_proj", q}, {"k_proj", kv}, {"v_proj", kv}}) {
                add(p + "self_attn." + name + ".weight", {rows, H});
                if (c.attentionBias)
                    add(p + "self_attn." + name + ".bias", {rows});
            }
            add(p + "self_attn.o_proj.weight", {H, q});
            if (c.outputBias)
                add(p + "self_attn.o_proj.bias", {H});
            add(p + "post_attention_layernorm.weight", {H});
            add(p + "mlp.gate_proj.weight", {I, H});
            add(p + "mlp.up_proj.weight", {I, H});
            add(p + "mlp.down_proj.weight", {H, I});
            if (c.mlpBias) {
                add(p + "mlp.gate_proj.bias", {I});
                add(p + "mlp.up_proj.bias", {I});
                add(p + "mlp.down_proj.bias", {H});
            }
        }
        add("norm.weight", {H});
        return out;
    }
    add("embeddings.word_embeddings.weight", {c.vocabSize, H});
    add("embeddings.position_embeddings.weight", {c.maxPositions, H});
    if (c.typeVocabSize > 0)
        add("embeddings.token_type_embeddings.weight", {c.typeVocabSize, H});
    add("embeddings.LayerNorm.weight", {H});
    add("embeddings.LayerNorm.bias", {H});
    for (std::int64_t l = 0; l < c.layers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".";
        for (const char* name : {"query", "key", "value"}) {
            add(p + "attention.self." + name + ".weight", {H, H});
            add(p + "attention.self." + name + ".bias", {H});
        }
        add(p + "attention.output.dense.weight", {H, H});
        add(p + "attention.output.dense.bias", {H});
        add(p + "attention.output.LayerNorm.weight", {H});
        add(p + "attention.output.LayerNorm.bias", {H});
        add(p + "intermediate.dense.weight", {I, H});
        add(p + "intermediate.dense.bias", {I});
        add(p + "output.dense.weight", {H, I});
        add(p + "output.dense.bias", {H});
        add(p + "output.LayerNorm.weight", {H});
        add(p + "output.LayerNorm.bias", {H});
    }
    return out;
}

HfWeights openHfWeights(const std::string& folder, const HfConfig& config)
{
    HfWeights w;
    const fs::path dir(folder);
    const fs::path index = dir / "model.safetensors.index.json";
    const fs::path single = dir / "model.safetensors";
    std::error_code ec;
    if (fs::is_regular_file(index, ec)) {
        const json doc = readJsonFile(index, "the weights' index");
        const auto map = doc.is_object() ? doc.find("weight_map") : doc.end();
        if (map == doc.end() || !map->is_object())
            throw Error(index.string() + ": no weight_map (tensor name -> shard file)");
        std::set<std::string> shards;
        for (const auto& [name, file] : map->items()) {
            if (!file.is_string())
                throw Error(index.string() + ": weight_map entry '" + name + "' is not a file name");
            const std::string shard = file.get<std::string>();
            if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
                throw Error(index.string() + ": weight_map entry '" + name + "' names '" + shard + "', not a file in the folder");
            shards.insert(shard);
        }
        for (const std::string& shard : shards) {
            if (!fs::is_regular_file(dir / shard, ec))
                throw Error(index.string() + " names the shard " + shard + ", which is not in " + folder);
            w.files.push_back((dir / shard).string());
        }
    } else if (fs::is_regular_file(single, ec)) {
        w.files.push_back(single.string());
    } else {
        const bool bin = fs::exists(dir / "pytorch_model.bin", ec) || fs::exists(dir / "pytorch_model.bin.index.json", ec);
        throw Error(folder + ": no model.safetensors or model.safetensors.index.json" +
                    std::string(bin ? " (HeadBench does not read pytorch_model.bin: the Hub offers safetensors for most "
                                      "models, or convert it where Python is at hand)" : ""));
    }
    for (const std::string& file : w.files)
        w.headers.push_back(readSafetensorsHeader(file));
    std::map<std::string, HfTensorRef> found;
    for (std::size_t f = 0; f < w.headers.size(); ++f)
        for (const SafetensorsTensor& t : w.headers[f].tensors) {
            const std::string name = specName(t.name);
            if (!name.empty() && !found.count(name))
                found[name] = HfTensorRef{f, t};
        }
    std::map<std::string, std::int64_t> dtypeCount;
    for (const HfTensorSpec& spec : hfTensorSpecs(config)) {
        const auto it = found.find(spec.name);
        if (it == found.end())
            throw Error(folder + ": tensor " + spec.name + " is missing (a " + config.modelType + " model with " +
                        std::to_string(config.layers) + " layers needs it)");
        const HfTensorRef& ref = it->second;
        const std::string& file = w.files[ref.file];
        if (ref.tensor.shape != spec.shape)
            throw Error(file + ": tensor " + ref.tensor.name + " has shape " + shapeText(ref.tensor.shape) + "; a " +
                        config.modelType + " model with hidden_size " + std::to_string(config.hiddenSize) + " needs " +
                        shapeText(spec.shape));
        if (!isFloatDtype(ref.tensor.dtype))
            throw Error(file + ": tensor " + ref.tensor.name + " is " + ref.tensor.dtype + "; HeadBench reads F32, F16 and BF16 weights");
        w.tensors[spec.name] = ref;
        w.parameters += ref.tensor.elements();
        w.bytes += ref.tensor.end - ref.tensor.begin;
        ++dtypeCount[ref.tensor.dtype];
    }
    for (const auto& [dtype, n] : dtypeCount)
        w.dtype += (w.dtype.empty() ? "" : "+") + dtype;
    return w;
}

std::string folderTokenizer(const std::string& folder)
{
    std::error_code ec;
    const fs::path dir(folder);
    auto has = [&](const char* name) { return fs::is_regular_file(dir / name, ec); };
    for (const char* name : {"tokenizer.json", "tokenizer.model"})
        if (has(name))
            return (dir / name).string();
    // The older "slow" files: RoBERTa's BPE (vocab.json with merges.txt), BERT's WordPiece.
    if (has("vocab.json") && has("merges.txt"))
        return (dir / "vocab.json").string();
    if (has("vocab.txt"))
        return (dir / "vocab.txt").string();
    return {};
}

bool isModelFolder(const std::string& path)
{
    std::error_code ec;
    return fs::is_directory(path, ec);
}

HfModelInfo inspectModelFolder(const std::string& folder)
{
    HfModelInfo info;
    info.folder = folder;
    info.config = readHfConfig(folder);
    const HfWeights w = openHfWeights(folder, info.config);
    info.parameters = w.parameters;
    info.dtype = w.dtype;
    info.weightBytes = w.bytes;
    info.weightFiles = w.files;
    info.tokenizer = folderTokenizer(folder);
    return info;
}

} // namespace headbench
