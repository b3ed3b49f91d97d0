#include <headbench/compute/Leakage.h>

#include "compute/Random.h"
#include "compute/VectorKernels.h"

#include <headbench/compute/Runtime.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/text/CLexer.h>

#include <cblas.h>

#include <algorithm>
#include <array>
#include <type_traits>
#include <atomic>
#include <future>
#include <cstdio>
#include <optional>
#include <fstream>
#include <filesystem>
#include <cstring>
#include <chrono>
#include <cmath>
#include <limits>
#include <iterator>
#include <mutex>
#include <numeric>
#include <random>

namespace headbench {
namespace {

using Clock = std::chrono::steady_clock;

/// Runs f(begin, end) over [0, n) in pieces of `grain` on the process's threads (runtimeThreads),
/// each thread taking the next piece when done with one (the pieces' costs vary: some queries
/// have hundreds of candidate pairs). Not torch's pool: configureRuntime gives it one thread
/// (the cores go to the BLAS), so at::parallel_for ran all of this on one core.
template <typename F> void parallelRows(std::int64_t n, std::int64_t grain, F&& f)
{
    grain = std::max<std::int64_t>(1, grain);
    const std::int64_t pieces = (n + grain - 1) / grain;
    const int threads = static_cast<int>(std::min<std::int64_t>(std::max(1, runtimeThreads()), pieces));
    if (threads <= 1) {
        if (n > 0)
            f(std::int64_t(0), n);
        return;
    }
    std::atomic<std::int64_t> next{0};
    auto work = [&] {
        for (std::int64_t p = next++; p < pieces; p = next++)
            f(p * grain, std::min(n, (p + 1) * grain));
    };
    std::vector<std::future<void>> others;
    for (int t = 1; t < threads; ++t)
        others.push_back(std::async(std::launch::async, work));
    work();
    for (auto& o : others)
        o.get();
}

/// A text's tokens (CLexer: no layout, no comments), each hashed, in order. Each text is lexed
/// once: its exact key and its shingles both come from this list.
void tokenHashes(const std::string& text, std::vector<std::uint64_t>& out)
{
    out.clear();
    forEachCToken(text, [&](std::string_view t) { out.push_back(hash64(t)); });
}

/// The key of the normalised code (its tokens, without layout or comments), without building
/// that string.
std::uint64_t textKey(const std::vector<std::uint64_t>& tokens)
{
    std::uint64_t h = 0x6c65616b6167650aULL;
    for (const std::uint64_t t : tokens)
        h = mixBits(h ^ t);
    return h;
}

/// The key two rows share when they are exact duplicates: the normalised text, or the bytes of
/// the feature vector when there is no text.
std::vector<std::uint64_t> exactKeys(const FeatureSet& data, bool byText)
{
    std::vector<std::uint64_t> keys(static_cast<std::size_t>(data.rows));
    parallelRows(data.rows, 256, [&](std::int64_t b, std::int64_t e) {
        std::vector<std::uint64_t> tokens;
        for (std::int64_t i = b; i < e; ++i) {
            if (byText) {
                tokenHashes(data.texts[static_cast<std::size_t>(i)], tokens);
                keys[i] = textKey(tokens);
            } else {
                const auto* p = reinterpret_cast<const char*>(data.features.data() + i * data.dim);
                keys[i] = hash64(std::string_view(p, static_cast<std::size_t>(data.dim) * sizeof(float)));
            }
        }
    });
    return keys;
}

/// Rows grouped by key: for each row, whether an earlier row has its key, and whether its key
/// occurs with another label.
struct ExactGroups {
    std::int64_t duplicateRows = 0, conflictingRows = 0;
    std::vector<char> conflicting;
};

ExactGroups groupExact(const std::vector<std::uint64_t>& keys, const std::vector<std::int32_t>& labels)
{
    ExactGroups g;
    g.conflicting.assign(keys.size(), 0);
    std::vector<std::uint32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
    });
    for (std::size_t s = 0; s < order.size();) {
        std::size_t e = s + 1;
        bool mixed = false;
        while (e < order.size() && keys[order[e]] == keys[order[s]]) {
            mixed = mixed || labels[order[e]] != labels[order[s]];
            ++e;
        }
        g.duplicateRows += static_cast<std::int64_t>(e - s - 1);
        if (mixed) {
            g.conflictingRows += static_cast<std::int64_t>(e - s);
            for (std::size_t k = s; k < e; ++k)
                g.conflicting[order[k]] = 1;
        }
        s = e;
    }
    return g;
}

