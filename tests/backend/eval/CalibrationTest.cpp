#include <headbench/core/Error.h>
#include <headbench/eval/Calibration.h>
#include <headbench/eval/Metrics.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace headbench;

// Every row has the logits (0, 3) and 3 in 4 rows are class 1: the NLL is minimal where
// sigmoid(3 / T) = 0.75, i.e. T = 3 / ln 3.
TEST(Calibration, TemperatureMatchesClosedFormOptimum)
{
    std::vector<float> logits;
    std::vector<std::int32_t> labels;
    for (int i = 0; i < 400; ++i) {
        logits.insert(logits.end(), {0.0f, 3.0f});
        labels.push_back(i % 4 == 0 ? 0 : 1);
    }
    const double t = fitTemperature(logits, labels, 2);
    EXPECT_NEAR(t, 3.0 / std::log(3.0), 1e-5);
}

// Labels drawn from softmax(z / 2.5): the fitted temperature recovers 2.5 up to sampling
// noise, and no temperature on a fine grid has a lower NLL.
TEST(Calibration, TemperatureRecoversGeneratingTemperature)
{
    const int n = 20000, k = 4;
    const double trueT = 2.5;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 4.0f);
    std::vector<float> logits(static_cast<std::size_t>(n * k));
    std::vector<std::int32_t> labels(n);
    for (int i = 0; i < n; ++i) {
        std::vector<double> w(k);
        for (int c = 0; c < k; ++c) {
            logits[static_cast<std::size_t>(i * k + c)] = normal(rng);
            w[c] = std::exp(logits[static_cast<std::size_t>(i * k + c)] / trueT);
        }
        labels[i] = std::discrete_distribution<int>(w.begin(), w.end())(rng);
    }
    const double t = fitTemperature(logits, labels, k);
    EXPECT_NEAR(t, trueT, 0.1);
    const double best = temperatureNll(logits, labels, k, t);
    for (double logT = std::log(0.05); logT < std::log(50.0); logT += 0.01)
        EXPECT_GE(temperatureNll(logits, labels, k, std::exp(logT)), best - 1e-9) << "T = " << std::exp(logT);
    // The logits are 2.5 times too confident: the fit beats leaving them as they are.
    EXPECT_LT(temperatureNll(logits, labels, k, t), temperatureNll(logits, labels, k, 1.0));
}

TEST(Calibration, RejectsBadInput)
{
    EXPECT_THROW(parseCalibrationMethod("platt"), Error);
    EXPECT_EQ(parseCalibrationMethod("temperature"), CalibrationMethod::Temperature);
    const std::vector<float> logits{1.0f, 2.0f, 3.0f};
    const std::vector<std::int32_t> labels{0, 1};
    EXPECT_THROW(fitTemperature(logits, labels, 2), Error);
    EXPECT_THROW(fitTemperature({}, {}, 2), Error);
}

TEST(Calibration, JsonRoundTrip)
{
    Calibration c;
    c.method = "temperature";
    c.temperature = 1.75;
    c.valEceBefore = 0.2;
    c.valEceAfter = 0.05;
    c.hasTest = true;
    c.testEceBefore = 0.18;
    c.testEceAfter = 0.07;
    const Calibration back = calibrationFromJson(calibrationToJson(c));
    EXPECT_EQ(back.method, "temperature");
    EXPECT_DOUBLE_EQ(back.temperature, 1.75);
    EXPECT_DOUBLE_EQ(back.valEceAfter, 0.05);
    EXPECT_TRUE(back.hasTest);
    EXPECT_DOUBLE_EQ(back.testEceBefore, 0.18);
}

// The reliability diagram's "before" line: probabilities scaled by T, read back to what the head
// gave, against softmax of the logits themselves (three classes and the one-logit case).
TEST(Calibration, ProbabilitiesBeforeTemperatureUndoTheScaling)
{
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(0.0, 3.0);
    for (int k : {2, 3}) {
        for (double t : {0.4, 1.0, 2.5}) {
            std::vector<float> scaled, original;
            for (int row = 0; row < 200; ++row) {
                std::vector<double> z(static_cast<std::size_t>(k));
                for (auto& v : z)
                    v = normal(rng);
                auto softmax = [&](double temperature, std::vector<float>& out) {
                    double top = *std::max_element(z.begin(), z.end()), sum = 0;
                    for (double v : z)
                        sum += std::exp((v - top) / temperature);
                    for (double v : z)
                        out.push_back(static_cast<float>(std::exp((v - top) / temperature) / sum));
                };
                softmax(t, scaled);
                softmax(1.0, original);
            }
            const std::vector<float> back = probabilitiesBeforeTemperature(scaled, k, t);
            ASSERT_EQ(back.size(), original.size());
            for (std::size_t i = 0; i < back.size(); ++i)
                EXPECT_NEAR(back[i], original[i], 2e-5) << "k=" << k << " T=" << t << " i=" << i;
        }
    }
}

// The reliability bins the window draws are the ones the ECE is computed from: their weighted
// gap is the ECE, their counts cover every row, and a confidence on a bin edge falls below it.
TEST(Calibration, ReliabilityBinsAreTheEceBins)
{
    const std::vector<std::int32_t> labels{0, 1, 1, 0, 1, 0, 1, 1};
    const std::vector<float> probs{0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f, 0.3f, 0.7f,
                                   0.45f, 0.55f, 0.5f, 0.5f, 0.05f, 0.95f, 0.0f, 1.0f};
    const auto bins = reliabilityBins(labels, probs, 2);
    std::int64_t rows = 0;
    double ece = 0;
    for (const auto& b : bins) {
        rows += b.count;
        ece += static_cast<double>(b.count) / 8.0 * std::abs(b.accuracy - b.confidence);
    }
    EXPECT_EQ(rows, 8);
    EXPECT_NEAR(ece, expectedCalibrationError(labels, probs, 2), 1e-12);
    // 0.5 (row 6, top class 0 by the first maximum) lies in (0.4, 0.5] with nothing else.
    ASSERT_GE(bins.size(), 1u);
    EXPECT_NEAR(bins.front().confidence, 0.5, 1e-7);
    EXPECT_EQ(bins.front().count, 1);
    EXPECT_EQ(bins.front().accuracy, 1.0);
}
