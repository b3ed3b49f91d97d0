// Sweep definitions: grids, random draws, and the messages for bad ones.
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

TEST(Sweep, GridIsTheCartesianProduct)
{
    const auto points = expandSweep(R"({"base": {"epochs": 3, "hidden": [64]},
        "grid": {"depth": [0, 1, 2], "activation": ["relu", "gelu"], "loss": ["ce", "focal"]}})");
    ASSERT_EQ(points.size(), 12u);
    std::set<std::string> distinct;
    for (const auto& p : points) {
        distinct.insert(toJson(p.spec));
        EXPECT_EQ(p.spec.epochs, 3);
        for (int w : p.spec.hidden)
            EXPECT_EQ(w, 64); // the base width is kept when only depth varies
    }
    EXPECT_EQ(distinct.size(), 12u);
    EXPECT_EQ(points[0].params, R"({"depth":0,"activation":"relu","loss":"ce"})");
    EXPECT_EQ(points[1].params, R"({"depth":0,"activation":"relu","loss":"focal"})");
    EXPECT_EQ(points[11].params, R"({"depth":2,"activation":"gelu","loss":"focal"})");
    EXPECT_EQ(points[11].spec.hidden, (std::vector<int>{64, 64}));
    EXPECT_EQ(points[11].spec.loss, Loss::Focal);
}

TEST(Sweep, RandomDrawsAreSeededAndInRange)
{
    const std::string def = R"({"random": {"n": 20, "seed": 7, "fields": {
        "lr": {"log_uniform": [0.0001, 0.01]}, "dropout": {"uniform": [0, 0.5]},
        "depth": {"choice": [0, 1, 2]}, "width": {"int_uniform": [16, 64]}}}})";
    const auto a = expandSweep(def), b = expandSweep(def);
    ASSERT_EQ(a.size(), 20u);
    std::set<int> depths;
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].params, b[i].params);
        EXPECT_GE(a[i].spec.learningRate, 0.0001);
        EXPECT_LE(a[i].spec.learningRate, 0.01);
        EXPECT_GE(a[i].spec.dropout, 0.0);
        EXPECT_LT(a[i].spec.dropout, 0.5);
        depths.insert(a[i].spec.depth());
        for (int w : a[i].spec.hidden) {
            EXPECT_GE(w, 16);
            EXPECT_LE(w, 64);
        }
    }
    EXPECT_EQ(depths.size(), 3u);
    std::string other = def;
    other.replace(other.find("\"seed\": 7"), 9, "\"seed\": 8");
    EXPECT_NE(expandSweep(other)[0].params, a[0].params);
}

TEST(Sweep, BadDefinitionsAreExplained)
{
    auto errorOf = [](const std::string& def) {
        try {
            expandSweep(def, "grid.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(errorOf(R"({"grid": {"depth": []}})"), "grid.json: grid field 'depth' needs a non-empty list of values");
    EXPECT_EQ(errorOf(R"({"grid": {"dropout": [0.1, 1.5]}})"),
              "grid.json (grid point 2): dropout 1.5 must be at least 0 and below 1");
    EXPECT_EQ(errorOf(R"({"grid": {"depth": [1]}, "random": {}})"), "grid.json: give exactly one of \"grid\" and \"random\"");
    EXPECT_EQ(errorOf(R"({"grid": {"activaton": ["relu"]}})"), "grid.json (grid point 1): unknown field 'activaton'");
    EXPECT_EQ(errorOf(R"({"random": {"n": 2, "fields": {"lr": {"normal": [0, 1]}}}})"),
              "grid.json: field 'lr': unknown range kind 'normal'");
}