/// For each band, the training rows sorted by their band key, and for each query row (a row not
/// in training) where the training rows sharing its key start and how many there are; built
/// once. Rows sharing a key in some band are candidate pairs. The pairs of a range of query
/// rows are drawn from it range by range, so that only one range's pairs are held at a time
/// (on 150,000 tiled rows, where every row has 14 near copies and templated code shares
/// buckets, all of them at once took about 220 MB). Drawing a range's pairs touches only its
/// query rows' buckets, not every bucket of every band.
class BandBuckets {
public:
    BandBuckets(const std::vector<std::uint64_t>& bandKeys, int bands, std::span<const std::uint8_t> split)
        : m_bands(bands), m_queryIndex(split.size(), 0)
    {
        const std::size_t n = split.size();
        std::size_t trainRows = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (split[i] == kTrain)
                ++trainRows;
            else
                m_queryIndex[i] = static_cast<std::uint32_t>(m_queries++);
        }
        m_train.resize(static_cast<std::size_t>(bands) * trainRows);
        m_trainCount = trainRows;
        m_queryBucket.resize(static_cast<std::size_t>(bands) * m_queries);
        parallelRows(bands, 1, [&](std::int64_t b0, std::int64_t b1) {
            std::vector<std::pair<std::uint64_t, std::uint32_t>> entries(n);
            for (std::int64_t b = b0; b < b1; ++b) {
                for (std::size_t i = 0; i < n; ++i)
                    entries[i] = {bandKeys[i * static_cast<std::size_t>(bands) + static_cast<std::size_t>(b)],
                                  static_cast<std::uint32_t>(i)};
                std::sort(entries.begin(), entries.end());
                std::uint32_t* train = m_train.data() + static_cast<std::size_t>(b) * trainRows;
                Bucket* buckets = m_queryBucket.data() + static_cast<std::size_t>(b) * m_queries;
                std::uint32_t written = 0;
                for (std::size_t s = 0; s < n;) {
                    std::size_t e = s + 1;
                    while (e < n && entries[e].first == entries[s].first)
                        ++e;
                    const std::uint32_t begin = written;
                    for (std::size_t k = s; k < e; ++k)
                        if (split[entries[k].second] == kTrain)
                            train[written++] = entries[k].second; // in row order: (key, row) sorted
                    for (std::size_t k = s; k < e; ++k)
                        if (split[entries[k].second] != kTrain)
                            buckets[m_queryIndex[entries[k].second]] = {begin, written - begin};
                    s = e;
                }
            }
        });
    }

    /// Pairs (query << 32 | train row), sorted and distinct, of the query rows (split not kTrain)
    /// in [lo, hi): each with at most `cap` training rows of each bucket it is in (the first
    /// by row index).
    std::vector<std::uint64_t> pairs(std::span<const std::uint8_t> split, std::size_t lo, std::size_t hi,
                                     std::size_t cap = 48) const
    {
        constexpr std::int64_t piece = 256;
        const auto count = static_cast<std::int64_t>(hi - lo);
        std::vector<std::vector<std::uint64_t>> parts(static_cast<std::size_t>((count + piece - 1) / piece));
        parallelRows(count, piece, [&](std::int64_t b, std::int64_t e) {
            std::vector<std::uint64_t>& out = parts[static_cast<std::size_t>(b / piece)];
            std::vector<std::uint64_t> one;
            for (std::size_t q = lo + static_cast<std::size_t>(b); q < lo + static_cast<std::size_t>(e); ++q) {
                if (split[q] == kTrain)
                    continue;
                one.clear();
                for (int band = 0; band < m_bands; ++band) {
                    const Bucket bucket = m_queryBucket[static_cast<std::size_t>(band) * m_queries + m_queryIndex[q]];
                    const std::uint32_t* train = m_train.data() + static_cast<std::size_t>(band) * m_trainCount + bucket.begin;
                    const std::size_t t = std::min<std::size_t>(bucket.count, cap);
                    for (std::size_t k = 0; k < t; ++k)
                        one.push_back((static_cast<std::uint64_t>(q) << 32) | train[k]);
                }
                std::sort(one.begin(), one.end());
                one.erase(std::unique(one.begin(), one.end()), one.end());
                out.insert(out.end(), one.begin(), one.end());
            }
        });
        std::size_t total = 0;
        for (const auto& part : parts)
            total += part.size();
        std::vector<std::uint64_t> pairs;
        pairs.reserve(total);
        for (auto& part : parts) {
            pairs.insert(pairs.end(), part.begin(), part.end());
            std::vector<std::uint64_t>().swap(part);
        }
        return pairs;
    }

    /// Ranges [lo, hi) of row indices holding about `perRange` query rows each.
    static std::vector<std::pair<std::size_t, std::size_t>> queryRanges(std::span<const std::uint8_t> split,
                                                                        std::size_t perRange = 2048)
    {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        std::size_t lo = 0, count = 0;
        for (std::size_t i = 0; i < split.size(); ++i)
            if (split[i] != kTrain && ++count == perRange) {
                out.emplace_back(lo, i + 1);
                lo = i + 1;
                count = 0;
            }
        if (count > 0)
            out.emplace_back(lo, split.size());
        return out;
    }

