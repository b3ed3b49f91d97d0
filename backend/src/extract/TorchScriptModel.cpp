// A TorchScript file as a HiddenStateModel: its forward's output (a tensor, a tuple, a list or a
// dict, with the last or all hidden states) read into a list of float32 hidden states.
#include "HiddenStateModel.h"

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>

#include <torch/script.h>

#include <filesystem>

namespace headbench {

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

namespace {

class TorchScriptModel : public HiddenStateModel {
public:
    explicit TorchScriptModel(const std::string& path)
        : m_path(path)
    {
        if (!std::filesystem::is_regular_file(path))
            throw Error(path + ": no such model file");
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
        m_hash = hashFile(path);
    }

    const std::string& path() const override { return m_path; }
    std::string name() const override { return std::filesystem::path(m_path).filename().string(); }
    std::string hash() const override { return m_hash; }
    std::string allStatesAdvice() const override
    {
        return "export it with tools/export_backbone.py --all-hidden-states";
    }

    std::vector<torch::Tensor> forward(const torch::Tensor& ids, const torch::Tensor& mask) override
    {
        torch::InferenceMode inference;
        c10::IValue result;
        try {
            result = m_module.forward({ids, mask});
        } catch (const std::exception& e) {
            throw Error(m_path + ": the forward pass failed on a batch of " + std::to_string(ids.size(0)) + " x " +
                        std::to_string(ids.size(1)) + " tokens: " + firstLine(e.what()));
        }
        std::vector<torch::Tensor> states;
        if (!allHiddenStates(result, states) && result.isTuple())
            for (const auto& entry : result.toTupleRef().elements())
                if (allHiddenStates(entry, states))
                    break;
        if (states.empty()) {
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
                    throw Error(m_path + ": forward returned " + result.tagKind() +
                                "; expected the last hidden states [batch, tokens, hidden] (or a tuple or dict starting with them)");
            }
            states.push_back(result.toTensor());
        }
        for (torch::Tensor& hidden : states) {
            if (hidden.dim() != 3 || hidden.size(0) != ids.size(0) || hidden.size(1) != ids.size(1) || hidden.size(2) < 1)
                throw Error(m_path + ": forward returned a tensor of shape " + shapeText(hidden) + " for input " +
                            shapeText(ids) + "; expected the last hidden states [batch, tokens, hidden]");
            if (!hidden.is_floating_point())
                throw Error(m_path + ": forward returned " + std::string(c10::toString(hidden.scalar_type())) +
                            " values; expected floating-point hidden states");
            hidden = hidden.to(torch::kFloat);
        }
        return states;
    }

    /// Compares the tokenizer's id range with the model's token embedding, when the model has
    /// a parameter that is recognisably one, then runs the largest id through the model.
    void checkVocabulary(std::int64_t vocab, const std::string& tokenizerPath) override
    {
        for (const auto& p : m_module.named_parameters(/*recurse=*/true)) {
            const std::string& n = p.name;
            const bool isTokenEmbedding = n.find("word_embeddings.weight") != std::string::npos ||
                                          n.find("embed_tokens.weight") != std::string::npos ||
                                          n.find("wte.weight") != std::string::npos ||
                                          n.find("tok_embeddings.weight") != std::string::npos ||
                                          n.find("token_embedding.weight") != std::string::npos;
            if (isTokenEmbedding && p.value.dim() == 2 && p.value.size(0) < vocab)
                throw Error(tokenizerPath + ": the tokenizer's vocabulary (" + std::to_string(vocab) +
                            " ids) does not fit the embedding of " + m_path + " (" +
                            std::to_string(p.value.size(0)) + " rows in " + n + "): are they from the same model?");
        }
        // The largest id must go through: an embedding that is too small fails here with a
        // message about the tokenizer, not later in the middle of an extraction.
        const torch::Tensor ids = torch::full({1, 2}, vocab - 1, torch::kLong);
        try {
            torch::InferenceMode inference;
            m_module.forward({ids, torch::ones({1, 2}, torch::kLong)});
        } catch (const std::exception& e) {
            throw Error(tokenizerPath + ": the model " + m_path + " rejects token id " + std::to_string(vocab - 1) +
                        ", the largest the tokenizer produces (vocabulary of " + std::to_string(vocab) +
                        "): the tokenizer does not fit the embedding size (" + firstLine(e.what()) + ")");
        }
    }

private:
    /// A tuple or list of two or more tensors of one shape [B, T, H]: all hidden states.
    static bool allHiddenStates(const c10::IValue& v, std::vector<torch::Tensor>& out)
    {
        std::vector<c10::IValue> entries;
        if (v.isTuple())
            entries.assign(v.toTupleRef().elements().begin(), v.toTupleRef().elements().end());
        else if (v.isList())
            for (const auto& e : v.toListRef())
                entries.push_back(e);
        if (entries.size() < 2)
            return false;
        for (const auto& e : entries)
            if (!e.isTensor() || e.toTensor().dim() != 3 || e.toTensor().sizes() != entries.front().toTensor().sizes())
                return false;
        out.clear();
        for (const auto& e : entries)
            out.push_back(e.toTensor());
        return true;
    }

    std::string m_path;
    torch::jit::Module m_module;
    std::string m_hash;
};

} // namespace

std::unique_ptr<HiddenStateModel> loadTorchScriptModel(const std::string& path)
{
    return std::make_unique<TorchScriptModel>(path);
}

} // namespace headbench
