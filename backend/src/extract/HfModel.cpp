// A Hugging Face folder as a HiddenStateModel: safetensors weights converted to float32 and the
// forward passes of BERT, RoBERTa and Llama written with LibTorch's operators, giving the hidden
// states transformers gives with output_hidden_states=True (the embeddings' output first, then
// one per layer; for Llama the last one after the final norm).
#include "HiddenStateModel.h"

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/extract/HfFolder.h>

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

namespace headbench {
namespace {

namespace F = torch::nn::functional;

/// Converts a tensor's stored bytes (F32, F16 or BF16, little-endian, any alignment) to float32.
torch::Tensor toFloat32(const std::byte* src, const SafetensorsTensor& t)
{
    torch::Tensor out = torch::empty(t.shape, torch::kFloat);
    float* dst = out.data_ptr<float>();
    const std::int64_t n = t.elements();
    if (t.dtype == "F32") {
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
    } else if (t.dtype == "BF16") {
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t bits;
            std::memcpy(&bits, src + 2 * i, 2);
            const std::uint32_t word = static_cast<std::uint32_t>(bits) << 16;
            std::memcpy(dst + i, &word, 4);
        }
    } else { // F16
        for (std::int64_t i = 0; i < n; ++i) {
            std::uint16_t bits;
            std::memcpy(&bits, src + 2 * i, 2);
            dst[i] = static_cast<float>(c10::Half(bits, c10::Half::from_bits()));
        }
    }
    return out;
}

/// Every needed tensor of the folder as float32, each file mapped once and its pages dropped as
/// soon as their tensors are copied out (peak memory: the float32 weights and a little).
std::map<std::string, torch::Tensor> loadWeights(const HfWeights& w)
{
    std::map<std::string, torch::Tensor> out;
    for (std::size_t f = 0; f < w.files.size(); ++f) {
        const MappedFile map(w.files[f]);
        const SafetensorsHeader& header = w.headers[f];
        if (map.size() != header.dataOffset + header.dataSize)
            throw Error(w.files[f] + ": the file changed while it was read");
        for (const auto& [name, ref] : w.tensors) {
            if (ref.file != f)
                continue;
            const std::uint64_t offset = header.dataOffset + ref.tensor.begin;
            out[name] = toFloat32(map.data() + offset, ref.tensor);
            map.release(offset, ref.tensor.end - ref.tensor.begin);
        }
    }
    return out;
}

torch::Tensor activation(const std::string& name, const torch::Tensor& x)
{
    if (name == "gelu")
        return torch::gelu(x);
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
        return torch::gelu(x, "tanh");
    if (name == "relu")
        return torch::relu(x);
    return torch::silu(x); // silu, swish
}

/// [B, T, heads * d] -> [B, heads, T, d]
torch::Tensor splitHeads(const torch::Tensor& x, std::int64_t heads, std::int64_t d)
{
    return x.view({x.size(0), x.size(1), heads, d}).transpose(1, 2);
}

/// Scaled dot-product attention with an additive mask [B or 1, 1, T or 1, T]; [B, T, heads * d].
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& mask)
{
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    torch::Tensor scores = torch::matmul(q, k.transpose(2, 3)).mul_(scale).add_(mask);
    torch::Tensor context = torch::matmul(torch::softmax(scores, -1), v);
    return context.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});
}

class HfFolderModel : public HiddenStateModel {
public:
    explicit HfFolderModel(const std::string& folder)
        : m_folder(folder)
    {
        m_config = readHfConfig(folder);
        const HfWeights weights = openHfWeights(folder, m_config);
        m_dtype = weights.dtype;
        m_parameters = weights.parameters;
        // The hash covers the config and every weights file: the features depend on both.
        std::string hashes = hashFile((std::filesystem::path(folder) / "config.json").string());
        for (const std::string& file : weights.files)
            hashes += "," + hashFile(file);
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(hashes)));
        m_hash = std::string("folder:") + hex;
        m_w = loadWeights(weights);
        fuseProjections();
    }

    const std::string& path() const override { return m_folder; }
    std::string name() const override
    {
        const std::filesystem::path p = std::filesystem::path(m_folder).lexically_normal();
        return (p.has_filename() ? p.filename() : p.parent_path().filename()).string();
    }
    std::string hash() const override { return m_hash; }
    std::int64_t maxTokens() const override { return m_config.maxTokens(); }
    std::map<std::string, std::string> attributes() const override
    {
        return {{"model_type", m_config.modelType}, {"model_dtype", m_dtype},
                {"model_parameters", std::to_string(m_parameters)}};
    }

    void checkVocabulary(std::int64_t vocab, const std::string& tokenizerPath) override
    {
        if (vocab > m_config.vocabSize)
            throw Error(tokenizerPath + ": the tokenizer's vocabulary (" + std::to_string(vocab) +
                        " ids) does not fit the embedding of " + m_folder + " (vocab_size " +
                        std::to_string(m_config.vocabSize) + "): are they from the same model?");
    }

    std::vector<torch::Tensor> forward(const torch::Tensor& ids, const torch::Tensor& mask) override
    {
        torch::InferenceMode inference;
        const torch::Tensor real = mask.to(torch::kBool);
        // Padded slots get a valid id (the config's pad id): they are masked out, and RoBERTa's
        // positions skip them as transformers skips its pad tokens.
        const torch::Tensor safeIds = ids.masked_fill(real.logical_not(), m_config.isLlama() ? 0 : m_config.padTokenId);
        return m_config.isLlama() ? llama(safeIds, real) : bert(safeIds, real);
    }

