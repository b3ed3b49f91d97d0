#include <headbench/core/Error.h>
#include <headbench/eval/Compare.h>
#include <headbench/runs/RunStore.h>
#include <headbench/runs/Sweep.h>
#include "TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace headbench;

TEST(McNemar, MatchesScipy)
{
    std::ifstream in(HEADBENCH_TEST_DATA "/mcnemar_fixture.json");
    const auto cases = nlohmann::json::parse(in);
    ASSERT_GE(cases.size(), 10u);
    for (const auto& c : cases) {
        std::vector<std::uint8_t> first, second;
        auto add = [&](int n, bool a, bool b) {
            for (int i = 0; i < n; ++i) {
                first.push_back(a);
                second.push_back(b);
            }
        };
        add(c["b"], true, false);
        add(c["c"], false, true);
        add(c["both_correct"], true, true);
        add(c["both_wrong"], false, false);
        const McNemarResult r = mcnemar(first, second);
        EXPECT_EQ(r.onlyFirstCorrect, c["b"].get<int>());
        EXPECT_EQ(r.onlySecondCorrect, c["c"].get<int>());
        EXPECT_EQ(r.exact, c["exact"].get<bool>()) << c.dump();
        EXPECT_NEAR(r.statistic, c["statistic"].get<double>(), 1e-9) << c.dump();
        EXPECT_NEAR(r.pValue, c["p_value"].get<double>(), 1e-9 + 1e-7 * c["p_value"].get<double>()) << c.dump();
    }
}

TEST(SpecDiff, ListsOnlyTheFieldsThatDiffer)
{
    HeadSpec a, b, c;
    b.activation = Activation::Gelu;
    c.activation = Activation::Gelu;
    c.hidden = {512, 512};
    c.loss = Loss::Focal;
    const auto d = diffSpecs({a, b, c});
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0].field, "hidden");
    EXPECT_EQ(d[0].values, (std::vector<std::string>{"[256]", "[256]", "[512,512]"}));
    EXPECT_EQ(d[1].field, "activation");
    EXPECT_EQ(d[1].values, (std::vector<std::string>{"\"relu\"", "\"gelu\"", "\"gelu\""}));
    EXPECT_EQ(d[2].field, "loss");
    EXPECT_TRUE(diffSpecs({a, a}).empty());
}

TEST(PairOutcomes, NeedsTheSameSamples)
{
    RunPredictions a;
    a.ids = {"x", "y", "z"};
    a.labels = {0, 1, 1};
    a.split = {kTest, kTest, kValidation};
    a.numClasses = 2;
    a.probabilities = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
    RunPredictions b = a;
    b.probabilities = {0.1f, 0.9f, 0.3f, 0.7f, 0.6f, 0.4f};
    const auto paired = pairOutcomes(a, b, kTest);
    EXPECT_EQ(paired.rows, (std::vector<std::int64_t>{0, 1}));
    EXPECT_EQ(paired.firstCorrect, (std::vector<std::uint8_t>{1, 1}));
    EXPECT_EQ(paired.secondCorrect, (std::vector<std::uint8_t>{0, 1}));
    b.ids[2] = "other";
    EXPECT_THROW(pairOutcomes(a, b, kTest), Error);
}
