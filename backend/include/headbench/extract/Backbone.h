#pragma once
/// \file Backbone.h
/// A frozen feature extractor: texts in, one float vector per text out.
#include <headbench/data/FeatureFile.h>

#include <cstdint>
#include <algorithm>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace headbench {

/// Turns code snippets into fixed-size feature vectors. The built-in hashed n-gram backbone
/// and TorchScript models implement it; the extractor and the feature cache only see this.
class Backbone {
public:
    virtual ~Backbone() = default;
    /// Short name recorded in feature files (`hashed-ngram`, a model file name, ...).
    virtual std::string name() const = 0;
    /// Version or content hash: two extractions with the same name and version agree.
    virtual std::string version() const = 0;
    /// Feature dimension D.
    virtual std::int64_t dim() const = 0;
    /// Encodes a batch: writes texts.size() x dim() floats, row-major, into `out`.
    virtual void encode(std::span<const std::string> texts, float* out) = 0;
    /// How the features were made, recorded as attributes of the feature file (pooling,
    /// max_length, the model's file name and content hash, ...). Part of the cache key.
    virtual std::map<std::string, std::string> attributes() const { return {}; }
    /// Several feature sets per text (layers x poolings of a model returning all its hidden
    /// states): then encode() writes each row as these sets' vectors one after another, each
    /// dim() / featureSets().size() wide, and the extractor stores them as a version-2 file
    /// whose default set is featureSets()[defaultFeatureSet()]. Empty: one set, as always.
    virtual std::vector<FeatureSetInfo> featureSets() const { return {}; }
    virtual std::size_t defaultFeatureSet() const { return 0; }
    /// A cost per text (its token count for a model) by which the extractor sorts texts into
    /// batches of similar length; by default the text's size in bytes.
    virtual std::vector<std::int64_t> lengths(std::span<const std::string> texts) const
    {
        std::vector<std::int64_t> out;
        out.reserve(texts.size());
        for (const auto& t : texts)
            out.push_back(static_cast<std::int64_t>(t.size()));
        return out;
    }
    /// The relative cost of encoding a batch of `rows` texts padded to `longest` (a unit of
    /// lengths()), for the time left of an extraction; by default rows x longest.
    virtual double batchCost(std::int64_t rows, std::int64_t longest) const
    {
        return static_cast<double>(rows) * static_cast<double>(std::max<std::int64_t>(1, longest));
    }
    /// What the model saw: each text's token count before truncation (special tokens included),
    /// for backbones with a token window; empty for those without one (the built-in backbone).
    virtual std::vector<std::int64_t> tokenCounts(std::span<const std::string> texts) const { return {}; }
    /// The token window (max length, special tokens included); 0 when there is none.
    virtual std::int64_t window() const { return 0; }
    /// True when the backbone reads a text longer than its window whole (overlapping windows):
    /// no row counts as truncated.
    virtual bool seesWholeText() const { return false; }
    /// Token sequences encoded so far (with windows, more than the texts).
    virtual std::int64_t sequencesEncoded() const { return 0; }
    /// The tokenizer file's absolute path (kept in the feature file, outside the cache key, so
    /// the window can show where a text was cut); empty without one.
    virtual std::string tokenizerPath() const { return {}; }
};

/// Options for creating a backbone by name.
struct BackboneOptions {
    std::int64_t dim = 1024; ///< for the built-in backbone
};

/// Creates a backbone by name; throws headbench::Error for an unknown one.
std::unique_ptr<Backbone> makeBackbone(const std::string& name, const BackboneOptions& options = {});

} // namespace headbench
