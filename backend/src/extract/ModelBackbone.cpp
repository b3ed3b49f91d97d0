// A model backbone: tokenizing, long texts, batches, layers and poolings, the same for every
// kind of model (HiddenStateModel gives the hidden states).
#include <headbench/extract/ModelBackbone.h>

#include "HiddenStateModel.h"
#include "extract/TorchLibrary.h"

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/text/Tokenizer.h>

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <limits>

namespace headbench {

namespace {

class ModelBackbone : public Backbone {
public:
    ModelBackbone(std::unique_ptr<HiddenStateModel> model, const ModelBackboneOptions& options)
        : m_options(options), m_model(std::move(model))
    {
        if (options.maxLength < 2)
            throw Error("the maximum length must be at least 2 tokens, got " + std::to_string(options.maxLength));
        if (options.windowStride < 0)
            throw Error("--window-stride " + std::to_string(options.windowStride) + ": expected a positive token count");
        // A model with a position table takes no longer sequences than it holds positions for.
        if (const std::int64_t most = m_model->maxTokens(); most > 0 && m_options.maxLength > most)
            m_options.maxLength = static_cast<int>(most);
        m_tokenizer = loadTokenizer(options.tokenizerPath);
        m_model->checkVocabulary(m_tokenizer->vocabSize(), options.tokenizerPath);
        // Trial forward: reads the hidden size and checks the output's shape.
        const std::vector<std::int64_t> ids = m_tokenizer->encode("int main(void) { return 0; }", 8);
        const std::vector<torch::Tensor> states = m_model->forward(torch::tensor(ids, torch::kLong).unsqueeze(0),
                                                                   torch::ones({1, static_cast<std::int64_t>(ids.size())}, torch::kLong));
        m_dim = states.back().size(2);
        m_stateCount = static_cast<int>(states.size());
        chooseSets();
        m_name = m_model->name();
        m_modelHash = m_model->hash();
        m_tokenizerHash = tokenizerHash(options.tokenizerPath); // covers merges.txt and the configs of slow files
    }

    std::string name() const override { return m_name; }
    std::string version() const override { return m_modelHash; }
    std::int64_t dim() const override { return m_dim * static_cast<std::int64_t>(m_sets.size()); }
    std::vector<FeatureSetInfo> featureSets() const override { return m_multi ? m_sets : std::vector<FeatureSetInfo>(); }
    std::size_t defaultFeatureSet() const override { return m_default; }

    std::map<std::string, std::string> attributes() const override
    {
        std::map<std::string, std::string> out{{"backbone_file", m_name},
                {"backbone_hash", m_modelHash},
                {"tokenizer_file", std::filesystem::path(m_options.tokenizerPath).filename().string()},
                {"tokenizer_hash", m_tokenizerHash},
                {"tokenizer_kind", m_tokenizer->kind()},
                {"pooling", m_sets[m_default].pooling},
                {"max_length", std::to_string(m_options.maxLength)},
                {"normalize", m_options.normalize ? "true" : "false"},
                {"long", longModeName(m_options.longMode)}};
        for (const auto& [k, v] : m_model->attributes())
            out[k] = v;
        if (m_options.longMode == LongMode::Windows) {
            out["window_stride"] = std::to_string(stride());
            out["window_pool"] = m_options.windowMax ? "max" : "mean";
        }
        if (m_multi) {
            std::string layers, poolings;
            for (int l : m_layers)
                layers += (layers.empty() ? "" : ",") + std::to_string(l);
            for (Pooling p : m_poolings)
                poolings += (poolings.empty() ? "" : ",") + std::string(poolingName(p));
            out["layers"] = layers;
            out["poolings"] = poolings;
            out["hidden_states"] = std::to_string(m_stateCount);
        }
        return out;
    }

    std::vector<std::int64_t> lengths(std::span<const std::string> texts) const override
    {
        std::vector<std::int64_t> out;
        out.reserve(texts.size());
        for (const auto& t : texts) {
            std::int64_t n = 0;
            for (const auto& seq : encodeLong(*m_tokenizer, t, m_options.maxLength, m_options.longMode, stride()))
                n += static_cast<std::int64_t>(seq.size());
            out.push_back(n);
        }
        return out;
    }

    /// A transformer layer costs about 24 H^2 multiply-adds per token in its projections and
    /// 4 L H in attention: per token, in proportion, 6 H + L.
    double batchCost(std::int64_t rows, std::int64_t longest) const override
    {
        const double L = static_cast<double>(std::max<std::int64_t>(1, longest));
        return static_cast<double>(rows) * L * (6.0 * static_cast<double>(m_dim) + L);
    }