private:
    struct Bucket {
        std::uint32_t begin = 0, count = 0; ///< the training rows of a query's bucket in m_train
    };
    int m_bands;
    std::size_t m_queries = 0, m_trainCount = 0;
    std::vector<std::uint32_t> m_queryIndex; ///< a query row's index among the query rows
    std::vector<std::uint32_t> m_train;      ///< per band, the training rows in key order
    std::vector<Bucket> m_queryBucket;       ///< per band, per query row: its training rows
};

/// No cheap bound on a pair's similarity: verifyPairs checks every candidate.
struct EveryCandidate {};

/// Verifies candidate pairs (sorted by query) with `similarity(q, t)` and keeps, per query, the
/// most similar training row. With a `bound` (`distances(q, rows, n, out)`, `limit(best)`: the
/// largest distance at which a pair could still beat a similarity of `best`, and
/// `prefetch(t)`), each query's candidates are checked nearest first and the rest skipped once
/// beyond the limit.
template <typename Similarity, typename Bound = EveryCandidate>
void verifyPairs(const std::vector<std::uint64_t>& pairs, LeakageReport& r, Similarity&& similarity, Bound bound = {})
{
    // Ranges of pairs per query, so that each query is handled by one thread.
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (i == 0 || (pairs[i] >> 32) != (pairs[i - 1] >> 32))
            starts.push_back(i);
    starts.push_back(pairs.size());
    parallelRows(static_cast<std::int64_t>(starts.size()) - 1, 64, [&](std::int64_t b, std::int64_t e) {
        std::vector<std::uint32_t> rows;
        std::vector<int> distances;
        std::vector<std::pair<int, std::uint32_t>> order;
        for (std::int64_t g = b; g < e; ++g) {
            const std::size_t q = pairs[starts[g]] >> 32;
            float best = -std::numeric_limits<float>::infinity();
            std::int64_t bestRow = -1;
            if constexpr (std::is_same_v<Bound, EveryCandidate>) {
                for (std::size_t i = starts[g]; i < starts[g + 1]; ++i) {
                    const std::size_t t = pairs[i] & 0xffffffffULL;
                    const float s = similarity(q, t);
                    if (s > best) {
                        best = s;
                        bestRow = static_cast<std::int64_t>(t);
                    }
                }
            } else {
                rows.clear();
                for (std::size_t i = starts[g]; i < starts[g + 1]; ++i)
                    rows.push_back(static_cast<std::uint32_t>(pairs[i] & 0xffffffffULL));
                distances.resize(rows.size());
                bound.distances(q, rows.data(), rows.size(), distances.data());
                // (distance, training row) of the candidates that can be verified: the nearest,
                // and those within the loosest limit the search can have; only they are sorted.
                const int loosest = bound.limit(-std::numeric_limits<float>::infinity());
                std::pair<int, std::uint32_t> nearest{std::numeric_limits<int>::max(), 0};
                order.clear();
                for (std::size_t i = 0; i < rows.size(); ++i) {
                    const std::pair<int, std::uint32_t> c{distances[i], rows[i]};
                    nearest = std::min(nearest, c);
                    if (c.first <= loosest)
                        order.push_back(c);
                }
                if (!rows.empty() && nearest.first > loosest)
                    order.push_back(nearest);
                std::sort(order.begin(), order.end());
                for (std::size_t i = 0; i < order.size(); ++i) {
                    const auto [dist, t] = order[i];
                    if (bestRow >= 0 && dist > bound.limit(best))
                        break;
                    if (i + 1 < order.size())
                        bound.prefetch(order[i + 1].second);
                    const float s = similarity(q, t);
                    if (s > best) {
                        best = s;
                        bestRow = static_cast<std::int64_t>(t);
                    }
                }
            }
            r.nearestTrain[q] = bestRow;
            r.similarity[q] = best;
        }
    });
}

/// Sorted, distinct 32-bit hashes of the shingles (runs of `width` tokens) of a text's tokens.
std::vector<std::uint32_t> shinglesOf(const std::vector<std::uint64_t>& tokens, int width)
{
    std::vector<std::uint32_t> out;
    const std::size_t w = static_cast<std::size_t>(std::max(width, 1));
    if (tokens.empty())
        return out;
    const std::size_t count = tokens.size() >= w ? tokens.size() - w + 1 : 1;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t h = 0x51ed270b27ULL;
        for (std::size_t k = i; k < std::min(i + w, tokens.size()); ++k)
            h = mixBits(h ^ tokens[k]);
        out.push_back(static_cast<std::uint32_t>(h >> 32));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.shrink_to_fit(); // kept for every row until the check ends: templated code repeats shingles
    return out;
}

