#include <headbench/eval/Compare.h>

#include <headbench/core/Error.h>
#include <headbench/eval/Metrics.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <cmath>

namespace headbench {
namespace {

/// log of the binomial coefficient C(n, k).
double logChoose(std::int64_t n, std::int64_t k)
{
    return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
           std::lgamma(static_cast<double>(n - k) + 1);
}

} // namespace

McNemarResult mcnemar(std::span<const std::uint8_t> first, std::span<const std::uint8_t> second, std::int64_t exactBelow)
{
    McNemarResult r;
    const std::size_t n = std::min(first.size(), second.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (first[i] && second[i])
            ++r.bothCorrect;
        else if (first[i])
            ++r.onlyFirstCorrect;
        else if (second[i])
            ++r.onlySecondCorrect;
        else
            ++r.bothWrong;
    }
    const std::int64_t b = r.onlyFirstCorrect, c = r.onlySecondCorrect, discordant = b + c;
    if (discordant == 0) {
        r.exact = true;
        r.statistic = 0;
        r.pValue = 1;
        return r;
    }
    if (discordant < exactBelow) {
        // Two-sided exact test: twice the lower tail of Binomial(b + c, 1/2), capped at 1.
        r.exact = true;
        const std::int64_t k = std::min(b, c);
        double tail = 0;
        for (std::int64_t i = 0; i <= k; ++i)
            tail += std::exp(logChoose(discordant, i) - static_cast<double>(discordant) * std::log(2.0));
        r.statistic = static_cast<double>(k);
        r.pValue = std::min(1.0, 2 * tail);
    } else {
        const double d = std::abs(static_cast<double>(b - c)) - 1.0;
        r.statistic = d * d / static_cast<double>(discordant);
        // Chi-squared with one degree of freedom: P(X > s) = erfc(sqrt(s / 2)).
        r.pValue = std::erfc(std::sqrt(r.statistic / 2.0));
    }
    return r;
}

bool sameSamples(const Predictions& a, const Predictions& b)
{
    if (a.rows() != b.rows() || a.labels.size() != a.rows() || b.labels.size() != b.rows() ||
        a.split.size() != a.rows() || b.split.size() != b.rows())
        return false;
    if (a.ids == b.ids)
        return a.labels == b.labels && a.split == b.split;
    std::unordered_map<std::string_view, std::size_t> rowOfId;
    rowOfId.reserve(b.rows());
    for (std::size_t i = 0; i < b.rows(); ++i)
        if (!rowOfId.emplace(b.ids[i], i).second)
            return false;
    for (std::size_t i = 0; i < a.rows(); ++i) {
        const auto it = rowOfId.find(a.ids[i]);
        if (it == rowOfId.end() || a.labels[i] != b.labels[it->second] || a.split[i] != b.split[it->second])
            return false;
    }
    return true;
}

PairedOutcomes pairOutcomes(const Predictions& a, const Predictions& b, std::uint8_t split, double firstThreshold,
                            double secondThreshold)
{
    if (a.ids.size() != b.ids.size())
        throw Error("the runs were made on different samples (their ids or labels differ)");
    if (a.numClasses != b.numClasses)
        throw Error("the runs predict different numbers of classes");
    // Rows of the second run by id; the common case (same file, same order) needs no lookup.
    const bool sameOrder = a.ids == b.ids;
    std::unordered_map<std::string_view, std::int64_t> rowOfId;
    if (!sameOrder) {
        rowOfId.reserve(b.ids.size());
        for (std::size_t i = 0; i < b.ids.size(); ++i)
            if (!rowOfId.emplace(b.ids[i], static_cast<std::int64_t>(i)).second)
                throw Error("the second run has the sample id '" + b.ids[i] + "' twice, so samples cannot be matched");
    }
    std::vector<std::int64_t> partner(a.ids.size());
    for (std::size_t i = 0; i < a.ids.size(); ++i) {
        if (sameOrder) {
            partner[i] = static_cast<std::int64_t>(i);
        } else {
            const auto it = rowOfId.find(a.ids[i]);
            if (it == rowOfId.end())
                throw Error("the runs were made on different samples (their ids or labels differ)");
            partner[i] = it->second;
        }
        const auto j = static_cast<std::size_t>(partner[i]);
        if (a.labels[i] != b.labels[j])
            throw Error("the runs were made on different samples (their ids or labels differ)");
        if (a.split[i] != b.split[j])
            throw Error("the runs split the samples differently (different seeds or feature files)");
    }
    if (!sameOrder) { // every id of the first run found a row; the counts match, so ids must be distinct too
        std::vector<std::uint8_t> used(b.ids.size(), 0);
        for (auto j : partner)
            if (used[static_cast<std::size_t>(j)]++)
                throw Error("the first run has a sample id twice, so samples cannot be matched");
    }
    PairedOutcomes out;
    const int k = a.numClasses;
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        if (a.split[i] != split)
            continue;
        const auto j = static_cast<std::size_t>(partner[i]);
        out.rows.push_back(static_cast<std::int64_t>(i));
        out.secondRows.push_back(partner[i]);
        out.firstPredicted.push_back(predictClass(a.probabilities.data() + i * k, k, firstThreshold));
        out.secondPredicted.push_back(predictClass(b.probabilities.data() + j * k, k, secondThreshold));
        out.firstCorrect.push_back(out.firstPredicted.back() == a.labels[i]);
        out.secondCorrect.push_back(out.secondPredicted.back() == b.labels[j]);
    }
    return out;
}

PairedDifferences pairedDifferences(const Predictions& a, const Predictions& b, std::uint8_t split, double firstThreshold,
                                    double secondThreshold, const BootstrapOptions& options)
{
    const PairedOutcomes paired = pairOutcomes(a, b, split, firstThreshold, secondThreshold);
    const int k = a.numClasses;
    std::vector<std::int32_t> labels;
    std::vector<float> first, second;
    labels.reserve(paired.rows.size());
    for (std::size_t i = 0; i < paired.rows.size(); ++i) {
        const auto ra = static_cast<std::size_t>(paired.rows[i]), rb = static_cast<std::size_t>(paired.secondRows[i]);
        labels.push_back(a.labels[ra]);
        first.insert(first.end(), a.probabilities.begin() + static_cast<std::ptrdiff_t>(ra * k),
                     a.probabilities.begin() + static_cast<std::ptrdiff_t>((ra + 1) * k));
        second.insert(second.end(), b.probabilities.begin() + static_cast<std::ptrdiff_t>(rb * k),
                      b.probabilities.begin() + static_cast<std::ptrdiff_t>((rb + 1) * k));
    }
    return pairedBootstrap(labels, first, second, k, firstThreshold, secondThreshold, options);
}

} // namespace headbench
