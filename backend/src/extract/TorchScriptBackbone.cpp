#include <headbench/extract/TorchScriptBackbone.h>

#include <headbench/core/Error.h>
#include "core/Hash.h"
#include <headbench/text/Tokenizer.h>

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>

namespace headbench {

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

namespace {

/// The first line of a torch error: the rest is a C++ or TorchScript stack nobody can act on.
std::string firstLine(const std::string& what)
{
    const auto nl = what.find('\n');
    return nl == std::string::npos ? what : what.substr(0, nl);
}

std::string shapeText(const torch::Tensor& t)
{
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

class TorchScriptBackbone : public Backbone {
public:
    explicit TorchScriptBackbone(const TorchScriptOptions& options)
        : m_options(options)
    {
        const std::string& path = options.modelPath;
        if (options.maxLength < 2)
            throw Error("the maximum length must be at least 2 tokens, got " + std::to_string(options.maxLength));
        if (!std::filesystem::is_regular_file(path))
            throw Error(path + ": no such model file");
        m_tokenizer = loadTokenizer(options.tokenizerPath);
        try {
            m_module = torch::jit::load(path, torch::kCPU);
        } catch (const std::exception& e) {
            throw Error(path + ": not a TorchScript model (torch.jit.load failed: " + firstLine(e.what()) + ")");
        }
        m_module.eval();
        if (!m_module.find_method("forward"))
            throw Error(path + ": the TorchScript module has no forward method");
        const auto& schema = m_module.get_method("forward").function().getSchema();
        const std::size_t inputs = schema.arguments().size() - 1; // without self
        if (inputs != 2)
            throw Error(path + ": forward takes " + std::to_string(inputs) +
                        " inputs; a backbone's forward takes exactly (input_ids, attention_mask)");
        checkEmbeddingSize();
        // Trial forward: reads the hidden size and checks the output's shape.
        const std::vector<std::int64_t> ids = m_tokenizer->encode("int main(void) { return 0; }", 8);
        torch::Tensor hidden = forward(torch::tensor(ids, torch::kLong).unsqueeze(0),
                                       torch::ones({1, static_cast<std::int64_t>(ids.size())}, torch::kLong));
        m_dim = hidden.size(2);
        m_name = std::filesystem::path(path).filename().string();
        m_modelHash = hashFile(path);
        m_tokenizerHash = hashFile(options.tokenizerPath);
    }

    std::string name() const override { return m_name; }
    std::string version() const override { return m_modelHash; }
    std::int64_t dim() const override { return m_dim; }

    std::map<std::string, std::string> attributes() const override
    {
        return {{"backbone_file", m_name},
                {"backbone_hash", m_modelHash},
                {"tokenizer_file", std::filesystem::path(m_options.tokenizerPath).filename().string()},
                {"tokenizer_hash", m_tokenizerHash},
                {"tokenizer_kind", m_tokenizer->kind()},
                {"pooling", poolingName(m_options.pooling)},
                {"max_length", std::to_string(m_options.maxLength)},
                {"normalize", m_options.normalize ? "true" : "false"}};
    }

    std::vector<std::int64_t> lengths(std::span<const std::string> texts) const override
    {
        std::vector<std::int64_t> out;
        out.reserve(texts.size());
        for (const auto& t : texts)
            out.push_back(static_cast<std::int64_t>(m_tokenizer->encode(t, m_options.maxLength).size()));
        return out;
    }

    void encode(std::span<const std::string> texts, float* out) override
    {
        if (texts.empty())
            return;
        const auto batch = static_cast<std::int64_t>(texts.size());
        std::vector<std::vector<std::int64_t>> tokens;
        tokens.reserve(texts.size());
        std::int64_t longest = 1;
        for (const auto& t : texts) {
            tokens.push_back(m_tokenizer->encode(t, m_options.maxLength));
            longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(tokens.back().size()));
        }
        // Right padding to the longest text of the batch; the mask marks the real tokens.
        torch::Tensor ids = torch::full({batch, longest}, m_tokenizer->padId(), torch::kLong);
        torch::Tensor mask = torch::zeros({batch, longest}, torch::kLong);
        auto idsA = ids.accessor<std::int64_t, 2>();
        auto maskA = mask.accessor<std::int64_t, 2>();
        for (std::int64_t b = 0; b < batch; ++b) {
            const auto& row = tokens[static_cast<std::size_t>(b)];
            for (std::size_t t = 0; t < row.size(); ++t) {
                idsA[b][static_cast<std::int64_t>(t)] = row[t];
                maskA[b][static_cast<std::int64_t>(t)] = 1;
            }
        }
        torch::Tensor pooled = pool(forward(ids, mask), mask).contiguous();
        if (pooled.size(1) != m_dim)
            throw Error(m_options.modelPath + ": the hidden size changed from " + std::to_string(m_dim) + " to " +
                        std::to_string(pooled.size(1)) + " between batches");
        std::memcpy(out, pooled.data_ptr<float>(), static_cast<std::size_t>(batch * m_dim) * sizeof(float));
    }

private:
    /// Runs the model and returns its last hidden states as float32 [B, T, H].
    torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask)
    {
        const std::string& path = m_options.modelPath;
        torch::InferenceMode inference;
        c10::IValue result;
        try {
            result = m_module.forward({ids, mask});
        } catch (const std::exception& e) {
            throw Error(path + ": the forward pass failed on a batch of " + std::to_string(ids.size(0)) + " x " +
                        std::to_string(ids.size(1)) + " tokens: " + firstLine(e.what()));
        }
        // Hugging Face models traced with return_dict give a tuple or a dict; the first entry
        // is the last hidden state.
        while (!result.isTensor()) {
            if (result.isTuple() && !result.toTupleRef().elements().empty())
                result = result.toTupleRef().elements()[0];
            else if (result.isList() && !result.toListRef().empty())
                result = result.toListRef()[0];
            else if (result.isGenericDict() && !result.toGenericDict().empty())
                result = result.toGenericDict().begin()->value();
            else
                throw Error(path + ": forward returned " + result.tagKind() +
                            "; expected the last hidden states [batch, tokens, hidden] (or a tuple or dict starting with them)");
        }
        torch::Tensor hidden = result.toTensor();
        if (hidden.dim() != 3 || hidden.size(0) != ids.size(0) || hidden.size(1) != ids.size(1) || hidden.size(2) < 1)
            throw Error(path + ": forward returned a tensor of shape " + shapeText(hidden) + " for input " +
                        shapeText(ids) + "; expected the last hidden states [batch, tokens, hidden]");
        if (!hidden.is_floating_point())
            throw Error(path + ": forward returned " + std::string(c10::toString(hidden.scalar_type())) +
                        " values; expected floating-point hidden states");
        return hidden.to(torch::kFloat);
    }

    torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& mask) const
    {
        torch::InferenceMode inference;
        torch::Tensor pooled;
        const torch::Tensor m = mask.to(torch::kFloat).unsqueeze(2); // [B, T, 1]
        switch (m_options.pooling) {
        case Pooling::Cls:
            pooled = hidden.select(1, 0);
            break;
        case Pooling::Mean:
            pooled = (hidden * m).sum(1) / m.sum(1).clamp_min(1.0);
            break;
        case Pooling::Last: {
            const torch::Tensor last = (mask.sum(1) - 1).clamp_min(0); // right padding
            pooled = hidden.index({torch::arange(hidden.size(0)), last});
            break;
        }
        case Pooling::Max:
            pooled = std::get<0>(hidden.masked_fill(m == 0, -std::numeric_limits<float>::infinity()).max(1));
            break;
        }
        if (m_options.normalize)
            pooled = torch::nn::functional::normalize(pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
        return pooled;
    }

    /// Compares the tokenizer's id range with the model's token embedding, when the model has
    /// a parameter that is recognisably one; the trial forward catches the rest.
    void checkEmbeddingSize()
    {
        const std::int64_t vocab = m_tokenizer->vocabSize();
        for (const auto& p : m_module.named_parameters(/*recurse=*/true)) {
            const std::string& n = p.name;
            const bool isTokenEmbedding = n.find("word_embeddings.weight") != std::string::npos ||
                                          n.find("embed_tokens.weight") != std::string::npos ||
                                          n.find("wte.weight") != std::string::npos ||
                                          n.find("tok_embeddings.weight") != std::string::npos ||
                                          n.find("token_embedding.weight") != std::string::npos;
            if (isTokenEmbedding && p.value.dim() == 2 && p.value.size(0) < vocab)
                throw Error(m_options.tokenizerPath + ": the tokenizer's vocabulary (" + std::to_string(vocab) +
                            " ids) does not fit the embedding of " + m_options.modelPath + " (" +
                            std::to_string(p.value.size(0)) + " rows in " + n + "): are they from the same model?");
        }
        // The largest id must go through: an embedding that is too small fails here with a
        // message about the tokenizer, not later in the middle of an extraction.
        const torch::Tensor ids = torch::full({1, 2}, vocab - 1, torch::kLong);
        try {
            torch::InferenceMode inference;
            m_module.forward({ids, torch::ones({1, 2}, torch::kLong)});
        } catch (const std::exception& e) {
            throw Error(m_options.tokenizerPath + ": the model " + m_options.modelPath + " rejects token id " +
                        std::to_string(vocab - 1) + ", the largest the tokenizer produces (vocabulary of " +
                        std::to_string(vocab) + "): the tokenizer does not fit the embedding size (" +
                        firstLine(e.what()) + ")");
        }
    }

    TorchScriptOptions m_options;
    std::unique_ptr<Tokenizer> m_tokenizer;
    torch::jit::Module m_module;
    std::int64_t m_dim = 0;
    std::string m_name, m_modelHash, m_tokenizerHash;
};

} // namespace

std::unique_ptr<Backbone> loadTorchScriptBackbone(const TorchScriptOptions& options)
{
    return std::make_unique<TorchScriptBackbone>(options);
}

} // namespace headbench