private:
    const torch::Tensor& w(const std::string& name) const { return m_w.at(name); }

    /// Each layer's query, key and value projections as one matrix (rows q, then k, then v): one
    /// matrix product per layer instead of three. The separate tensors are dropped.
    void fuseProjections()
    {
        for (std::int64_t l = 0; l < m_config.layers; ++l) {
            const std::string p = m_config.isLlama() ? "layers." + std::to_string(l) + ".self_attn."
                                                     : "encoder.layer." + std::to_string(l) + ".attention.self.";
            const std::vector<std::string> parts = m_config.isLlama() ? std::vector<std::string>{"q_proj", "k_proj", "v_proj"}
                                                                      : std::vector<std::string>{"query", "key", "value"};
            for (const char* kind : {".weight", ".bias"}) {
                if (!m_w.count(p + parts[0] + kind))
                    continue;
                std::vector<torch::Tensor> pieces;
                for (const std::string& part : parts) {
                    pieces.push_back(m_w.at(p + part + kind));
                    m_w.erase(p + part + kind);
                }
                m_w[p + "qkv" + kind] = torch::cat(pieces, 0);
            }
        }
    }

    /// The fused projection split back into queries, keys and values [B, T, rows].
    std::array<torch::Tensor, 3> qkv(const torch::Tensor& x, const std::string& prefix, std::int64_t q, std::int64_t kv,
                                     bool bias) const
    {
        const torch::Tensor all = linear(x, prefix + "qkv", bias);
        return {all.narrow(2, 0, q), all.narrow(2, q, kv), all.narrow(2, q + kv, kv)};
    }

    torch::Tensor layerNorm(const torch::Tensor& x, const std::string& prefix) const
    {
        return torch::layer_norm(x, {m_config.hiddenSize}, w(prefix + ".weight"), w(prefix + ".bias"), m_config.normEps);
    }

    torch::Tensor linear(const torch::Tensor& x, const std::string& prefix, bool bias = true) const
    {
        return torch::linear(x, w(prefix + ".weight"), bias ? w(prefix + ".bias") : torch::Tensor());
    }

    /// BERT and RoBERTa: embeddings (word + position + token type 0, LayerNorm), then post-LN
    /// encoder blocks.
    std::vector<torch::Tensor> bert(const torch::Tensor& ids, const torch::Tensor& real) const
    {
        const std::int64_t T = ids.size(1);
        torch::Tensor positions;
        if (m_config.isRoberta()) {
            // Counted from pad_token_id + 1 over the real tokens that are not the pad token.
            const torch::Tensor counted = ids.ne(m_config.padTokenId).logical_and(real).to(torch::kLong);
            positions = torch::cumsum(counted, 1).mul_(counted).add_(m_config.padTokenId);
        } else {
            positions = torch::arange(T, torch::kLong).unsqueeze(0);
        }
        torch::Tensor x = torch::embedding(w("embeddings.word_embeddings.weight"), ids) +
                          torch::embedding(w("embeddings.position_embeddings.weight"), positions);
        if (m_config.typeVocabSize > 0)
            x += w("embeddings.token_type_embeddings.weight")[0];
        x = layerNorm(x, "embeddings.LayerNorm");
        // Keys that are padding get the lowest float added before the softmax.
        const torch::Tensor mask = real.logical_not().to(torch::kFloat).mul_(std::numeric_limits<float>::lowest())
                                       .view({ids.size(0), 1, 1, T});
        std::vector<torch::Tensor> states{x};
        const std::int64_t heads = m_config.heads, d = m_config.headDim;
        for (std::int64_t l = 0; l < m_config.layers; ++l) {
            const std::string p = "encoder.layer." + std::to_string(l) + ".";
            const auto [qx, kx, vx] = qkv(x, p + "attention.self.", m_config.hiddenSize, m_config.hiddenSize, true);
            const torch::Tensor q = splitHeads(qx, heads, d), k = splitHeads(kx, heads, d), v = splitHeads(vx, heads, d);
            x = layerNorm(linear(attend(q, k, v, mask), p + "attention.output.dense") + x, p + "attention.output.LayerNorm");
            const torch::Tensor inner = activation(m_config.hiddenAct, linear(x, p + "intermediate.dense"));
            x = layerNorm(linear(inner, p + "output.dense") + x, p + "output.LayerNorm");
            states.push_back(x);
        }
        return states;
    }

    torch::Tensor rmsNorm(const torch::Tensor& x, const std::string& name) const
    {
        return x * torch::rsqrt(x.pow(2).mean(-1, true).add_(m_config.normEps)) * w(name);
    }

    /// Llama: pre-norm decoder blocks with rotary positions, grouped-query attention and a causal
    /// mask; the last state is the final norm's output.
    std::vector<torch::Tensor> llama(const torch::Tensor& ids, const torch::Tensor& real) const
    {
        const std::int64_t B = ids.size(0), T = ids.size(1);
        const std::int64_t heads = m_config.heads, kv = m_config.kvHeads, d = m_config.headDim;
        // Rotary tables [T, d]: frequencies theta^(-2i/d), the two halves of each head rotated.
        const torch::Tensor invFreq = torch::pow(m_config.ropeTheta, torch::arange(0, d, 2, torch::kDouble) / static_cast<double>(d))
                                          .reciprocal();
        const torch::Tensor freqs = torch::outer(torch::arange(T, torch::kDouble), invFreq);
        const torch::Tensor angles = torch::cat({freqs, freqs}, 1);
        const torch::Tensor cos = angles.cos().to(torch::kFloat), sin = angles.sin().to(torch::kFloat);
        auto rotate = [&](const torch::Tensor& x) { // x [B, h, T, d]
            const torch::Tensor halves[2] = {x.narrow(3, 0, d / 2), x.narrow(3, d / 2, d / 2)};
            return x * cos + torch::cat({-halves[1], halves[0]}, 3) * sin;
        };
        const float lowest = std::numeric_limits<float>::lowest();
        // Future tokens are masked; with a sliding window (mistral) so are those W or more back.
        torch::Tensor causal = torch::ones({T, T}, torch::kBool).triu(1);
        if (m_config.slidingWindow > 0 && T > m_config.slidingWindow)
            causal = causal.logical_or(torch::ones({T, T}, torch::kBool).tril(-m_config.slidingWindow));
        const torch::Tensor mask = torch::zeros({B, 1, T, T}, torch::kFloat)
                                       .masked_fill_(causal.view({1, 1, T, T}).logical_or(real.logical_not().view({B, 1, 1, T})), lowest);
        torch::Tensor x = torch::embedding(w("embed_tokens.weight"), ids);
        std::vector<torch::Tensor> states{x};
        const bool bias = m_config.attentionBias, outputBias = m_config.outputBias, mlpBias = m_config.mlpBias;
        for (std::int64_t l = 0; l < m_config.layers; ++l) {
            const std::string p = "layers." + std::to_string(l) + ".";
            const torch::Tensor h = rmsNorm(x, p + "input_layernorm.weight");
            const auto [qx, kx, vx] = qkv(h, p + "self_attn.", heads * d, kv * d, bias);
            const torch::Tensor q = rotate(splitHeads(qx, heads, d));
            torch::Tensor k = rotate(splitHeads(kx, kv, d));
            torch::Tensor v = splitHeads(vx, kv, d);
            if (kv != heads) { // each key/value head serves heads / kv query heads in a row
                k = k.repeat_interleave(heads / kv, 1);
                v = v.repeat_interleave(heads / kv, 1);
            }
            x = x + linear(attend(q, k, v, mask), p + "self_attn.o_proj", outputBias);
            const torch::Tensor g = rmsNorm(x, p + "post_attention_layernorm.weight");
            const torch::Tensor inner = activation(m_config.hiddenAct, linear(g, p + "mlp.gate_proj", mlpBias)) *
                                        linear(g, p + "mlp.up_proj", mlpBias);
            x = x + linear(inner, p + "mlp.down_proj", mlpBias);
            states.push_back(l + 1 == m_config.layers ? rmsNorm(x, "norm.weight") : x);
        }
        return states;
    }

    std::string m_folder;
    HfConfig m_config;
    std::string m_dtype, m_hash;
    std::int64_t m_parameters = 0;
    std::map<std::string, torch::Tensor> m_w;
};

} // namespace

std::unique_ptr<HiddenStateModel> loadHfFolderModel(const std::string& folder)
{
    return std::make_unique<HfFolderModel>(folder);
}

} // namespace headbench
