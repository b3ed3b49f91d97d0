// Group splits, the choice of split, and nested training subsets.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/data/Split.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace headbench;

namespace {

/// Rows in groups of 1..6, labels 70/30 with whole groups mostly of one class.
void groupedRows(std::size_t groups, std::uint64_t seed, std::vector<std::int32_t>& labels, std::vector<std::string>& names)
{
    std::mt19937_64 rng(seed);
    for (std::size_t g = 0; g < groups; ++g) {
        const std::size_t size = 1 + rng() % 6;
        const int major = rng() % 10 < 7 ? 0 : 1;
        for (std::size_t i = 0; i < size; ++i) {
            labels.push_back(rng() % 10 < 8 ? major : 1 - major);
            names.push_back("g" + std::to_string(g));
        }
    }
}

} // namespace

TEST(GroupSplit, NoGroupStraddlesSplitsAndSizesFollowTheFractions)
{
    std::vector<std::int32_t> labels;
    std::vector<std::string> groups;
    groupedRows(900, 3, labels, groups);
    const auto split = groupSplit(labels, groups, 2, 42);
    std::map<std::string, std::set<int>> sides;
    double rows[3] = {0, 0, 0}, positives[3] = {0, 0, 0}, allPositive = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        sides[groups[i]].insert(split[i]);
        rows[split[i]] += 1;
        positives[split[i]] += labels[i];
        allPositive += labels[i];
    }
    for (const auto& [g, s] : sides)
        EXPECT_EQ(s.size(), 1u) << g;
    const double n = static_cast<double>(labels.size());
    EXPECT_NEAR(rows[0] / n, 0.8, 0.02);
    EXPECT_NEAR(rows[1] / n, 0.1, 0.02);
    EXPECT_NEAR(rows[2] / n, 0.1, 0.02);
    for (int s = 0; s < 3; ++s) // stratified as well as the groups allow
        EXPECT_NEAR(positives[s] / rows[s], allPositive / n, 0.04) << s;
    EXPECT_EQ(split, groupSplit(labels, groups, 2, 42));
    EXPECT_NE(split, groupSplit(labels, groups, 2, 43));
}

TEST(GroupSplit, FewLargeGroupsStillGiveValidationAndTestRows)
{
    const std::vector<std::int32_t> labels = {0, 1, 0, 1, 0, 1, 0, 1, 0};
    const std::vector<std::string> groups = {"a", "a", "a", "b", "b", "b", "c", "c", "c"};
    const auto split = groupSplit(labels, groups, 2, 1);
    EXPECT_EQ(std::set<std::uint8_t>(split.begin(), split.end()), (std::set<std::uint8_t>{0, 1, 2}));
    const std::vector<std::string> two = {"a", "a", "a", "a", "b", "b", "b", "b", "b"};
    EXPECT_THROW(groupSplit(labels, two, 2, 1), Error);
}

TEST(ChooseSplit, FileThenGroupsThenRandom)
{
    FeatureSet set = test::blobs(300, 4, 2, 5);
    set.path = "x.h5";
    EXPECT_EQ(chooseSplit(set, SplitMode::Auto, 1).source, "random");
    EXPECT_THROW(chooseSplit(set, SplitMode::Group, 1), Error);
    EXPECT_THROW(chooseSplit(set, SplitMode::File, 1), Error);
    {
        FeatureSet oneGroup = set; // too few groups: the message names the file
        oneGroup.groups.assign(static_cast<std::size_t>(oneGroup.rows), "only");
        try {
            chooseSplit(oneGroup, SplitMode::Group, 1);
            ADD_FAILURE() << "one group was split";
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()), "x.h5: a split by group needs at least three groups; the file has 1");
        }
    }
    for (std::int64_t i = 0; i < set.rows; ++i)
        set.groups.push_back("g" + std::to_string(i / 2));
    EXPECT_EQ(chooseSplit(set, SplitMode::Auto, 1).source, "group");
    set.split.assign(300, kTrain);
    set.split[0] = kValidation;
    const auto file = chooseSplit(set, SplitMode::Auto, 1);
    EXPECT_EQ(file.source, "file");
    EXPECT_EQ(file.split, set.split);
    EXPECT_EQ(chooseSplit(set, SplitMode::Random, 1).split, stratifiedSplit(set.labels, 2, 1));
    EXPECT_EQ(parseSplitMode("group"), SplitMode::Group);
    EXPECT_THROW(parseSplitMode("pairs"), Error);
}

