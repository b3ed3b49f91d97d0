// The converged linear probe's spec fields and training behaviour. Its accuracy against an
// independent reference (scikit-learn's LogisticRegression) is tests/linear_probe_vs_sklearn.py.
#include <headbench/core/Error.h>
#include <headbench/data/Split.h>
#include <headbench/train/HeadSpec.h>
#include "TestUtil.h"
#include <headbench/train/Trainer.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

using namespace headbench;

namespace {

HeadSpec probe()
{
    HeadSpec s;
    s.hidden = {};
    return s;
}

/// Features far from zero and of very different scales, as raw backbone outputs can be.
FeatureSet shiftedBlobs()
{
    FeatureSet data = test::blobs(800, 12, 3, 5, 1.2);
    for (std::int64_t r = 0; r < data.rows; ++r)
        for (std::int64_t c = 0; c < data.dim; ++c) {
            float& v = data.features[static_cast<std::size_t>(r * data.dim + c)];
            v = v * static_cast<float>(1 + 20 * c) + 50.0f;
        }
    return data;
}

double maxDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
    return m;
}

} // namespace

TEST(LinearProbe, DefaultsResolveToLbfgsWithAutoPenaltyAndStandardisation)
{
    const HeadSpec s = probe();
    EXPECT_EQ(resolvedOptimizer(s), Optimizer::Lbfgs);
    EXPECT_TRUE(standardizes(s));
    EXPECT_FALSE(s.l2.has_value());
    const HeadSpec mlp; // depth 1 by default
    EXPECT_EQ(resolvedOptimizer(mlp), Optimizer::AdamW);
    EXPECT_FALSE(standardizes(mlp));
}

TEST(LinearProbe, OldSpecsWithoutTheNewFieldsKeepTheirOptimizer)
{
    // A spec.json written before L-BFGS existed names its optimizer and has no l2/standardize.
    const HeadSpec old = headSpecFromJson(R"({"hidden": [], "optimizer": "adamw", "lr": 0.001, "epochs": 20})");
    EXPECT_EQ(resolvedOptimizer(old), Optimizer::AdamW);
    EXPECT_FALSE(standardizes(old));
    EXPECT_EQ(resolvedOptimizer(headSpecFromJson(R"({"hidden": []})")), Optimizer::Lbfgs);
}

TEST(LinearProbe, NewFieldsRoundTripAndBadValuesAreExplained)
{
    HeadSpec s = probe();
    s.optimizer = Optimizer::Lbfgs;
    s.l2 = 0.003;
    s.standardize = false;
    const HeadSpec back = headSpecFromJson(toJson(s));
    EXPECT_EQ(back.optimizer, Optimizer::Lbfgs);
    EXPECT_EQ(back.l2, 0.003);
    EXPECT_EQ(back.standardize, false);
    EXPECT_EQ(toJson(back), toJson(s));

    auto errorOf = [](const std::string& json) {
        try {
            headSpecFromJson(json, "head.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(errorOf(R"({"l2": "strong"})"), "head.json: field 'l2' must be \"auto\" or a number, got \"strong\"");
    EXPECT_EQ(errorOf(R"({"hidden": [], "l2": -1})"), "head.json: l2 -1 must be between 0 and 100");
    EXPECT_EQ(errorOf(R"({"standardize": "yes"})"),
              "head.json: field 'standardize' must be true, false or \"auto\", got \"yes\"");
    EXPECT_EQ(errorOf(R"({"hidden": [64], "optimizer": "lbfgs"})"),
              "head.json: the lbfgs optimizer trains only the linear probe (depth 0)");
}

TEST(LinearProbe, AutoPenaltyRecordsOneEntryPerPenaltyAndKeepsTheBestValidationLoss)
{
    const FeatureSet data = shiftedBlobs();
    const TrainResult r = trainHead(data, probe());
    ASSERT_GE(r.history.size(), 2u);
    EXPECT_LE(r.history.size(), static_cast<std::size_t>(plannedEpochs(probe())));
    for (std::size_t i = 0; i < r.history.size(); ++i) {
        EXPECT_GT(r.history[i].iterations, 0);
        if (i > 0)
            EXPECT_LT(r.history[i].l2, r.history[i - 1].l2); // strongest penalty first
    }
    double best = r.history[0].valLoss;
    for (const auto& e : r.history)
        best = std::min(best, e.valLoss);
    EXPECT_DOUBLE_EQ(r.history[static_cast<std::size_t>(r.bestEpoch - 1)].valLoss, best);
    EXPECT_DOUBLE_EQ(r.validation.loss, best);
    EXPECT_GT(r.test.accuracy, 0.9);
}

TEST(LinearProbe, SavedHeadTakesRawFeaturesWhenStandardisationIsFolded)
{
    const FeatureSet data = shiftedBlobs();
    for (Optimizer opt : {Optimizer::Lbfgs, Optimizer::Adam}) {
        HeadSpec s = probe();
        s.optimizer = opt;
        s.standardize = true;
        const TrainResult r = trainHead(data, s);
        const auto p = r.head.predictProba(data.features.data(), data.rows);
        EXPECT_LT(maxDifference(p, r.probabilities), 1e-5) << toString(opt);
    }
}

TEST(LinearProbe, StandardisationUsesTheTrainingSplitsMeanAndDeviation)
{
    // Reference: z-score the features here (double, population deviation, training rows only)
    // and train without standardisation; the built-in one must give the same probabilities.
    const FeatureSet data = shiftedBlobs();
    HeadSpec s = probe();
    s.l2 = 0.01;
    const TrainResult builtIn = trainHead(data, s);

    FeatureSet scaled = data;
    scaled.split = builtIn.split;
    for (std::int64_t c = 0; c < data.dim; ++c) {
        double sum = 0, sq = 0, n = 0;
        for (std::int64_t r = 0; r < data.rows; ++r)
            if (builtIn.split[static_cast<std::size_t>(r)] == kTrain) {
                sum += data.features[static_cast<std::size_t>(r * data.dim + c)];
                n += 1;
            }
        const double mean = sum / n;
        for (std::int64_t r = 0; r < data.rows; ++r)
            if (builtIn.split[static_cast<std::size_t>(r)] == kTrain)
                sq += std::pow(data.features[static_cast<std::size_t>(r * data.dim + c)] - mean, 2);
        const double sd = std::sqrt(sq / n);
        for (std::int64_t r = 0; r < data.rows; ++r) {
            float& v = scaled.features[static_cast<std::size_t>(r * data.dim + c)];
            v = static_cast<float>((v - mean) / sd);
        }
    }
    s.standardize = false;
    const TrainResult reference = trainHead(scaled, s);
    EXPECT_LT(maxDifference(builtIn.probabilities, reference.probabilities), 1e-3);
    // And it matters here: without it the same penalty gives other probabilities.
    EXPECT_GT(maxDifference(trainHead(data, s).probabilities, reference.probabilities), 0.05);
}

TEST(LinearProbe, CancelBeforeTheFirstFitIsAnError)
{
    struct StopAtOnce : TrainingObserver {
        bool shouldStop() override { return true; }
    } observer;
    EXPECT_THROW(trainHead(shiftedBlobs(), probe(), &observer), Error);
}
