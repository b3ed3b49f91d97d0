#include <headbench/train/CrossValidation.h>

#include <headbench/core/Hash.h>

#include <headbench/data/Split.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/CsvReader.h>
#include <headbench/core/Error.h>
#include <headbench/eval/Bootstrap.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <unordered_map>

namespace headbench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The same hand-rolled Fisher-Yates as Split.cpp: std::shuffle's draws differ between
/// standard libraries, and folds must be the same everywhere for a seed.
template <class T> void seededShuffle(std::vector<T>& v, std::mt19937_64& rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[rng() % i]);
}

std::vector<int> stratifiedFolds(std::span<const std::int32_t> labels, std::span<const std::uint8_t> inPool,
                                 int numClasses, int K, std::uint64_t seed)
{
    std::vector<std::vector<std::size_t>> byClass(static_cast<std::size_t>(std::max(numClasses, 1)));
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (inPool[i] && labels[i] >= 0 && labels[i] < numClasses)
            byClass[static_cast<std::size_t>(labels[i])].push_back(i);
    std::vector<int> fold(labels.size(), -1);
    std::mt19937_64 rng(seed);
    // Dealt in turn across classes (the next class starts where the last stopped), so fold
    // sizes differ by at most one overall and by at most one within each class.
    std::size_t next = 0;
    for (auto& members : byClass) {
        seededShuffle(members, rng);
        for (std::size_t r : members)
            fold[r] = static_cast<int>(next++ % static_cast<std::size_t>(K));
    }
    return fold;
}

std::vector<int> groupFolds(std::span<const std::int32_t> labels, std::span<const std::string> groups,
                            std::span<const std::uint8_t> inPool, int numClasses, int K, std::uint64_t seed)
{
    const std::size_t k = static_cast<std::size_t>(std::max(numClasses, 1));
    const GroupTable table = tabulateGroups(labels, groups, numClasses, inPool);
    const auto& counts = table.counts;
    const auto& groupOf = table.groupOf;
    const std::size_t nGroups = counts.size();
    if (nGroups < static_cast<std::size_t>(K))
        throw Error(fmt::format("{}-fold cross-validation by group needs at least {} groups among the training and "
                                "validation rows; there are {}",
                                K, K, nGroups));
    std::vector<std::size_t> order(nGroups);
    for (std::size_t g = 0; g < nGroups; ++g)
        order[g] = g;
    std::mt19937_64 rng(seed);
    seededShuffle(order, rng);
    std::vector<std::int64_t> size(nGroups, 0);
    std::vector<double> classTotal(k, 0);
    for (std::size_t g = 0; g < nGroups; ++g)
        for (std::size_t j = 0; j < k; ++j) {
            size[g] += counts[g][j];
            classTotal[j] += static_cast<double>(counts[g][j]);
        }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return size[a] > size[b]; });

    // Each group goes to the fold where it least increases the squared distance of the folds'
    // class counts to an equal share; an empty fold takes a group first, so none stays empty.
    std::vector<std::vector<double>> have(static_cast<std::size_t>(K), std::vector<double>(k, 0.0));
    std::vector<std::size_t> groupsIn(static_cast<std::size_t>(K), 0);
    std::vector<int> foldOf(nGroups, 0);
    std::size_t remaining = nGroups;
    for (std::size_t g : order) {
        const auto empty = static_cast<std::size_t>(std::count(groupsIn.begin(), groupsIn.end(), std::size_t{0}));
        const bool mustFillEmpty = empty > 0 && remaining <= empty;
        int best = -1;
        double bestCost = std::numeric_limits<double>::infinity();
        for (int f = 0; f < K; ++f) {
            if (mustFillEmpty && groupsIn[static_cast<std::size_t>(f)] > 0)
                continue;
            double cost = 0;
            for (std::size_t j = 0; j < k; ++j) {
                const double add = static_cast<double>(counts[g][j]);
                const double gap = have[static_cast<std::size_t>(f)][j] - classTotal[j] / K;
                cost += add * (2 * gap + add);
            }
            if (cost < bestCost) {
                bestCost = cost;
                best = f;
            }
        }
        foldOf[g] = best;
        ++groupsIn[static_cast<std::size_t>(best)];
        --remaining;
        for (std::size_t j = 0; j < k; ++j)
            have[static_cast<std::size_t>(best)][j] += static_cast<double>(counts[g][j]);
    }
    std::vector<int> fold(labels.size(), -1);
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (inPool[i])
            fold[i] = foldOf[groupOf[i]];
    return fold;
}

