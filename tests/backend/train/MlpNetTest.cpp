// The heads trained on the BLAS (MlpNet) against python3-torch: losses, gradients and optimiser
// steps from tools/make_mlp_reference.py (autograd, torch.optim), and the trained head against
// what it saves.
#include "TestUtil.h"
#include "train/MlpNet.h"

#include <headbench/core/Error.h>
#include <headbench/train/Trainer.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <numeric>

using namespace headbench;

namespace {

nlohmann::json reference()
{
    std::ifstream in(HEADBENCH_MLP_REFERENCE);
    if (!in)
        throw std::runtime_error(std::string(HEADBENCH_MLP_REFERENCE) +
                                 " is missing: ctest writes it first (test make_mlp_reference)");
    return nlohmann::json::parse(in);
}

/// |a - b| within an absolute plus a relative tolerance, with the place named on failure.
void expectClose(const std::vector<float>& actual, const std::vector<double>& expected, double tolerance,
                 const std::string& what)
{
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < actual.size(); ++i)
        ASSERT_NEAR(actual[i], expected[i], tolerance * (1.0 + std::abs(expected[i]))) << what << " [" << i << "]";
}

} // namespace

TEST(MlpNet, LossesGradientsAndStepsMatchTorchAutogradAndOptimizers)
{
    const auto ref = reference();
    ASSERT_GE(ref["cases"].size(), 6u);
    for (const auto& c : ref["cases"]) {
        const std::string name = c["name"];
        SCOPED_TRACE(name);
        const HeadSpec spec = headSpecFromJson(c["spec"].dump(), name);
        ASSERT_TRUE(mlpNetSupports(spec));
        const std::int64_t dim = c["input_dim"];
        const int classes = c["num_classes"];
        const auto x = c["x"].get<std::vector<float>>();
        const auto labels = c["labels"].get<std::vector<std::int32_t>>();
        const auto n = static_cast<std::int64_t>(labels.size());
        HeadLoss loss(spec, spec.classWeights, classes);
        MlpNet net(spec, dim, loss.outputs(), n);

        // The parameters start where torch's did, block by block in named_parameters() order.
        const auto names = c["names"].get<std::vector<std::string>>();
        ASSERT_EQ(net.blocks().size(), names.size());
        auto params = net.parameters();
        for (std::size_t b = 0; b < names.size(); ++b) {
            EXPECT_EQ(net.blocks()[b].name, names[b]);
            const auto values = c["params"][b].get<std::vector<float>>();
            std::copy(values.begin(), values.end(), params.begin() + static_cast<std::ptrdiff_t>(net.blocks()[b].offset));
        }
        std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
        std::iota(rows.begin(), rows.end(), 0);
        if (c["standardize"].get<bool>()) {
            auto [shift, scale] = columnStandardization(x.data(), dim, rows);
            net.setStandardization(std::move(shift), std::move(scale));
        }
        HeadUpdate update(spec, params.size());
        for (std::size_t step = 0; step < c["steps"].size(); ++step) {
            const auto& expected = c["steps"][step];
            double value;
            if (c["standardize"].get<bool>()) {
                // Gathered and z-scored from the matrix, as training does (dropout is 0 here).
                value = net.lossAndGradients(x.data(), rows.data(), n, labels.data(), loss);
            } else {
                std::vector<std::vector<std::uint8_t>> masks;
                if (!c["masks"].empty())
                    for (const auto& m : c["masks"][step])
                        masks.push_back(m.get<std::vector<std::uint8_t>>());
                value = net.lossAndGradients(x.data(), n, labels.data(), loss, masks.empty() ? nullptr : &masks);
            }
            EXPECT_NEAR(value, expected["loss"].get<double>(), 2e-6 * (1 + std::abs(expected["loss"].get<double>())))
                << "step " << step;
            const auto grads = net.gradients();
            for (std::size_t b = 0; b < names.size(); ++b) {
                const auto& block = net.blocks()[b];
                const std::size_t size = expected["grads"][b].size();
                expectClose(std::vector<float>(grads.begin() + static_cast<std::ptrdiff_t>(block.offset),
                                               grads.begin() + static_cast<std::ptrdiff_t>(block.offset + size)),
                            expected["grads"][b].get<std::vector<double>>(), 2e-5,
                            "gradient of " + names[b] + " at step " + std::to_string(step));
            }
            update.step(net.parameters(), net.gradients(), spec.learningRate);
            for (std::size_t b = 0; b < names.size(); ++b) {
                const auto& block = net.blocks()[b];
                const std::size_t size = expected["params_after"][b].size();
                expectClose(std::vector<float>(params.begin() + static_cast<std::ptrdiff_t>(block.offset),
                                               params.begin() + static_cast<std::ptrdiff_t>(block.offset + size)),
                            expected["params_after"][b].get<std::vector<double>>(), 2e-5,
                            names[b] + " after step " + std::to_string(step));
            }
        }
    }
}

