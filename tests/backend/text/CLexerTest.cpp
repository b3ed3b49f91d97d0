// The C lexer behind the built-in backbone and the duplicate check.
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
