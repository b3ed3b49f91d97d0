// The built-in demo dataset.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include <headbench/text/CLexer.h>

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>

using namespace headbench;

TEST(DemoData, IsDeterministicAndCoversEveryFamilyWithBothLabels)
{
    const Dataset a = generateDemoDataset(2400, 7);
    const Dataset b = generateDemoDataset(2400, 7);
    const Dataset c = generateDemoDataset(2400, 8);
    ASSERT_EQ(a.size(), 2400u);
    EXPECT_EQ(a.texts, b.texts);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_NE(a.texts, c.texts);
    EXPECT_EQ(a.labelNames, (std::vector<std::string>{"safe", "vulnerable"}));

    std::map<std::string, std::set<int>> labelsByFamily;
    std::set<std::string> distinctTexts(a.texts.begin(), a.texts.end());
    for (std::size_t i = 0; i < a.size(); ++i)
        labelsByFamily[a.ids[i].substr(0, a.ids[i].rfind('-'))].insert(a.labels[i]);
    EXPECT_EQ(labelsByFamily.size(), 6u);
    for (const auto& [family, labels] : labelsByFamily)
        EXPECT_EQ(labels.size(), 2u) << family;
    EXPECT_GT(distinctTexts.size(), 2300u); // names, formatting and noise vary
    const auto positives = std::count(a.labels.begin(), a.labels.end(), 1);
    EXPECT_GT(positives, 900);
    EXPECT_LT(positives, 1500);
}
