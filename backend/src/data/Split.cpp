#include <headbench/data/Split.h>

#include <headbench/core/Error.h>
#include <headbench/data/FeatureFile.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

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

GroupTable tabulateGroups(std::span<const std::int32_t> labels, std::span<const std::string> groups, int numClasses,
                          std::span<const std::uint8_t> inPool)
{
    const std::size_t k = static_cast<std::size_t>(std::max(numClasses, 1));
    GroupTable t;
    t.groupOf.assign(labels.size(), 0);
    std::unordered_map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!inPool.empty() && !inPool[i])
            continue;
        const auto [it, fresh] = index.emplace(groups[i], t.counts.size());
        if (fresh)
            t.counts.emplace_back(k, 0);
        t.groupOf[i] = it->second;
        if (labels[i] >= 0 && static_cast<std::size_t>(labels[i]) < k)
            ++t.counts[it->second][static_cast<std::size_t>(labels[i])];
    }
    return t;
}

std::vector<std::uint8_t> groupSplit(std::span<const std::int32_t> labels, std::span<const std::string> groups,
                                     int numClasses, std::uint64_t seed, double trainFraction, double validationFraction)
{
    if (groups.size() != labels.size())
        throw Error("group split: " + std::to_string(groups.size()) + " groups for " + std::to_string(labels.size()) + " rows");
    const std::size_t k = static_cast<std::size_t>(std::max(numClasses, 1));
    const GroupTable table = tabulateGroups(labels, groups, numClasses);
    const auto& counts = table.counts;
    const auto& groupOf = table.groupOf;
    const std::size_t nGroups = counts.size();
    if (nGroups < 3)
        throw Error("a split by group needs at least three groups; the file has " + std::to_string(nGroups));

    // Seeded order (the same hand-rolled Fisher-Yates as stratifiedSplit), then largest first.
    std::vector<std::size_t> order(nGroups);
    for (std::size_t g = 0; g < nGroups; ++g)
        order[g] = g;
    std::mt19937_64 rng(seed);
    for (std::size_t i = nGroups; i > 1; --i)
        std::swap(order[i - 1], order[rng() % i]);
    std::vector<std::int64_t> size(nGroups, 0);
    for (std::size_t g = 0; g < nGroups; ++g)
        for (auto c : counts[g])
            size[g] += c;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return size[a] > size[b]; });

    // Target rows per split and class; each group goes where its classes are most lacking
    // (the smallest increase of the squared distance to the targets).
    std::vector<double> classTotal(k, 0);
    for (const auto& c : counts)
        for (std::size_t j = 0; j < k; ++j)
            classTotal[j] += static_cast<double>(c[j]);
    const double fraction[3] = {trainFraction, validationFraction, 1.0 - trainFraction - validationFraction};
    std::vector<std::vector<double>> have(3, std::vector<double>(k, 0.0));
    std::vector<std::uint8_t> splitOf(nGroups, kTrain);
    std::size_t groupsIn[3] = {0, 0, 0};
    for (std::size_t g : order) {
        int best = 0;
        double bestCost = std::numeric_limits<double>::infinity();
        for (int s = 0; s < 3; ++s) {
            if (fraction[s] <= 0)
                continue;
            double cost = 0;
            for (std::size_t j = 0; j < k; ++j) {
                const double add = static_cast<double>(counts[g][j]);
                const double gap = have[static_cast<std::size_t>(s)][j] - fraction[s] * classTotal[j];
                cost += add * (2 * gap + add); // (gap + add)^2 - gap^2
            }
            if (cost < bestCost) {
                bestCost = cost;
                best = s;
            }
        }
        splitOf[g] = static_cast<std::uint8_t>(best);
        ++groupsIn[best];
        for (std::size_t j = 0; j < k; ++j)
            have[static_cast<std::size_t>(best)][j] += static_cast<double>(counts[g][j]);
    }
    // Few, large groups can leave validation or test empty: give each the smallest training group.
    for (int s = 1; s < 3; ++s) {
        if (groupsIn[s] > 0 || fraction[s] <= 0)
            continue;
        for (auto it = order.rbegin(); it != order.rend(); ++it)
            if (splitOf[*it] == kTrain && groupsIn[kTrain] > 1) {
                splitOf[*it] = static_cast<std::uint8_t>(s);
                --groupsIn[kTrain];
                ++groupsIn[s];
                break;
            }
    }
    std::vector<std::uint8_t> split(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i)
        split[i] = splitOf[groupOf[i]];
    return split;
}

