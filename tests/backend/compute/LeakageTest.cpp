// The leakage check: near and exact duplicates across the split, conflicting labels.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/data/Split.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace headbench;

namespace {

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

// The workspace cache: a second measurement of the same content and split (another FeatureSet
// object, as another process would load it) reads the report instead of measuring, equal in every
// row; another split or another content hash measures anew; a damaged cache file is measured
// again and rewritten.
// With one feature the centred cosine of any two rows is +1 or -1: every test row was called a
// near duplicate. Below 8 features the check by features is not made (auto) or refused (asked).
TEST(Leakage, TooFewFeaturesForTheCosineAreNotChecked)
{
    FeatureSet one = test::blobs(400, 1, 2, 3);
    std::vector<std::uint8_t> split(400, kTrain);
    for (int i = 300; i < 400; ++i)
        split[i] = i < 350 ? kValidation : kTest;
    EXPECT_FALSE(measureLeakage(one, split).measured);
    try {
        measureLeakage(one, split, {.method = LeakageOptions::Method::Features});
        ADD_FAILURE() << "a check by 1 feature was made";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("1 feature per row are too few"), std::string::npos) << e.what();
    }
    FeatureSet eight = test::blobs(400, 8, 2, 3);
    EXPECT_TRUE(measureLeakage(eight, split, {.method = LeakageOptions::Method::Features}).measured);
}

TEST(Leakage, ReportsAreCachedOnDiskByContentAndSplit)
{
    test::TempDir dir;
    const Dataset demo = generateDemoDataset(400, 4, /*paired=*/true);
    const FeatureSet first = textSet(demo);
    LeakageOptions options;
    options.cacheDir = dir.file("cache");
    options.contentHash = "xxh3_64:0123456789abcdef";
    const auto split = stratifiedSplit(first.labels, 2, 9);
    const LeakageReport measured = measureLeakage(first, split, options);
    EXPECT_FALSE(measured.fromCache);
    ASSERT_EQ(std::distance(std::filesystem::directory_iterator(options.cacheDir), {}), 1);

    const FeatureSet second = textSet(demo); // same content, another object
    const LeakageReport read = measureLeakage(second, split, options);
    EXPECT_TRUE(read.fromCache);
    EXPECT_EQ(read.method, measured.method);
    EXPECT_EQ(read.testNearDuplicates, measured.testNearDuplicates);
    EXPECT_EQ(read.validationExactDuplicates, measured.validationExactDuplicates);
    EXPECT_EQ(read.conflictingLabels, measured.conflictingLabels);
    EXPECT_EQ(read.flags, measured.flags);
    EXPECT_EQ(read.nearestTrain, measured.nearestTrain);
    ASSERT_EQ(read.similarity.size(), measured.similarity.size());
    for (std::size_t i = 0; i < read.similarity.size(); ++i)
        EXPECT_TRUE(read.similarity[i] == measured.similarity[i] ||
                    (std::isnan(read.similarity[i]) && std::isnan(measured.similarity[i])));

    const FeatureSet third = textSet(demo);
    EXPECT_FALSE(measureLeakage(third, stratifiedSplit(first.labels, 2, 10), options).fromCache);
    LeakageOptions other = options;
    other.contentHash = "xxh3_64:fedcba9876543210";
    const FeatureSet fourth = textSet(demo);
    EXPECT_FALSE(measureLeakage(fourth, split, other).fromCache);

    for (const auto& entry : std::filesystem::directory_iterator(options.cacheDir))
        test::writeFile(entry.path().string(), "HBLEAK1\ntruncated");
    const FeatureSet fifth = textSet(demo);
    const LeakageReport again = measureLeakage(fifth, split, options);
    EXPECT_FALSE(again.fromCache);
    EXPECT_EQ(again.flags, measured.flags);
    const FeatureSet sixth = textSet(demo);
    EXPECT_TRUE(measureLeakage(sixth, split, options).fromCache); // rewritten
}
