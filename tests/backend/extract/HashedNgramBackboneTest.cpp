// The built-in hashed n-gram backbone.
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
