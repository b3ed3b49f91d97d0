#include <headbench/core/NumberText.h>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using namespace headbench;

// Property: every finite float, written shortest, reads back as the same bits (denormals too).
TEST(NumberText, EveryFloatReadsBackAsWritten)
{
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> bits;
    int checked = 0;
    for (int i = 0; i < 200000; ++i) {
        const float v = std::bit_cast<float>(bits(rng));
        if (!std::isfinite(v))
            continue;
        const auto back = parseFloat(formatFloat(v));
        ASSERT_TRUE(back) << formatFloat(v);
        ASSERT_EQ(std::bit_cast<std::uint32_t>(*back), std::bit_cast<std::uint32_t>(v)) << formatFloat(v);
        ++checked;
    }
    EXPECT_GT(checked, 190000);
    for (const float v : {0.0f, -0.0f, 1.0f, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                          std::numeric_limits<float>::max(), std::nextafter(1.0f, 0.0f), 7.146622e-43f, 5.9604645e-08f}) {
        const auto back = parseFloat(formatFloat(v));
        ASSERT_TRUE(back) << formatFloat(v);
        EXPECT_EQ(std::bit_cast<std::uint32_t>(*back), std::bit_cast<std::uint32_t>(v)) << formatFloat(v);
    }
}

TEST(NumberText, EveryDoubleReadsBackAsWritten)
{
    std::mt19937_64 rng(11);
    for (int i = 0; i < 100000; ++i) {
        const double v = std::bit_cast<double>(rng());
        if (!std::isfinite(v))
            continue;
        const auto back = parseDouble(formatDouble(v));
        ASSERT_TRUE(back) << formatDouble(v);
        ASSERT_EQ(std::bit_cast<std::uint64_t>(*back), std::bit_cast<std::uint64_t>(v));
    }
}

// What std::stof refused: a value below FLT_MIN is a denormal, and one below the smallest
// denormal is 0 (what a float holds), not an error. Too large is an error.
TEST(NumberText, UnderflowIsZeroOverflowIsRefused)
{
    EXPECT_EQ(parseFloat("7.146622e-43"), 7.146622e-43f);
    EXPECT_EQ(parseFloat("1e-45"), std::numeric_limits<float>::denorm_min());
    EXPECT_EQ(parseFloat("1e-46"), 0.0f);
    EXPECT_EQ(parseFloat("1e-400"), 0.0f);
    EXPECT_EQ(parseDouble("1e-400"), 0.0);
    EXPECT_TRUE(std::signbit(*parseFloat("-1e-50")));
    EXPECT_FALSE(parseFloat("3.5e38"));
    EXPECT_FALSE(parseDouble("1e400"));
    EXPECT_EQ(parseFloat("+0.5"), 0.5f);
    EXPECT_EQ(parseFloat("1E-3"), 0.001f);
}

TEST(NumberText, TheWholeFieldOrNothing)
{
    for (const char* bad : {"", " 1", "1 ", "1,5", "0.5x", "--1", "e5", "0x1p3", "1e"})
        EXPECT_FALSE(parseFloat(bad)) << bad;
    EXPECT_FALSE(parseInteger("1.0"));
    EXPECT_FALSE(parseInteger("99999999999999999999"));
    EXPECT_EQ(parseInteger("-12"), -12);
    EXPECT_EQ(parseInteger("+3"), 3);
}