TEST(ChooseSplit, CarvesValidationOutOfTrainWhenTheFileHasNone)
{
    FeatureSet set = test::blobs(900, 4, 2, 5);
    set.path = "train-test.h5";
    set.split.assign(900, kTrain);
    for (int i = 0; i < 100; ++i)
        set.split[static_cast<std::size_t>(i * 9)] = kTest;
    const auto choice = chooseSplit(set, SplitMode::Auto, 3);
    EXPECT_EQ(choice.source, "file, validation from train");
    int val = 0;
    for (std::size_t i = 0; i < set.split.size(); ++i) {
        if (set.split[i] == kTest)
            EXPECT_EQ(choice.split[i], kTest); // test untouched
        else
            EXPECT_NE(choice.split[i], kTest); // training rows stay train or become validation
        val += choice.split[i] == kValidation;
    }
    EXPECT_NEAR(val, 800 / 9, 3);
    // With groups, validation takes whole groups.
    for (std::int64_t i = 0; i < set.rows; ++i)
        set.groups.push_back("g" + std::to_string(i / 3));
    const auto grouped = chooseSplit(set, SplitMode::Auto, 3);
    EXPECT_EQ(grouped.source, "file, validation by group from train");
    std::map<std::string, std::set<int>> sides;
    for (std::size_t i = 0; i < set.split.size(); ++i)
        if (set.split[i] == kTrain)
            sides[set.groups[i]].insert(grouped.split[i]);
    for (const auto& [g, s] : sides)
        EXPECT_EQ(s.size(), 1u) << g;
}

// ---- learning curves: trainSubset ----

TEST(TrainSubset, NestedStratifiedAndOnlyTrainingRows)
{
    // 3 classes, unbalanced (60/30/10 %), a 80/10/10 split; class 2 has few training rows.
    std::vector<std::int32_t> labels;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 1000; ++i) {
        const auto u = rng() % 100;
        labels.push_back(u < 60 ? 0 : u < 90 ? 1 : 2);
    }
    const auto split = stratifiedSplit(labels, 3, 9);
    std::map<int, std::int64_t> trainPerClass;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (split[i] == kTrain)
            ++trainPerClass[labels[i]];
    const std::vector<double> fractions{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0};
    std::vector<std::int64_t> previous;
    for (const double f : fractions) {
        const auto rows = trainSubset(labels, split, 3, f, 42);
        EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
        std::map<int, std::int64_t> perClass;
        for (const auto r : rows) {
            ASSERT_EQ(split[static_cast<std::size_t>(r)], kTrain) << "fraction " << f;
            ++perClass[labels[static_cast<std::size_t>(r)]];
        }
        for (const auto& [c, n] : trainPerClass) // stratified: round(f * n_c), at least one
            EXPECT_EQ(perClass[c], std::max<std::int64_t>(1, std::llround(f * static_cast<double>(n))))
                << "class " << c << " fraction " << f;
        // nested: every row of the smaller subset is in this one
        EXPECT_TRUE(std::includes(rows.begin(), rows.end(), previous.begin(), previous.end())) << "fraction " << f;
        previous = rows;
    }
    // fraction 1: every training row
    std::int64_t allTrain = 0;
    for (const auto& [c, n] : trainPerClass)
        allTrain += n;
    EXPECT_EQ(static_cast<std::int64_t>(previous.size()), allTrain);
    // the same for the same seed, another subset for another seed
    EXPECT_EQ(trainSubset(labels, split, 3, 0.1, 42), trainSubset(labels, split, 3, 0.1, 42));
    EXPECT_NE(trainSubset(labels, split, 3, 0.1, 42), trainSubset(labels, split, 3, 0.1, 43));
    EXPECT_THROW(trainSubset(labels, split, 3, 0.0, 42), Error);
    EXPECT_THROW(trainSubset(labels, split, 3, 1.5, 42), Error);
}