    std::vector<std::int64_t> tokenCounts(std::span<const std::string> texts) const override
    {
        std::vector<std::int64_t> out;
        out.reserve(texts.size());
        for (const auto& t : texts)
            out.push_back(static_cast<std::int64_t>(m_tokenizer->encode(t, 0).size()));
        return out;
    }

    std::int64_t window() const override { return m_options.maxLength; }
    std::string tokenizerPath() const override
    {
        std::error_code ec;
        const auto path = std::filesystem::absolute(m_options.tokenizerPath, ec);
        return ec ? m_options.tokenizerPath : path.string();
    }
    bool seesWholeText() const override { return m_options.longMode == LongMode::Windows; }
    std::int64_t sequencesEncoded() const override { return m_sequences; }

    void encode(std::span<const std::string> texts, float* out) override
    {
        if (texts.empty())
            return;
        // Each text is one sequence (head, tail) or several (windows); the sequences go through
        // the model in batches of as many as there are texts, and a text's vector is the mean
        // (or maximum) of its sequences' pooled vectors.
        std::vector<std::vector<std::int64_t>> tokens;
        std::vector<std::int64_t> owner;
        for (std::size_t i = 0; i < texts.size(); ++i)
            for (auto& seq : encodeLong(*m_tokenizer, texts[i], m_options.maxLength, m_options.longMode, stride())) {
                tokens.push_back(std::move(seq));
                owner.push_back(static_cast<std::int64_t>(i));
            }
        m_sequences += static_cast<std::int64_t>(tokens.size());
        const auto batch = static_cast<std::int64_t>(texts.size());
        std::vector<torch::Tensor> pooled;
        for (std::size_t first = 0; first < tokens.size(); first += texts.size())
            pooled.push_back(encodeSequences(std::span(tokens).subspan(first, std::min(texts.size(), tokens.size() - first))));
        torch::Tensor all = pooled.size() == 1 ? pooled.front() : torch::cat(pooled, 0);
        if (static_cast<std::int64_t>(tokens.size()) != batch) {
            const torch::Tensor index = torch::tensor(owner, torch::kLong);
            torch::Tensor merged = torch::zeros({batch, dim()}, torch::kFloat);
            if (m_options.windowMax) {
                merged.fill_(-std::numeric_limits<float>::infinity());
                merged.index_reduce_(0, index, all, "amax");
            } else {
                merged.index_add_(0, index, all);
                merged /= torch::bincount(index, {}, batch).to(torch::kFloat).unsqueeze(1);
            }
            all = merged.contiguous();
        }
        std::memcpy(out, all.data_ptr<float>(), static_cast<std::size_t>(batch * dim()) * sizeof(float));
    }

private:
    std::int64_t stride() const
    {
        return m_options.windowStride > 0 ? m_options.windowStride : defaultWindowStride(*m_tokenizer, m_options.maxLength);
    }

    /// One forward pass over id sequences (right-padded to the longest; the mask marks the real
    /// tokens), pooled per feature set: [sequences, dim()].
    torch::Tensor encodeSequences(std::span<const std::vector<std::int64_t>> tokens)
    {
        const auto batch = static_cast<std::int64_t>(tokens.size());
        std::int64_t longest = 1;
        for (const auto& row : tokens)
            longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(row.size()));
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
        const std::vector<torch::Tensor> states = m_model->forward(ids, mask);
        if (static_cast<int>(states.size()) != m_stateCount)
            throw Error(m_model->path() + ": the model returned " + std::to_string(states.size()) + " hidden states, " +
                        std::to_string(m_stateCount) + " on the first batch");
        std::vector<torch::Tensor> parts;
        for (const FeatureSetInfo& set : m_sets) {
            const torch::Tensor& hidden = set.layer < 0 ? states.back() : states[static_cast<std::size_t>(set.layer)];
            parts.push_back(pool(hidden, mask, parsePooling(set.pooling)));
        }
        torch::Tensor pooled = (parts.size() == 1 ? parts.front() : torch::cat(parts, 1)).to(torch::kFloat).contiguous();
        if (pooled.size(1) != dim())
            throw Error(m_model->path() + ": the hidden size changed from " + std::to_string(m_dim) + " to " +
                        std::to_string(pooled.size(1) / static_cast<std::int64_t>(m_sets.size())) + " between batches");
        return pooled;
    }

