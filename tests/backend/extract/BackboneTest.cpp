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

TEST(CLexer, DropsCommentsAndNormalisesLiterals)
{
    const auto tokens = lexC("/* c */ x = 42 + 1; // tail\nprintf(\"%s\", \"hi\"); c = 'a'; y <<= 0x1F;");
    const std::vector<std::string> expected = {"x", "=", "<num>", "+", "1", ";", "printf", "(", "<fmt>", ",", "<str>",
                                               ")", ";", "c", "=", "<chr>", ";", "y", "<<=", "<num>", ";"};
    EXPECT_EQ(tokens, expected);
}

TEST(CLexer, SurvivesUnterminatedInput)
{
    EXPECT_EQ(lexC("a \"never closed"), (std::vector<std::string>{"a", "<str>"}));
    EXPECT_EQ(lexC("b /* never closed"), (std::vector<std::string>{"b"}));
    EXPECT_TRUE(lexC("").empty());
}

TEST(HashedNgram, IsDeterministicNormalisedAndIgnoresFormatting)
{
    HashedNgramBackbone backbone(256);
    const std::vector<std::string> texts = {"int f(char *s) {\n  strcpy(buf, s);\n}",
                                            "int   f( char*s ){strcpy(buf,s);} // same code, other layout",
                                            "int f(char *s) { strncpy(buf, s, 10); }"};
    std::vector<float> a(3 * 256), b(3 * 256);
    backbone.encode(texts, a.data());
    HashedNgramBackbone(256).encode(texts, b.data());
    EXPECT_EQ(a, b);
    const double norm = std::sqrt(std::inner_product(a.begin(), a.begin() + 256, a.begin(), 0.0));
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_TRUE(std::equal(a.begin(), a.begin() + 256, a.begin() + 256)); // formatting does not matter
    EXPECT_FALSE(std::equal(a.begin(), a.begin() + 256, a.begin() + 512)); // a different call does
}

TEST(HashedNgram, DimensionIsConfigurableAndValidated)
{
    EXPECT_EQ(makeBackbone("hashed-ngram", {.dim = 300})->dim(), 300);
    EXPECT_THROW(HashedNgramBackbone(0), Error);
    EXPECT_THROW(makeBackbone("codebert"), Error);
}

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
