// Metrics against values computed independently with scikit-learn
// (tools/make_metrics_fixture.py wrote tests/data/metrics_fixture.json).
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Metrics.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>

using namespace headbench;

namespace {

nlohmann::json fixture()
{
    std::ifstream in(HEADBENCH_TEST_DATA "/metrics_fixture.json");
    return nlohmann::json::parse(in);
}

class MetricsFixture : public ::testing::TestWithParam<std::string> {};

} // namespace

TEST_P(MetricsFixture, MatchesScikitLearn)
{
    const auto c = fixture().at(GetParam());
    const int k = c.at("num_classes");
    const auto labels = c.at("labels").get<std::vector<std::int32_t>>();
    std::vector<float> probs;
    for (const auto& row : c.at("probs"))
        for (const auto& v : row)
            probs.push_back(v.get<float>());
    const Metrics m = computeMetrics(labels, probs, k);
    EXPECT_EQ(m.count, static_cast<std::int64_t>(labels.size()));
    EXPECT_NEAR(m.accuracy, c.at("accuracy").get<double>(), 1e-9);
    EXPECT_NEAR(m.precision, c.at("precision").get<double>(), 1e-9);
    EXPECT_NEAR(m.recall, c.at("recall").get<double>(), 1e-9);
    EXPECT_NEAR(m.f1, c.at("f1").get<double>(), 1e-9);
    EXPECT_NEAR(m.ece, c.at("ece").get<double>(), 1e-6);
    EXPECT_EQ(m.confusion, c.at("confusion").get<std::vector<std::vector<std::int64_t>>>());
    if (c.at("roc_auc").is_null()) {
        EXPECT_TRUE(std::isnan(m.rocAuc));
        EXPECT_TRUE(std::isnan(m.prAuc));
    } else {
        EXPECT_NEAR(m.rocAuc, c.at("roc_auc").get<double>(), 1e-9);
        EXPECT_NEAR(m.prAuc, c.at("pr_auc").get<double>(), 1e-9);
    }
}

INSTANTIATE_TEST_SUITE_P(Sklearn, MetricsFixture,
                         ::testing::Values("binary_smooth", "binary_ties", "binary_imbalanced", "multiclass_4"));

TEST(Metrics, ThresholdMovesPredictions)
{
    const std::vector<std::int32_t> labels = {0, 1, 1, 0};
    const std::vector<float> probs = {0.7f, 0.3f, 0.4f, 0.6f, 0.2f, 0.8f, 0.55f, 0.45f};
    EXPECT_EQ(computeMetrics(labels, probs, 2, 0.5).confusion, (std::vector<std::vector<std::int64_t>>{{2, 0}, {0, 2}}));
    EXPECT_EQ(computeMetrics(labels, probs, 2, 0.35).confusion, (std::vector<std::vector<std::int64_t>>{{1, 1}, {0, 2}}));
    EXPECT_EQ(computeMetrics(labels, probs, 2, 0.9).confusion, (std::vector<std::vector<std::int64_t>>{{2, 0}, {2, 0}}));
}

TEST(Metrics, CurvesRunCornerToCorner)
{
    const std::vector<std::int32_t> labels = {0, 1, 1, 0, 1};
    const std::vector<float> scores = {0.1f, 0.9f, 0.4f, 0.4f, 0.8f};
    const auto roc = rocCurve(labels, scores);
    EXPECT_EQ(roc.front().x, 0.0);
    EXPECT_EQ(roc.front().y, 0.0);
    EXPECT_EQ(roc.back().x, 1.0);
    EXPECT_EQ(roc.back().y, 1.0);
    EXPECT_EQ(roc.size(), 5u); // start + 4 distinct scores
    const auto pr = prCurve(labels, scores);
    EXPECT_EQ(pr.back().x, 1.0);
    EXPECT_NEAR(pr.back().y, 3.0 / 5.0, 1e-12);
    EXPECT_TRUE(std::isnan(rocAuc(std::vector<std::int32_t>{1, 1}, std::vector<float>{0.2f, 0.3f})));
}

// A split with no rows has no figures: they were 0 (shown as 0.0000, written as 0.0), which
// read as a head that got everything wrong.
TEST(Metrics, NoRowsGiveNoFigures)
{
    const Metrics m = computeMetrics({}, {}, 2);
    EXPECT_EQ(m.count, 0);
    for (const MetricField& f : metricFields())
        EXPECT_TRUE(std::isnan(m.*f.value)) << f.json;
    EXPECT_EQ(m.confusion, (std::vector<std::vector<std::int64_t>>{{0, 0}, {0, 0}}));
}