    /// Resolves the options' layers and poolings into feature sets (the trial forward told how
    /// many hidden states the model returns).
    void chooseSets()
    {
        const std::string& path = m_model->path();
        m_poolings = m_options.poolings.empty() ? std::vector<Pooling>{m_options.pooling} : m_options.poolings;
        const bool all = m_stateCount > 1;
        const std::string& spec = m_options.layers.empty() ? std::string("last") : m_options.layers;
        if (spec == "last") {
            m_layers = {all ? m_stateCount - 1 : -1};
        } else if (spec == "all") {
            for (int l = 0; l < m_stateCount; ++l)
                m_layers.push_back(l);
        } else {
            std::size_t pos = 0;
            while (pos <= spec.size()) {
                const std::size_t comma = std::min(spec.find(',', pos), spec.size());
                const std::string item = spec.substr(pos, comma - pos);
                std::size_t used = 0;
                int layer = 0;
                try {
                    layer = std::stoi(item, &used);
                } catch (const std::exception&) {
                    used = 0;
                }
                if (item.empty() || used != item.size())
                    throw Error("--layers " + spec + ": '" + item + "' is not a layer number (expected last, all, or a "
                                "list such as -1,-4,8)");
                if (!all && layer != -1)
                    throw Error(path + ": the model returns only its last hidden states, so layer " + item +
                                " is not available; export it with tools/export_backbone.py --all-hidden-states");
                const int resolved = !all ? -1 : layer < 0 ? m_stateCount + layer : layer;
                if (resolved < -1 || resolved >= m_stateCount || (all && resolved < 0))
                    throw Error("--layers " + spec + ": layer " + item + " is out of range; " + path + " returns " +
                                std::to_string(m_stateCount) + " hidden states (0 = embeddings .. " +
                                std::to_string(m_stateCount - 1) + ", or -1 .. -" + std::to_string(m_stateCount) + ")");
                if (std::find(m_layers.begin(), m_layers.end(), resolved) == m_layers.end())
                    m_layers.push_back(resolved);
                pos = comma + 1;
            }
        }
        if (spec == "all" && !all)
            throw Error(path + ": --layers all needs a model returning all hidden states (a tuple or list of "
                        "[batch, tokens, hidden] tensors, embeddings first); this one returns only the last. Export "
                        "it with tools/export_backbone.py --all-hidden-states");
        for (std::size_t i = 0; i < m_poolings.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (m_poolings[i] == m_poolings[j])
                    throw Error(std::string("--pooling: ") + poolingName(m_poolings[i]) + " is given twice");
        m_sets.clear();
        for (int layer : m_layers)
            for (Pooling p : m_poolings) {
                FeatureSetInfo info;
                info.layer = layer;
                info.pooling = poolingName(p);
                info.name = (layer < 0 ? std::string("last") : "layer" + std::to_string(layer)) + "." + info.pooling;
                m_sets.push_back(info);
            }
        // A file of several sets; one set of the last layer stays an ordinary version-1 file.
        const int last = all ? m_stateCount - 1 : -1;
        m_multi = m_sets.size() > 1 || m_layers.front() != last;
        // The default set (at /features): the model's last hidden states with the first pooling,
        // what a one-set extraction gives, when they were asked for; else the first set.
        m_default = 0;
        for (std::size_t i = 0; i < m_sets.size(); ++i)
            if (m_sets[i].layer == last) {
                m_default = i;
                break;
            }
    }

    torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& mask, Pooling pooling) const
    {
        torch::InferenceMode inference;
        torch::Tensor pooled;
        const torch::Tensor m = mask.to(torch::kFloat).unsqueeze(2); // [B, T, 1]
        switch (pooling) {
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

    ModelBackboneOptions m_options;
    std::unique_ptr<HiddenStateModel> m_model;
    std::unique_ptr<Tokenizer> m_tokenizer;
    std::int64_t m_dim = 0;   ///< hidden size H of one set
    int m_stateCount = 1;     ///< hidden states the model returns (1: the last only)
    std::int64_t m_sequences = 0; ///< id sequences encoded so far (windows count one each)
    std::vector<int> m_layers;
    std::vector<Pooling> m_poolings;
    std::vector<FeatureSetInfo> m_sets;
    std::size_t m_default = 0;
    bool m_multi = false;
    std::string m_name, m_modelHash, m_tokenizerHash;
};

} // namespace

std::unique_ptr<Backbone> loadModelBackboneWithTorch(const ModelBackboneOptions& options)
{
    std::error_code ec;
    if (std::filesystem::is_directory(options.modelPath, ec))
        return std::make_unique<ModelBackbone>(loadHfFolderModel(options.modelPath), options);
    return std::make_unique<ModelBackbone>(loadTorchScriptModel(options.modelPath), options);
}

} // namespace headbench