double jaccard(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b)
{
    if (a.empty() && b.empty())
        return 1.0;
    // Branch-free merge: the comparisons of two shingle lists are unpredictable.
    std::size_t i = 0, j = 0, common = 0;
    const std::size_t na = a.size(), nb = b.size();
    while (i < na && j < nb) {
        const std::uint32_t x = a[i], y = b[j];
        common += x == y;
        i += x <= y;
        j += y <= x;
    }
    return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

// MinHash banding: 16 bands of 6 hashes. A pair at Jaccard 0.8 shares a band with probability
// 1 - (1 - 0.8^6)^16 = 0.992; at 0.5, 0.22; at 0.3, 0.012 (then rejected by the exact check).
constexpr int kTextBands = 16, kTextRowsPerBand = 6;
// Sign random projections: 24 bands of 16 bits. At cosine 0.95 (18.2 degrees) a bit agrees with
// probability 0.899 and a pair shares a band with probability 0.992; at cosine 0.3, 0.006.
constexpr int kFeatureBands = 24, kFeatureBitsPerBand = 16;

/// Near duplicates by the Jaccard similarity of token shingles. Returns each row's exact key
/// (exactKeys' for text), taken from the same lexing pass.
std::vector<std::uint64_t> nearByText(const FeatureSet& data, std::span<const std::uint8_t> split, const LeakageOptions& o,
                                      LeakageReport& r)
{
    const std::size_t n = static_cast<std::size_t>(data.rows);
    std::vector<std::uint64_t> keys(n);
    std::vector<std::vector<std::uint32_t>> shingles(n);
    constexpr int hashes = kTextBands * kTextRowsPerBand;
    std::uint32_t mulA[hashes], xorC[hashes];
    std::mt19937_64 rng(0x1eaca9eULL);
    for (int k = 0; k < hashes; ++k) {
        mulA[k] = static_cast<std::uint32_t>(rng()) | 1u;
        xorC[k] = static_cast<std::uint32_t>(rng());
    }
    std::vector<std::uint64_t> bandKeys(n * kTextBands);
    parallelRows(data.rows, 64, [&](std::int64_t b, std::int64_t e) {
        std::uint32_t sig[hashes];
        std::vector<std::uint64_t> tokens;
        for (std::int64_t i = b; i < e; ++i) {
            tokenHashes(data.texts[static_cast<std::size_t>(i)], tokens);
            keys[static_cast<std::size_t>(i)] = textKey(tokens);
            shingles[i] = shinglesOf(tokens, o.shingleTokens);
            std::fill(std::begin(sig), std::end(sig), 0xffffffffu);
            minHashSignature(shingles[i].data(), shingles[i].size(), mulA, xorC, hashes, sig);
            for (int band = 0; band < kTextBands; ++band) {
                std::uint64_t h = static_cast<std::uint64_t>(band) * 0x9e3779b97f4a7c15ULL;
                for (int k = 0; k < kTextRowsPerBand; ++k)
                    h = mixBits(h ^ sig[band * kTextRowsPerBand + k]);
                bandKeys[static_cast<std::size_t>(i) * kTextBands + static_cast<std::size_t>(band)] = h;
            }
        }
    });
    const BandBuckets buckets(bandKeys, kTextBands, split);
    std::vector<std::uint64_t>().swap(bandKeys); // the buckets hold what is needed of them
    for (const auto& [lo, hi] : BandBuckets::queryRanges(split))
        verifyPairs(buckets.pairs(split, lo, hi), r,
                    [&](std::size_t q, std::size_t t) { return static_cast<float>(jaccard(shingles[q], shingles[t])); });
    return keys;
}

/// For a best cosine c (in steps of 0.001 from -1, each step taken at its bottom), the largest
/// number of the 384 projection signs in which a row more similar than c still differs from the
/// query, but for a chance of 1e-6: a sign differs with probability p = angle / pi, so that
/// number is at most Binomial(384, acos(c) / pi) with its upper tail cut at 1e-6 (exact, not a
/// normal approximation, which is too light-tailed for small p).
const std::array<int, 2001>& signDistanceLimits()
{
    static const std::array<int, 2001> limits = [] {
        constexpr int bits = kFeatureBands * kFeatureBitsPerBand;
        constexpr double tail = 1e-6;
        std::array<int, 2001> out{};
        for (std::size_t k = 0; k < out.size(); ++k) {
            const double c = std::clamp(-1.0 + 0.001 * static_cast<double>(k), -1.0, 1.0);
            const double p = std::clamp(std::acos(c) / 3.14159265358979323846, 0.0, 1.0);
            int limit = bits;
            if (p <= 0.0) {
                limit = 0;
            } else if (p < 1.0) {
                // Add P(X = x) from the top until the mass above the limit would pass `tail`.
                double above = 0;
                for (int x = bits; x >= 0; --x) {
                    const double logPmf = std::lgamma(bits + 1.0) - std::lgamma(x + 1.0) - std::lgamma(bits - x + 1.0) +
                                          x * std::log(p) + (bits - x) * std::log1p(-p);
                    above += std::exp(logPmf);
                    if (above > tail) {
                        limit = x;
                        break;
                    }
                }
            }
            out[k] = limit;
        }
        return out;
    }();
    return limits;
}

void nearByFeatures(const FeatureSet& data, std::span<const std::uint8_t> split, LeakageReport& r)
{
    const std::int64_t n = data.rows, d = data.dim;
    const float* x = data.features.data();
    // Embeddings are anisotropic (most raw pairs sit above cosine 0.9): centre them first.
    std::vector<float> mean(static_cast<std::size_t>(d));
    {
        std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < d; ++j)
                sum[static_cast<std::size_t>(j)] += x[i * d + j];
        for (std::int64_t j = 0; j < d; ++j)
            mean[static_cast<std::size_t>(j)] = static_cast<float>(sum[static_cast<std::size_t>(j)] / static_cast<double>(n));
    }
    std::vector<float> dotMean(static_cast<std::size_t>(n)); // x_i . mu
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(d), 1.0f, x, static_cast<int>(d),
                mean.data(), 1, 0.0f, dotMean.data(), 1);
    const double meanSq = dotProduct(mean.data(), mean.data(), d);
    std::vector<float> norm(static_cast<std::size_t>(n)); // |x_i - mu|
    // The random hyperplanes: d x bits standard normal values, the same for every run.
    constexpr int kProjected = kFeatureBands * kFeatureBitsPerBand;
    std::vector<float> projection(static_cast<std::size_t>(d * kProjected));
    std::uint64_t state = 0x5eed;
    for (std::size_t k = 0; k < projection.size(); k += 2) {
        double a, b;
        nextGaussianPair(state, a, b);
        projection[k] = static_cast<float>(a);
        if (k + 1 < projection.size())
            projection[k + 1] = static_cast<float>(b);
    }
    std::vector<std::uint64_t> bandKeys(static_cast<std::size_t>(n) * kFeatureBands);
    // Blocks of 2,048 rows (8 MB centred): no temporary the size of the matrix.
    const std::int64_t block = 2048;
    std::vector<float> centred(static_cast<std::size_t>(std::min(n, block) * d)),
        projected(static_cast<std::size_t>(std::min(n, block) * kProjected));
    for (std::int64_t s = 0; s < n; s += block) {
        const std::int64_t e = std::min(n, s + block);
        for (std::int64_t i = s; i < e; ++i) {
            float* c = centred.data() + (i - s) * d;
            double sq = 0;
            for (std::int64_t j = 0; j < d; ++j) {
                c[j] = x[i * d + j] - mean[static_cast<std::size_t>(j)];
                sq += static_cast<double>(c[j]) * c[j];
            }
            norm[static_cast<std::size_t>(i)] = static_cast<float>(std::sqrt(sq));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(e - s), kProjected, static_cast<int>(d),
                    1.0f, centred.data(), static_cast<int>(d), projection.data(), kProjected, 0.0f, projected.data(),
                    kProjected);
        for (std::int64_t i = s; i < e; ++i)
            for (int band = 0; band < kFeatureBands; ++band) {
                std::uint64_t key = static_cast<std::uint64_t>(band) << 32;
                for (int k = 0; k < kFeatureBitsPerBand; ++k)
                    key = (key << 1) | (projected[static_cast<std::size_t>((i - s) * kProjected + band * kFeatureBitsPerBand + k)] > 0 ? 1u : 0u);
                bandKeys[static_cast<std::size_t>(i) * kFeatureBands + static_cast<std::size_t>(band)] = key;
            }
    }
    const float* f = data.features.data();
    const float* dm = dotMean.data();
    // Each row's 384 projection signs, 6 words: their Hamming distance estimates the angle of a
    // pair (a sign differs with probability angle / pi), so the candidates of a query are
    // checked nearest first, and the rest dropped once a candidate that far could beat the best
    // cosine found only by a chance under 1e-6 (signDistanceLimits). On tiled Juliet (every row
    // with near copies, hundreds of candidates per query) the exact cosines were most of the
    // check's time.
    constexpr int kBits = kFeatureBands * kFeatureBitsPerBand, kWords = kBits / 64;
    std::vector<std::uint64_t> signs(static_cast<std::size_t>(n) * kWords, 0);
    for (std::int64_t i = 0; i < n; ++i)
        for (int band = 0; band < kFeatureBands; ++band)
            signs[static_cast<std::size_t>(i) * kWords + band / 4] |=
                (bandKeys[static_cast<std::size_t>(i) * kFeatureBands + static_cast<std::size_t>(band)] & 0xffffULL)
                << (16 * (band % 4));
    const std::array<int, 2001>& limits = signDistanceLimits();
    struct SignBound {
        const std::uint64_t* signs;
        const std::array<int, 2001>* limits;
        const float* rows;
        std::int64_t dim;
        void distances(std::size_t q, const std::uint32_t* ts, std::size_t n, int* out) const
        {
            hammingDistances(signs, kWords, q, ts, n, out);
        }
        void prefetch(std::size_t t) const
        {
            // The next candidate's row, 4 KB at 1,024 floats: its first lines, before the hardware
            // prefetcher follows the rest.
            const char* p = reinterpret_cast<const char*>(rows + t * static_cast<std::size_t>(dim));
            for (int line = 0; line < 8; ++line)
                __builtin_prefetch(p + 64 * line);
        }
        float floor; ///< the near-duplicate threshold: below it, the exact best is not needed
        int limit(float best) const
        {
            // Past the nearest candidate, only pairs that could reach the threshold (or beat a
            // best above it) are verified: whether a row is a near duplicate, and its similarity
            // when it is, stay exact; a row below the threshold reports the best of the
            // candidates its signs put nearest.
            const double k = std::floor((std::clamp(static_cast<double>(std::max(best, floor)), -1.0, 1.0) + 1.0) * 1000.0);
            return (*limits)[static_cast<std::size_t>(std::clamp(k, 0.0, 2000.0))];
        }
    };
    const BandBuckets buckets(bandKeys, kFeatureBands, split);
    std::vector<std::uint64_t>().swap(bandKeys); // the buckets hold what is needed of them
    for (const auto& [lo, hi] : BandBuckets::queryRanges(split))
        verifyPairs(buckets.pairs(split, lo, hi), r, [&](std::size_t q, std::size_t t) {
            const double dot = fastDot(f + q * d, f + t * d, d);
            const double centred = dot - dm[q] - dm[t] + meanSq; // (x_q - mu) . (x_t - mu)
            const double denom = static_cast<double>(norm[q]) * norm[t];
            return static_cast<float>(denom > 0 ? centred / denom : 0.0);
        }, SignBound{.signs = signs.data(), .limits = &limits, .rows = f, .dim = d, .floor = static_cast<float>(r.nearThreshold)});
}