// Bins are (lo, hi]; a NaN confidence (a diverged head's validation rows) goes to the first
// instead of an undefined conversion to int (UBSan: "-2147483648 - 1 cannot be represented").
TEST(Metrics, ReliabilityBinsTakeEdgesAndNaN)
{
    const std::vector<std::int32_t> labels{0, 0, 0, 1, 1};
    // Top-class confidences 0.5 (bin 5 of 10: (0.4, 0.5]), 0.5000001 (bin 6), 1 (bin 10), NaN (bin 1).
    const std::vector<float> probs{0.5f, 0.5f, 0.5000001f, 0.4999999f, 1.0f, 0.0f, std::nanf(""), std::nanf(""), 0.0f, 1.0f};
    const auto bins = reliabilityBins(labels, probs, 2);
    std::vector<std::int64_t> counts;
    for (const auto& b : bins)
        counts.push_back(b.count);
    EXPECT_EQ(counts, (std::vector<std::int64_t>{1, 1, 1, 2})); // NaN alone, 0.5, 0.5000001, then 1 and 1
    EXPECT_FLOAT_EQ(static_cast<float>(bins[1].confidence), 0.5f);
}

// A split lacking a class scores recall and F1 of 0 (two classes, no positives) whatever the
// head does; the note says so, naming the class, and says nothing when every class has rows.
TEST(Metrics, ASplitWithoutAClassIsNoted)
{
    const std::vector<std::string> names{"safe", "vulnerable"};
    const std::vector<std::int32_t> negatives{0, 0, 0};
    const std::vector<float> probs{0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
    const Metrics noPositives = computeMetrics(negatives, probs, 2);
    EXPECT_EQ(noPositives.f1, 0.0);
    EXPECT_TRUE(std::isnan(noPositives.rocAuc));
    EXPECT_EQ(missingClassNote(noPositives, names, "the test split"),
              "the test split has no 'vulnerable' rows (of its 3): its recall and F1 are 0 and its ROC-AUC and PR-AUC "
              "undefined, whatever the head predicts");
    const Metrics noNegatives = computeMetrics(std::vector<std::int32_t>{1, 1, 1}, probs, 2);
    EXPECT_EQ(missingClassNote(noNegatives, names, "the file").rfind("the file has no 'safe' rows (of its 3): its ROC-AUC", 0),
              0u);
    EXPECT_EQ(missingClassNote(computeMetrics(std::vector<std::int32_t>{0, 1, 0}, probs, 2), names, "the test split"), "");
    EXPECT_EQ(missingClassNote(metricsOfNoRows(2), names, "the test split"), "");

    const std::vector<float> four{0.7f, 0.2f, 0.05f, 0.05f, 0.1f, 0.8f, 0.05f, 0.05f, 0.3f, 0.3f, 0.2f, 0.2f};
    EXPECT_EQ(missingClassNote(computeMetrics(std::vector<std::int32_t>{0, 1, 1}, four, 4), {"a", "b", "c", "d"}, "the test split"),
              "the test split has no rows of classes 'c', 'd' (of its 3): its macro averages are over the other 2 classes");
    // An absent class the head predicts is averaged in (scikit-learn's labels = y_true ∪ y_pred):
    // the note says so, and the figure is the average over the three classes.
    const std::vector<float> predictsC{0.7f, 0.2f, 0.05f, 0.05f, 0.1f, 0.8f, 0.05f, 0.05f, 0.1f, 0.1f, 0.7f, 0.1f};
    const Metrics withC = computeMetrics(std::vector<std::int32_t>{0, 1, 1}, predictsC, 4);
    EXPECT_EQ(missingClassNote(withC, {"a", "b", "c", "d"}, "the test split"),
              "the test split has no rows of classes 'c', 'd' (of its 3): the head predicts 'c' for 1 row, so it counts "
              "in its macro averages as 0 (as scikit-learn counts it); 'd' is left out");
    // f1_score([0,1,1], [0,1,2], average='macro') = (1 + 2/3 + 0) / 3
    EXPECT_NEAR(withC.f1, (1.0 + 2.0 / 3.0) / 3.0, 1e-12);
}