const char* toString(SplitMode mode)
{
    switch (mode) {
    case SplitMode::Auto: return "auto";
    case SplitMode::File: return "file";
    case SplitMode::Random: return "random";
    case SplitMode::Group: return "group";
    }
    return "auto";
}

SplitMode parseSplitMode(std::string_view name)
{
    for (SplitMode m : {SplitMode::Auto, SplitMode::File, SplitMode::Random, SplitMode::Group})
        if (name == toString(m))
            return m;
    throw Error("split '" + std::string(name) + "' is not one of auto, file, random, group");
}

SplitChoice chooseSplit(const FeatureSet& data, SplitMode mode, std::uint64_t seed)
{
    if (mode == SplitMode::Auto)
        mode = !data.split.empty() ? SplitMode::File : !data.groups.empty() ? SplitMode::Group : SplitMode::Random;
    switch (mode) {
    case SplitMode::File: {
        if (data.split.empty())
            throw Error(data.path + ": has no /split of its own (use the random or group split)");
        if (std::find(data.split.begin(), data.split.end(), kValidation) != data.split.end())
            return {data.split, "file"};
        // Many datasets ship train and test only: validation is carved out of the training rows
        // (a ninth of them, about 10% of all rows; by group when there are groups), test untouched.
        std::vector<std::size_t> rows;
        std::vector<std::int32_t> labels;
        std::vector<std::string> groups;
        for (std::size_t i = 0; i < data.split.size(); ++i)
            if (data.split[i] == kTrain) {
                rows.push_back(i);
                labels.push_back(data.labels[i]);
                if (!data.groups.empty())
                    groups.push_back(data.groups[i]);
            }
        std::vector<std::uint8_t> inner;
        bool byGroup = false;
        if (!groups.empty()) {
            try {
                inner = groupSplit(labels, groups, data.numClasses(), seed, 8.0 / 9.0, 1.0 / 9.0);
                byGroup = true;
            } catch (const Error&) { // fewer than three groups among the training rows
            }
        }
        if (!byGroup)
            inner = stratifiedSplit(labels, data.numClasses(), seed, 8.0 / 9.0, 1.0 / 9.0);
        std::vector<std::uint8_t> split = data.split;
        for (std::size_t k = 0; k < rows.size(); ++k)
            split[rows[k]] = inner[k] == kValidation ? kValidation : kTrain;
        return {std::move(split), byGroup ? "file, validation by group from train" : "file, validation from train"};
    }
    case SplitMode::Group:
        if (data.groups.empty())
            throw Error(data.path + ": has no /groups, so it cannot be split by group (extract with --group-field, or import with a Group field)");
        try {
            return {groupSplit(data.labels, data.groups, data.numClasses(), seed), "group"};
        } catch (const Error& e) { // the file it is about, in the message
            throw Error(data.path + ": " + e.what());
        }
    default:
        return {stratifiedSplit(data.labels, data.numClasses(), seed), "random"};
    }
}

std::vector<std::int64_t> trainSubset(std::span<const std::int32_t> labels, std::span<const std::uint8_t> split,
                                      int numClasses, double fraction, std::uint64_t seed)
{
    if (!(fraction > 0.0 && fraction <= 1.0))
        throw Error("train fraction must be in (0, 1], got " + std::to_string(fraction));
    // Rows with a label outside [0, numClasses) form one extra stratum of their own.
    const std::size_t strata = static_cast<std::size_t>(std::max(numClasses, 0)) + 1;
    std::vector<std::vector<std::int64_t>> byClass(strata);
    for (std::size_t i = 0; i < labels.size() && i < split.size(); ++i)
        if (split[i] == kTrain) {
            const auto c = labels[i] >= 0 && labels[i] < numClasses ? static_cast<std::size_t>(labels[i]) : strata - 1;
            byClass[c].push_back(static_cast<std::int64_t>(i));
        }
    std::vector<std::int64_t> rows;
    for (std::size_t c = 0; c < strata; ++c) {
        auto& members = byClass[c];
        if (members.empty())
            continue;
        // One permutation per class, independent of the fraction: prefixes are nested. The
        // engine's raw output (Fisher-Yates by hand) keeps it the same on every platform.
        std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + c + 1);
        for (std::size_t i = members.size() - 1; i > 0; --i)
            std::swap(members[i], members[static_cast<std::size_t>(rng() % (i + 1))]);
        const auto n = static_cast<double>(members.size());
        const auto keep = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(fraction * n)), 1, members.size());
        rows.insert(rows.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(keep));
    }
    std::sort(rows.begin(), rows.end());
    return rows;
}

} // namespace headbench