std::uint64_t fingerprint(const FeatureSet& data, std::span<const std::uint8_t> split, const LeakageOptions& o)
{
    std::uint64_t h = fnv1a64(std::string_view(reinterpret_cast<const char*>(split.data()), split.size()));
    h = mixBits(h ^ reinterpret_cast<std::uintptr_t>(&data));
    h = mixBits(h ^ static_cast<std::uint64_t>(data.rows) ^ (static_cast<std::uint64_t>(data.dim) << 40));
    h = mixBits(h ^ fnv1a64(data.path));
    h = mixBits(h ^ static_cast<std::uint64_t>(o.method) ^ (static_cast<std::uint64_t>(o.shingleTokens) << 8));
    h = mixBits(h ^ static_cast<std::uint64_t>(o.jaccardThreshold * 1e9) ^ (static_cast<std::uint64_t>(o.cosineThreshold * 1e9) << 1));
    h = mixBits(h ^ (data.features.empty() ? 0 : reinterpret_cast<std::uintptr_t>(data.features.data())));
    return h;
}

// ---- the on-disk cache ----
constexpr char kCacheMagic[8] = {'H', 'B', 'L', 'E', 'A', 'K', '1', '\n'};

/// The cache file of a file's content, a split and the options: stable across processes.
std::string cachePath(const FeatureSet& data, std::span<const std::uint8_t> split, const LeakageOptions& o, bool byText)
{
    std::uint64_t h = fnv1a64(o.contentHash);
    h = mixBits(h ^ fnv1a64(std::string_view(reinterpret_cast<const char*>(split.data()), split.size())));
    h = mixBits(h ^ static_cast<std::uint64_t>(data.rows) ^ (static_cast<std::uint64_t>(data.dim) << 40));
    h = mixBits(h ^ (byText ? 1u : 2u) ^ (static_cast<std::uint64_t>(o.shingleTokens) << 8));
    h = mixBits(h ^ static_cast<std::uint64_t>(o.jaccardThreshold * 1e9) ^ (static_cast<std::uint64_t>(o.cosineThreshold * 1e9) << 1));
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.bin", static_cast<unsigned long long>(h));
    return (std::filesystem::path(o.cacheDir) / name).string();
}

