#pragma once
/// \file HashedNgramBackbone.h
#include <headbench/extract/Backbone.h>

namespace headbench {

/// The built-in backbone: C-aware tokens (CLexer), hashed token n-grams of length 1 to 3,
/// sublinear term frequency (1 + log tf), signed feature hashing, L2 normalisation.
/// Needs no weights and is deterministic across runs and machines.
class HashedNgramBackbone final : public Backbone {
public:
    explicit HashedNgramBackbone(std::int64_t dim = 1024);
    std::string name() const override { return "hashed-ngram"; }
    std::string version() const override { return "1"; }
    std::int64_t dim() const override { return m_dim; }
    void encode(std::span<const std::string> texts, float* out) override;

    /// Encodes one text into `out` (dim() floats).
    void encodeOne(const std::string& text, float* out) const;

private:
    std::int64_t m_dim;
};

} // namespace headbench
