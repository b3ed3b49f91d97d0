#include "Split.h"

#include "FeatureFile.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace headbench {

std::vector<std::uint8_t> stratifiedSplit(std::span<const std::int32_t> labels, int numClasses,
                                          std::uint64_t seed, double trainFraction, double validationFraction)
{
    std::vector<std::vector<std::size_t>> byClass(static_cast<std::size_t>(std::max(numClasses, 1)));
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= 0 && labels[i] < numClasses)
            byClass[static_cast<std::size_t>(labels[i])].push_back(i);

    std::vector<std::uint8_t> split(labels.size(), kTrain);
    std::mt19937_64 rng(seed);
    for (auto& members : byClass) {
        // A hand-rolled Fisher-Yates: std::shuffle's draws are not specified across
        // standard libraries, and the split must be the same everywhere for a seed.
        for (std::size_t i = members.size(); i > 1; --i)
            std::swap(members[i - 1], members[rng() % i]);
        const auto n = static_cast<double>(members.size());
        auto nVal = static_cast<std::size_t>(std::llround(n * validationFraction));
        auto nTest = static_cast<std::size_t>(std::llround(n * (1.0 - trainFraction - validationFraction)));
        if (members.size() >= 3) {
            nVal = std::max<std::size_t>(nVal, 1);
            nTest = std::max<std::size_t>(nTest, 1);
        }
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i < nVal)
                split[members[i]] = kValidation;
            else if (i < nVal + nTest)
                split[members[i]] = kTest;
        }
    }
    return split;
}

} // namespace headbench
