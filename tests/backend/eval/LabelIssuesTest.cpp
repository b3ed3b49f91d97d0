// Confident learning on out-of-fold probabilities: thresholds, the confident joint, ranking.
#include <headbench/core/Error.h>
#include <headbench/data/Split.h>
#include <headbench/eval/LabelIssues.h>
#include <headbench/train/CrossValidation.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using namespace headbench;

// Worked by hand from the definitions (Northcutt et al. 2021, section 3.1).
TEST(LabelIssues, ConfidentJointThresholdsAndRankingByHand)
{
    // p1 per row; p0 = 1 - p1.
    const std::vector<std::int32_t> labels = {0, 0, 0, 1, 1, 1, 0};
    const std::vector<float> p1 = {0.1f, 0.2f, 0.9f, 0.8f, 0.7f, 0.3f, 0.45f};
    std::vector<float> probs;
    for (float v : p1) {
        probs.push_back(1 - v);
        probs.push_back(v);
    }
    const auto report = findLabelIssues(labels, probs, 2);
    // t0 = mean(0.9, 0.8, 0.1, 0.55) = 0.5875; t1 = mean(0.8, 0.7, 0.3) = 0.6.
    EXPECT_NEAR(report.thresholds[0], 0.5875, 1e-6);
    EXPECT_NEAR(report.thresholds[1], 0.6, 1e-6);
    // Row 6 (0.55, 0.45) passes neither threshold and is not counted.
    EXPECT_EQ(report.confidentJoint, (std::vector<std::vector<std::int64_t>>{{2, 1}, {1, 2}}));
    ASSERT_EQ(report.issues.size(), 2u);
    // Row 2: given 0, p = (0.1, 0.9): margin (0.1 - 0.9 + 1) / 2 = 0.1, score 0.9.
    EXPECT_EQ(report.issues[0].row, 2);
    EXPECT_EQ(report.issues[0].suggested, 1);
    EXPECT_NEAR(report.issues[0].score, 0.9, 1e-6);
    // Row 5: given 1, p = (0.7, 0.3): margin 0.3, score 0.7.
    EXPECT_EQ(report.issues[1].row, 5);
    EXPECT_EQ(report.issues[1].suggested, 0);
    EXPECT_NEAR(report.issues[1].score, 0.7, 1e-6);
    const auto bySelf = findLabelIssues(labels, probs, 2, IssueRanking::SelfConfidence);
    EXPECT_NEAR(bySelf.issues[0].score, 0.9, 1e-6);
    EXPECT_NEAR(bySelf.issues[1].score, 0.7, 1e-6);
}

TEST(LabelIssues, SuggestsTheMostProbableConfidentClass)
{
    const std::vector<std::int32_t> labels = {0, 0, 1, 1, 2, 2, 0, 1};
    const std::vector<float> probs = {
        0.9f,  0.05f, 0.05f, // 0: given 0
        0.7f,  0.2f,  0.1f,  // 1: given 0
        0.2f,  0.45f, 0.35f, // 2: given 1
        0.3f,  0.4f,  0.3f,  // 3: given 1
        0.35f, 0.25f, 0.4f,  // 4: given 2, passes no threshold
        0.2f,  0.35f, 0.45f, // 5: given 2, passes t1 and t2, goes to 2 (diagonal)
        0.05f, 0.45f, 0.5f,  // 6: given 0, passes t1 and t2, goes to 2
        0.52f, 0.05f, 0.43f, // 7: given 1, most probable class 0 fails t0: goes to 2
    };
    const auto r = findLabelIssues(labels, probs, 3);
    // t0 = (0.9 + 0.7 + 0.05) / 3, t1 = (0.45 + 0.4 + 0.05) / 3, t2 = (0.4 + 0.45) / 2.
    EXPECT_NEAR(r.thresholds[0], 0.55, 1e-6);
    EXPECT_NEAR(r.thresholds[1], 0.3, 1e-6);
    EXPECT_NEAR(r.thresholds[2], 0.425, 1e-6);
    EXPECT_EQ(r.confidentJoint, (std::vector<std::vector<std::int64_t>>{{2, 0, 1}, {0, 2, 1}, {0, 0, 1}}));
    ASSERT_EQ(r.issues.size(), 2u);
    // Row 7: margin (0.05 - 0.52 + 1) / 2 = 0.265; row 6: (0.05 - 0.5 + 1) / 2 = 0.275.
    EXPECT_EQ(r.issues[0].row, 7);
    EXPECT_EQ(r.issues[0].suggested, 2);
    EXPECT_NEAR(r.issues[0].score, 0.735, 1e-6);
    EXPECT_EQ(r.issues[1].row, 6);
    EXPECT_EQ(r.issues[1].suggested, 2);
    EXPECT_NEAR(r.issues[1].score, 0.725, 1e-6);
}

TEST(LabelIssues, RefusesMismatchedInput)
{
    const std::vector<std::int32_t> labels = {0, 1};
    const std::vector<float> probs = {0.5f, 0.5f, 0.5f};
    EXPECT_THROW(findLabelIssues(labels, probs, 2), Error);
    const std::vector<std::int32_t> bad = {0, 2};
    const std::vector<float> probs4 = {0.5f, 0.5f, 0.5f, 0.5f};
    EXPECT_THROW(findLabelIssues(bad, probs4, 2), Error);
}
