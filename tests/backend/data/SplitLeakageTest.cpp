// Group splits, split choice and the leakage check.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/data/Leakage.h>
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

/// A feature set holding the demo's texts (features are random: the text method ignores them).
FeatureSet textSet(const Dataset& d)
{
    FeatureSet set = test::blobs(static_cast<std::int64_t>(d.size()), 4, 2, 1);
    set.texts = d.texts;
    set.labels = d.labels;
    set.ids = d.ids;
    set.groups = d.groups;
    set.labelNames = d.labelNames;
    set.path = "paired-demo.h5";
    return set;
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

TEST(Leakage, FixPairsLeakUnderARandomSplitAndNotUnderAGroupSplit)
{
    const Dataset demo = generateDemoDataset(1000, 4, /*paired=*/true);
    ASSERT_EQ(demo.groups.size(), 1000u);
    const FeatureSet set = textSet(demo);
    const auto random = measureLeakage(set, stratifiedSplit(set.labels, 2, 9));
    const auto group = measureLeakage(set, groupSplit(set.labels, set.groups, 2, 9));
    EXPECT_EQ(random.method, "text");
    EXPECT_GT(random.testNearDuplicates, random.testRows / 2);
    EXPECT_LT(group.testNearDuplicates, random.testNearDuplicates / 5);
    EXPECT_EQ(random.testRows + random.validationRows + random.trainRows, 1000);
    // The nearest training row of a leaked test row is, nearly always, its pair partner.
    const auto split = stratifiedSplit(set.labels, 2, 9);
    int leaked = 0, partner = 0;
    for (std::size_t i = 0; i < split.size(); ++i)
        if (split[i] == kTest && (random.flags[i] & kNearDuplicate)) {
            ++leaked;
            partner += set.groups[static_cast<std::size_t>(random.nearestTrain[i])] == set.groups[i];
            EXPECT_GE(random.similarity[i], 0.8f);
        }
    EXPECT_GT(partner, leaked * 9 / 10);
}

TEST(Leakage, ExactDuplicatesIgnoreLayoutAndConflictsAreCounted)
{
    Dataset d = generateDemoDataset(200, 2);
    d.texts.push_back("/* copied */\n" + d.texts[0] + "\n\n");
    d.labels.push_back(d.labels[0]);
    d.ids.push_back("copy");
    d.texts.push_back(d.texts[1]);
    d.labels.push_back(1 - d.labels[1]);
    d.ids.push_back("flipped");
    FeatureSet set = textSet(d);
    std::vector<std::uint8_t> split(set.rows, kTrain);
    split[200] = kTest; // the copy of row 0 (in training)
    split[201] = kValidation;
    for (int i = 150; i < 170; ++i)
        split[i] = kValidation;
    for (int i = 170; i < 190; ++i)
        split[i] = kTest;
    const auto r = measureLeakage(set, split);
    EXPECT_EQ(r.testExactDuplicates, 1);
    EXPECT_TRUE(r.flags[200] & kExactDuplicate);
    EXPECT_EQ(r.nearestTrain[200], 0);
    EXPECT_FLOAT_EQ(r.similarity[200], 1.0f);
    EXPECT_EQ(r.conflictingLabels, 2);
    EXPECT_TRUE(r.flags[1] & kConflictingLabel);
    EXPECT_EQ(r.duplicateRows, 2);
    const auto summary = findDuplicates(set);
    EXPECT_EQ(summary.duplicateRows, 2);
    EXPECT_EQ(summary.conflictingLabels, 2);
    EXPECT_TRUE(summary.byText);
}

TEST(Leakage, FeaturesAreCentredBeforeTheCosine)
{
    // Anisotropic features: every row shares a large offset, so raw cosines are all near 1.
    FeatureSet set = test::blobs(2000, 32, 2, 7, 1.0);
    for (auto& v : set.features)
        v += 20.0f;
    std::vector<std::uint8_t> split(2000, kTrain);
    for (int i = 1800; i < 1900; ++i)
        split[i] = kValidation;
    for (int i = 1900; i < 2000; ++i)
        split[i] = kTest;
    // Ten test rows are a training row plus a little noise; one is an exact copy.
    std::mt19937_64 rng(1);
    std::normal_distribution<float> noise(0.0f, 0.02f);
    for (int k = 0; k < 10; ++k)
        for (int j = 0; j < 32; ++j)
            set.features[(1900 + k) * 32 + j] = set.features[k * 32 + j] + (k == 0 ? 0.0f : noise(rng));
    const auto r = measureLeakage(set, split, {.method = LeakageOptions::Method::Features});
    EXPECT_EQ(r.method, "features");
    EXPECT_EQ(r.testExactDuplicates, 1);
    EXPECT_EQ(r.testNearDuplicates, 10);
    EXPECT_EQ(r.validationNearDuplicates, 0);
    for (int k = 0; k < 10; ++k)
        EXPECT_EQ(r.nearestTrain[1900 + k], k);
    EXPECT_EQ(measureLeakage(set, split, {.method = LeakageOptions::Method::Off}).measured, false);
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