/// Mean and sample standard deviation of one metric over folds.
void spread(const std::vector<Metrics>& folds, double Metrics::*field, Metrics& mean, Metrics& sd)
{
    const double n = static_cast<double>(folds.size());
    double sum = 0;
    for (const auto& m : folds)
        sum += m.*field;
    const double mu = sum / n;
    double ss = 0;
    for (const auto& m : folds)
        ss += (m.*field - mu) * (m.*field - mu);
    mean.*field = mu;
    sd.*field = folds.size() > 1 ? std::sqrt(ss / (n - 1)) : std::numeric_limits<double>::quiet_NaN();
}

} // namespace

std::vector<int> assignFolds(std::span<const std::int32_t> labels, std::span<const std::string> groups,
                             std::span<const std::uint8_t> inPool, int numClasses, int K, std::uint64_t seed)
{
    if (K < 2)
        throw Error(fmt::format("cross-validation needs at least 2 folds, not {}", K));
    if (inPool.size() != labels.size() || (!groups.empty() && groups.size() != labels.size()))
        throw Error("cross-validation: labels, groups and pool differ in length");
    const auto pooled = std::count_if(inPool.begin(), inPool.end(), [](std::uint8_t v) { return v != 0; });
    if (pooled < K)
        throw Error(fmt::format("{}-fold cross-validation needs at least {} training and validation rows; there are {}", K,
                                K, pooled));
    return groups.empty() ? stratifiedFolds(labels, inPool, numClasses, K, seed)
                          : groupFolds(labels, groups, inPool, numClasses, K, seed);
}

std::string FoldPlan::fingerprint() const
{
    return "xxh3:" + hashTextHex(std::string_view(reinterpret_cast<const char*>(fold.data()), fold.size() * sizeof(int)));
}

FoldPlan planFolds(const FeatureSet& data, const HeadSpec& spec, int K, const TrainOptions& options)
{
    FoldPlan plan;
    plan.k = K;
    plan.seed = spec.seed;
    SplitChoice choice = chooseSplit(data, options.split, spec.seed);
    plan.splitSource = choice.source;
    std::vector<std::uint8_t> inPool(static_cast<std::size_t>(data.rows));
    for (std::size_t i = 0; i < inPool.size(); ++i)
        inPool[i] = choice.split[i] != kTest;
    plan.byGroup = !data.groups.empty();
    plan.fold = assignFolds(data.labels, data.groups, inPool, data.numClasses(), K, spec.seed);
    plan.pooledRows = std::count(inPool.begin(), inPool.end(), std::uint8_t{1});
    return plan;
}