TEST(HeadLoss, ConfidentLogitsGiveFiniteLossesAndGradients)
{
    // A head sure of itself gives logits in the thousands: exp() of them overflows float and
    // double, and a loss of inf or a NaN gradient ended training as "diverged".
    HeadSpec spec;
    const float logits[] = {1000.0f, -1000.0f, -3000.0f, 3000.0f};
    const std::int32_t labels[] = {0, 0};
    float gradient[4];
    const double ce = HeadLoss(spec, {}, 2)(logits, labels, 2, gradient);
    EXPECT_DOUBLE_EQ(ce, 3000.0); // (0 + 6000) / 2
    EXPECT_FLOAT_EQ(gradient[0], 0.0f);
    EXPECT_FLOAT_EQ(gradient[2], -0.5f); // (p - 1) / n on the true class, p = 0
    EXPECT_FLOAT_EQ(gradient[3], 0.5f);

    spec.loss = Loss::BceWithLogits;
    const float z[] = {-800.0f, 800.0f};
    const std::int32_t y[] = {1, 1};
    float g[2];
    EXPECT_DOUBLE_EQ(HeadLoss(spec, {}, 2)(z, y, 2, g), 400.0);
    EXPECT_FLOAT_EQ(g[0], -0.5f);
    EXPECT_FLOAT_EQ(g[1], 0.0f);

    spec.loss = Loss::Focal;
    spec.focalGamma = 0.5; // (1 - p_t)^(gamma - 1) is infinite at p_t = 1
    const float sure[] = {50.0f, -50.0f};
    const std::int32_t first[] = {0};
    float gf[2];
    const double focal = HeadLoss(spec, {}, 2)(sure, first, 1, gf);
    EXPECT_TRUE(std::isfinite(focal));
    EXPECT_TRUE(std::isfinite(gf[0]) && std::isfinite(gf[1]));
}

TEST(MlpNet, TrainsTheHeadsItSupportsAndLeavesTheRestToLibTorch)
{
    HeadSpec s;
    EXPECT_TRUE(trainsWithoutLibTorch(s)); // the default MLP
    s.norm = Norm::LayerNorm;
    s.optimizer = Optimizer::Sgd;
    EXPECT_TRUE(trainsWithoutLibTorch(s));
    s.norm = Norm::BatchNorm;
    EXPECT_FALSE(trainsWithoutLibTorch(s));
    HeadSpec probe;
    probe.hidden.clear();
    EXPECT_FALSE(trainsWithoutLibTorch(probe));
}

TEST(MlpNet, TrainedHeadPredictsWhatTrainingReportedAndLearns)
{
    // Three classes on raw columns of very different scales, z-scored, with layer norm and a
    // temperature: the head applied here and its saved file read back by LibTorch must give the
    // run's probabilities.
    const FeatureSet base = test::blobs(900, 12, 3, 21, 1.2);
    FeatureSet data = base;
    for (std::int64_t i = 0; i < data.rows; ++i)
        for (std::int64_t j = 0; j < data.dim; ++j)
            data.features[static_cast<std::size_t>(i * data.dim + j)] =
                data.features[static_cast<std::size_t>(i * data.dim + j)] * static_cast<float>(1 + 10 * j) + 3.0f * j;
    HeadSpec s;
    s.hidden = {32, 16};
    s.norm = Norm::LayerNorm;
    s.activation = Activation::Silu;
    s.standardize = true;
    s.epochs = 12;
    s.batchSize = 64;
    s.learningRate = 5e-3;
    TrainOptions options;
    options.calibrate = CalibrationMethod::Temperature;
    ASSERT_TRUE(trainsWithoutLibTorch(s));
    const TrainResult r = trainHead(data, s, nullptr, options);
    EXPECT_GT(r.validation.accuracy, 0.8);
    EXPECT_EQ(r.history.size(), 12u);
    EXPECT_LT(r.history.back().trainLoss, r.history.front().trainLoss);
    EXPECT_EQ(r.parameters, 12 * 32 + 32 + 2 * 32 + 32 * 16 + 16 + 2 * 16 + 16 * 3 + 3);
    // In this process the head is applied on the BLAS; the file is read back by LibTorch.
    const auto direct = r.head.predictProba(data.features.data(), data.rows);
    ASSERT_EQ(direct.size(), r.probabilities.size());
    for (std::size_t i = 0; i < direct.size(); ++i)
        ASSERT_NEAR(direct[i], r.probabilities[i], 2e-5) << i;
    test::TempDir dir;
    r.head.save(dir.file("head.pt"));
    const auto fromFile = TrainedHead::load(dir.file("head.pt")).predictProba(data.features.data(), data.rows);
    ASSERT_EQ(fromFile.size(), r.probabilities.size());
    for (std::size_t i = 0; i < fromFile.size(); ++i)
        ASSERT_NEAR(fromFile[i], r.probabilities[i], 2e-5) << i;
    // The same seed trains the same head.
    const TrainResult again = trainHead(data, s, nullptr, options);
    EXPECT_EQ(again.probabilities, r.probabilities);
}
