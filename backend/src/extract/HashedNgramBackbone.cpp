#include <headbench/extract/HashedNgramBackbone.h>

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/text/CLexer.h>

#include <cmath>
#include <unordered_map>

namespace headbench {

HashedNgramBackbone::HashedNgramBackbone(std::int64_t dim)
    : m_dim(dim)
{
    if (dim < 8 || dim > (1 << 22))
        throw Error("hashed-ngram: dimension must be between 8 and 4194304, got " + std::to_string(dim));
}

void HashedNgramBackbone::encodeOne(const std::string& text, float* out) const
{
    const std::vector<std::string> tokens = lexC(text);
    // Token hashes once; an n-gram's hash combines them, so nothing is concatenated.
    std::vector<std::uint64_t> th(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i)
        th[i] = fnv1a64(tokens[i]);

    std::unordered_map<std::uint64_t, int> counts;
    counts.reserve(tokens.size() * 3);
    for (std::size_t i = 0; i < th.size(); ++i) {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (std::size_t len = 1; len <= 3 && i + len <= th.size(); ++len) {
            h = (h ^ th[i + len - 1]) * 0x100000001b3ULL + len;
            h ^= h >> 29;
            ++counts[h];
        }
    }

    std::fill(out, out + m_dim, 0.0f);
    for (const auto& [h, tf] : counts) {
        const auto bucket = static_cast<std::int64_t>(h % static_cast<std::uint64_t>(m_dim));
        const float sign = (h >> 63) ? -1.0f : 1.0f; // signed hashing: collisions cancel on average
        out[bucket] += sign * (1.0f + std::log(static_cast<float>(tf)));
    }
    double norm = 0;
    for (std::int64_t j = 0; j < m_dim; ++j)
        norm += static_cast<double>(out[j]) * out[j];
    if (norm > 0) {
        const float inv = static_cast<float>(1.0 / std::sqrt(norm));
        for (std::int64_t j = 0; j < m_dim; ++j)
            out[j] *= inv;
    }
}

void HashedNgramBackbone::encode(std::span<const std::string> texts, float* out)
{
    for (std::size_t i = 0; i < texts.size(); ++i)
        encodeOne(texts[i], out + static_cast<std::int64_t>(i) * m_dim);
}

std::unique_ptr<Backbone> makeBackbone(const std::string& name, const BackboneOptions& options)
{
    if (name == "hashed-ngram")
        return std::make_unique<HashedNgramBackbone>(options.dim);
    throw Error("unknown backbone '" + name + "' (built-in: hashed-ngram)");
}

} // namespace headbench
