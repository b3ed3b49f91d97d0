#include "Compare.h"

#include "Error.h"
#include "Metrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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

std::vector<SpecDifference> diffSpecs(const std::vector<HeadSpec>& specs)
{
    std::vector<SpecDifference> out;
    if (specs.size() < 2)
        return out;
    std::vector<nlohmann::ordered_json> objects;
    for (const auto& s : specs)
        objects.push_back(nlohmann::ordered_json::parse(toJson(s)));
    for (const auto& [field, firstValue] : objects.front().items()) {
        SpecDifference d;
        d.field = field;
        bool differs = false;
        for (const auto& o : objects) {
            const auto value = o.contains(field) ? o.at(field) : nlohmann::ordered_json();
            d.values.push_back(value.dump());
            differs = differs || value != firstValue;
        }
        if (differs)
            out.push_back(std::move(d));
    }
    return out;
}

PairedOutcomes pairOutcomes(const RunPredictions& a, const RunPredictions& b, std::uint8_t split)
{
    if (a.ids != b.ids || a.labels != b.labels)
        throw Error("the runs were made on different samples (their ids or labels differ)");
    if (a.split != b.split)
        throw Error("the runs split the samples differently (different seeds or feature files)");
    PairedOutcomes out;
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        if (a.split[i] != split)
            continue;
        out.rows.push_back(static_cast<std::int64_t>(i));
        out.firstCorrect.push_back(predictClass(a.probabilities.data() + i * a.numClasses, a.numClasses) == a.labels[i]);
        out.secondCorrect.push_back(predictClass(b.probabilities.data() + i * b.numClasses, b.numClasses) == b.labels[i]);
    }
    return out;
}

} // namespace headbench