FoldResult trainFold(const FeatureSet& data, const HeadSpec& spec, const FoldPlan& plan, int f, TrainingObserver* observer)
{
    const auto started = std::chrono::steady_clock::now();
    // The fold trains on the file as it is, with its split given (no copy of the features); the
    // leakage check is off.
    TrainOptions foldOptions;
    foldOptions.leakage.method = LeakageOptions::Method::Off;
    foldOptions.givenSplit.assign(static_cast<std::size_t>(data.rows), kTest);
    for (std::size_t i = 0; i < plan.fold.size(); ++i)
        if (plan.fold[i] >= 0)
            foldOptions.givenSplit[i] = plan.fold[i] == f ? kValidation : kTrain;
    if (observer)
        observer->onFold(f, plan.k);
    TrainResult r = trainHead(data, spec, observer, foldOptions);
    FoldResult out;
    out.fold = f;
    if (r.cancelled) {
        out.cancelled = true;
        return out;
    }
    const int numClasses = data.numClasses();
    for (std::size_t i = 0; i < plan.fold.size(); ++i)
        if (plan.fold[i] == f) {
            out.rowIndex.push_back(static_cast<std::int64_t>(i));
            out.probabilities.insert(out.probabilities.end(), r.probabilities.begin() + static_cast<std::ptrdiff_t>(i * numClasses),
                                     r.probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * numClasses));
        }
    out.rows = static_cast<std::int64_t>(out.rowIndex.size());
    out.metrics = std::move(r.validation);
    out.bestEpoch = r.bestEpoch;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
}

CrossValidationResult assembleFolds(const FoldPlan& plan, std::vector<FoldResult> folds, std::int64_t rows, int numClasses)
{
    std::sort(folds.begin(), folds.end(), [](const FoldResult& a, const FoldResult& b) { return a.fold < b.fold; });
    for (int f = 0; f < plan.k; ++f)
        if (static_cast<int>(folds.size()) <= f || folds[static_cast<std::size_t>(f)].fold != f)
            throw Error(fmt::format("cross-validation: fold {} of {} is missing or given twice", f + 1, plan.k));
    if (folds.size() != static_cast<std::size_t>(plan.k))
        throw Error(fmt::format("cross-validation: {} fold results for {} folds", folds.size(), plan.k));
    CrossValidationResult cv;
    cv.k = plan.k;
    cv.seed = plan.seed;
    cv.byGroup = plan.byGroup;
    cv.splitSource = plan.splitSource;
    cv.fold = plan.fold;
    cv.outOfFold.assign(static_cast<std::size_t>(rows * numClasses), std::numeric_limits<float>::quiet_NaN());
    for (FoldResult& r : folds) {
        for (std::size_t j = 0; j < r.rowIndex.size(); ++j)
            std::copy_n(r.probabilities.begin() + static_cast<std::ptrdiff_t>(j * numClasses), numClasses,
                        cv.outOfFold.begin() + static_cast<std::ptrdiff_t>(r.rowIndex[j] * numClasses));
        cv.foldRows.push_back(r.rows);
        cv.foldEpochs.push_back(r.bestEpoch);
        cv.seconds += r.seconds;
        cv.folds.push_back(std::move(r.metrics));
    }
    for (auto field : {&Metrics::accuracy, &Metrics::precision, &Metrics::recall, &Metrics::f1, &Metrics::rocAuc,
                       &Metrics::prAuc, &Metrics::ece, &Metrics::loss})
        spread(cv.folds, field, cv.mean, cv.sd);
    cv.mean.count = cv.sd.count = plan.pooledRows;
    return cv;
}

CrossValidationResult crossValidate(const FeatureSet& data, const HeadSpec& spec, int K, TrainingObserver* observer,
                                    const TrainOptions& options)
{
    const auto started = std::chrono::steady_clock::now();
    const FoldPlan plan = planFolds(data, spec, K, options);
    std::vector<FoldResult> folds;
    for (int f = 0; f < K; ++f) {
        FoldResult r = trainFold(data, spec, plan, f, observer);
        if (r.cancelled) {
            // What a cancelled cross-validation reports: the folds done, no summary.
            CrossValidationResult cv;
            cv.k = K;
            cv.seed = plan.seed;
            cv.byGroup = plan.byGroup;
            cv.splitSource = plan.splitSource;
            cv.fold = plan.fold;
            for (const FoldResult& done : folds)
                cv.folds.push_back(done.metrics);
            cv.cancelled = true;
            return cv;
        }
        folds.push_back(std::move(r));
    }
    CrossValidationResult cv = assembleFolds(plan, std::move(folds), data.rows, data.numClasses());
    cv.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return cv;
}

} // namespace headbench