template <class T>
void appendRaw(std::string& out, const T* values, std::size_t count)
{
    out.append(reinterpret_cast<const char*>(values), count * sizeof(T));
}

/// The report's figures, then its per-row arrays, as this machine lays them out.
std::string encodeReport(const LeakageReport& r)
{
    std::string out(kCacheMagic, sizeof kCacheMagic);
    const std::int64_t ints[] = {r.trainRows, r.validationRows, r.testRows, r.validationExactDuplicates,
                                 r.validationNearDuplicates, r.testExactDuplicates, r.testNearDuplicates,
                                 r.conflictingLabels, r.duplicateRows, static_cast<std::int64_t>(r.flags.size()),
                                 r.method == "text" ? 1 : 2};
    appendRaw(out, ints, std::size(ints));
    const double reals[] = {r.nearThreshold, r.seconds};
    appendRaw(out, reals, std::size(reals));
    appendRaw(out, r.flags.data(), r.flags.size());
    appendRaw(out, r.nearestTrain.data(), r.nearestTrain.size());
    appendRaw(out, r.similarity.data(), r.similarity.size());
    return out;
}

/// The report in a cache file, or nothing when the file is missing, short, foreign or for
/// another number of rows.
std::optional<LeakageReport> readCachedReport(const std::string& path, std::int64_t rows)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t n = static_cast<std::size_t>(rows);
    const std::size_t expected = sizeof kCacheMagic + 11 * 8 + 2 * 8 + n * (1 + 8 + 4);
    if (bytes.size() != expected || bytes.compare(0, sizeof kCacheMagic, kCacheMagic, sizeof kCacheMagic) != 0)
        return std::nullopt;
    const char* p = bytes.data() + sizeof kCacheMagic;
    std::int64_t ints[11];
    std::memcpy(ints, p, sizeof ints);
    p += sizeof ints;
    if (ints[9] != rows || (ints[10] != 1 && ints[10] != 2))
        return std::nullopt;
    LeakageReport r;
    r.measured = true;
    r.fromCache = true;
    r.trainRows = ints[0], r.validationRows = ints[1], r.testRows = ints[2];
    r.validationExactDuplicates = ints[3], r.validationNearDuplicates = ints[4];
    r.testExactDuplicates = ints[5], r.testNearDuplicates = ints[6];
    r.conflictingLabels = ints[7], r.duplicateRows = ints[8];
    r.method = ints[10] == 1 ? "text" : "features";
    double reals[2];
    std::memcpy(reals, p, sizeof reals);
    p += sizeof reals;
    r.nearThreshold = reals[0];
    r.seconds = reals[1];
    r.flags.assign(reinterpret_cast<const std::uint8_t*>(p), reinterpret_cast<const std::uint8_t*>(p) + n);
    p += n;
    r.nearestTrain.resize(n);
    std::memcpy(r.nearestTrain.data(), p, n * 8);
    p += n * 8;
    r.similarity.resize(n);
    std::memcpy(r.similarity.data(), p, n * 4);
    return r;
}

} // namespace

