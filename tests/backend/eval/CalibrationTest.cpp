#include <headbench/core/Error.h>
#include <headbench/eval/Calibration.h>

#include <gtest/gtest.h>

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