const char* toString(LeakageOptions::Method method)
{
    switch (method) {
    case LeakageOptions::Method::Auto: return "auto";
    case LeakageOptions::Method::Text: return "text";
    case LeakageOptions::Method::Features: return "features";
    case LeakageOptions::Method::Off: return "off";
    }
    return "auto";
}

LeakageOptions::Method parseLeakageMethod(const std::string& name)
{
    using M = LeakageOptions::Method;
    for (M m : {M::Auto, M::Text, M::Features, M::Off})
        if (name == toString(m))
            return m;
    throw Error("leakage method '" + name + "' is not one of auto, text, features, off");
}

LeakageReport measureLeakage(const FeatureSet& data, std::span<const std::uint8_t> split, const LeakageOptions& options)
{
    if (options.method == LeakageOptions::Method::Off)
        return {};
    if (split.size() != static_cast<std::size_t>(data.rows))
        throw Error(data.path + ": the split has " + std::to_string(split.size()) + " rows, the file " + std::to_string(data.rows));
    if (data.rows >= (1LL << 32))
        throw Error(data.path + ": too many rows for the leakage check");
    const bool hasText = data.texts.size() == static_cast<std::size_t>(data.rows);
    if (options.method == LeakageOptions::Method::Text && !hasText)
        throw Error(data.path + ": has no /text, so leakage cannot be measured on text (use features)");
    const bool byText = hasText && options.method != LeakageOptions::Method::Features;
    // The cosine of centred vectors says nothing in a handful of dimensions: with one, every
    // pair is at +1 or -1, and every test row was reported a near duplicate.
    constexpr std::int64_t kFewestDims = 8;
    if (!byText && data.dim < kFewestDims) {
        if (options.method == LeakageOptions::Method::Features)
            throw Error(data.path + ": " + std::to_string(data.dim) + (data.dim == 1 ? " feature" : " features") +
                        " per row are too few for the leakage check by feature similarity (it needs at least " +
                        std::to_string(kFewestDims) + "); use --leakage off, or text");
        return {};
    }

    // A sweep trains many heads on one split of one file: measure once.
    static std::mutex cacheMutex;
    static std::uint64_t cachedKey = 0;
    static LeakageReport cached;
    const std::uint64_t key = fingerprint(data, split, options);
    {
        std::lock_guard lock(cacheMutex);
        if (cached.measured && cachedKey == key)
            return cached;
    }
    // Another process (an earlier run, a sweep's other job) may have measured this file and split.
    const bool onDisk = !options.cacheDir.empty() && !options.contentHash.empty();
    const std::string diskPath = onDisk ? cachePath(data, split, options, byText) : std::string();
    if (onDisk)
        if (auto found = readCachedReport(diskPath, data.rows)) {
            std::lock_guard lock(cacheMutex);
            cached = *found;
            cachedKey = key;
            return *found;
        }

    const auto started = Clock::now();
    LeakageReport r;
    r.measured = true;
    r.method = byText ? "text" : "features";
    r.nearThreshold = byText ? options.jaccardThreshold : options.cosineThreshold;
    const std::size_t n = static_cast<std::size_t>(data.rows);
    r.flags.assign(n, 0);
    r.nearestTrain.assign(n, -1);
    r.similarity.assign(n, std::numeric_limits<float>::quiet_NaN());

    // The text check lexes each text once, for its exact key and its shingles.
    const std::vector<std::uint64_t> keys = byText ? nearByText(data, split, options, r) : exactKeys(data, false);
    if (!byText)
        nearByFeatures(data, split, r);
    const ExactGroups groups = groupExact(keys, data.labels);
    r.duplicateRows = groups.duplicateRows;
    r.conflictingLabels = groups.conflictingRows;
    std::vector<std::uint64_t> trainKeys;
    for (std::size_t i = 0; i < n; ++i) {
        if (groups.conflicting[i])
            r.flags[i] |= kConflictingLabel;
        if (split[i] == kTrain)
            trainKeys.push_back(keys[i]);
    }
    std::sort(trainKeys.begin(), trainKeys.end());

    for (std::size_t i = 0; i < n; ++i) {
        const auto s = split[i];
        if (s == kTrain) {
            ++r.trainRows;
            continue;
        }
        const bool exact = std::binary_search(trainKeys.begin(), trainKeys.end(), keys[i]);
        if (exact) {
            r.similarity[i] = 1.0f; // the exact twin may not be the candidate kept: say so
            r.flags[i] |= kExactDuplicate;
        }
        const bool near = exact || (r.nearestTrain[i] >= 0 && r.similarity[i] >= r.nearThreshold);
        if (near)
            r.flags[i] |= kNearDuplicate;
        if (s == kValidation) {
            ++r.validationRows;
            r.validationExactDuplicates += exact;
            r.validationNearDuplicates += near;
        } else {
            ++r.testRows;
            r.testExactDuplicates += exact;
            r.testNearDuplicates += near;
        }
    }
    // An exact twin found by key: point the nearest training row at it.
    if (r.testExactDuplicates + r.validationExactDuplicates > 0) {
        std::vector<std::pair<std::uint64_t, std::int64_t>> trainByKey;
        for (std::size_t i = 0; i < n; ++i)
            if (split[i] == kTrain)
                trainByKey.emplace_back(keys[i], static_cast<std::int64_t>(i));
        std::sort(trainByKey.begin(), trainByKey.end());
        for (std::size_t i = 0; i < n; ++i)
            if (r.flags[i] & kExactDuplicate) {
                const auto it = std::lower_bound(trainByKey.begin(), trainByKey.end(), std::make_pair(keys[i], std::int64_t{-1}));
                r.nearestTrain[i] = it->second;
            }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (onDisk) {
        // Best effort: a cache that cannot be written (read-only workspace, full disk) only
        // means the next run measures again.
        try {
            std::filesystem::create_directories(options.cacheDir);
            writeFileAtomically(diskPath, encodeReport(r));
        } catch (const std::exception&) {
        }
    }
    std::lock_guard lock(cacheMutex);
    cached = r;
    cachedKey = key;
    return r;
}

DuplicateSummary findDuplicates(const FeatureSet& data)
{
    DuplicateSummary s;
    s.byText = data.texts.size() == static_cast<std::size_t>(data.rows);
    const auto keys = exactKeys(data, s.byText);
    const ExactGroups g = groupExact(keys, data.labels);
    s.duplicateRows = g.duplicateRows;
    s.conflictingLabels = g.conflictingRows;
    return s;
}

} // namespace headbench
