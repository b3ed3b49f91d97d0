#include <headbench/core/Error.h>
#include <headbench/runs/Compare.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/Sweep.h>
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

namespace {
FeatureSet savedFeatures(const test::TempDir& dir)
{
    FeatureSet data = test::blobs(200, 8, 2, 9, 1.5);
    data.path = dir.file("f.h5");
    writeFeatureFile(data.path, data);
    return data;
}
} // namespace

TEST(RunLifecycle, RunningInterruptedAndFinishedRunsAreTold)
{
    test::TempDir dir;
    const FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    spec.epochs = 2;
    const std::string ws = dir.file("ws");

    // A run begun by this (live) process is running, not finished.
    const std::string running = beginRun(ws, data, spec, "live");
    // A run begun by a process that died is interrupted.
    const pid_t child = fork();
    if (child == 0) {
        beginRun(ws, data, spec, "killed");
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    // A finished one.
    const TrainResult result = trainHead(data, spec);
    const RunRecord done = saveRun(ws, data, spec, result, "done");

    EXPECT_EQ(listRuns(ws).size(), 1u); // by default, finished runs only
    const auto all = listRuns(ws, nullptr, true);
    ASSERT_EQ(all.size(), 3u);
    std::map<std::string, std::string> statusByName;
    for (const auto& r : all)
        statusByName[r.name] = r.status;
    EXPECT_EQ(statusByName["live"], "running");
    EXPECT_EQ(statusByName["killed"], "interrupted");
    EXPECT_EQ(statusByName["done"], "finished");
    EXPECT_THROW(loadRun(running), Error); // never taken for a finished run

    // Finishing the running one makes it complete in place.
    saveRun(ws, data, spec, result, "live", running);
    EXPECT_EQ(loadRun(running).status, "finished");
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(running) / "running.json"));
}

TEST(RunLifecycle, ARunFolderNeverAppearsWithoutItsRecord)
{
    namespace fs = std::filesystem;
    test::TempDir dir;
    const FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    const std::string ws = dir.file("ws");
    const fs::path runs = fs::path(ws) / "runs";
    fs::create_directories(runs);
    // What a process killed while beginning a run leaves: a hidden half-prepared folder, an old
    // one and one that another process may be preparing right now.
    fs::create_directories(runs / ".old.new");
    std::ofstream(runs / ".old.new" / "running.json.tmp") << "{";
    fs::last_write_time(runs / ".old.new", fs::file_time_type::clock::now() - std::chrono::hours(2));
    fs::create_directories(runs / ".fresh.new");

    std::vector<std::string> problems;
    EXPECT_TRUE(listRuns(ws, &problems, true).empty());
    EXPECT_TRUE(problems.empty()) << problems.front(); // not reported as a broken run

    const std::string run = beginRun(ws, data, spec, "live");
    EXPECT_TRUE(fs::exists(fs::path(run) / "running.json"));
    EXPECT_FALSE(fs::exists(runs / ".old.new"));  // stale leftovers are cleared
    EXPECT_TRUE(fs::exists(runs / ".fresh.new")); // a recent one may still be in use
    std::vector<std::string> visible;
    for (const auto& e : fs::directory_iterator(runs))
        if (!e.path().filename().string().starts_with("."))
            visible.push_back(e.path().string());
    EXPECT_EQ(visible, std::vector<std::string>{run});
    const auto listed = listRuns(ws, &problems, true);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].status, "running");
    EXPECT_TRUE(problems.empty());
}

TEST(RunLifecycle, RenameTagDeleteAndFeatureChanges)
{
    test::TempDir dir;
    FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    spec.epochs = 1;
    const std::string ws = dir.file("ws");
    const RunRecord rec = saveRun(ws, data, spec, trainHead(data, spec));
    renameRun(rec.dir, "baseline");
    setRunTags(rec.dir, {"probe", "v1"});
    RunRecord back = loadRun(rec.dir);
    EXPECT_EQ(back.name, "baseline");
    EXPECT_EQ(back.tags, (std::vector<std::string>{"probe", "v1"}));
    EXPECT_EQ(checkFeatures(back), FeaturesState::Same);

    data.features[0] += 1.0f; // the file is rewritten with other content
    writeFeatureFile(data.path, data);
    EXPECT_EQ(checkFeatures(back), FeaturesState::Changed);
    std::filesystem::remove(data.path);
    EXPECT_EQ(checkFeatures(back), FeaturesState::Missing);

    deleteRun(rec.dir);
    EXPECT_FALSE(std::filesystem::exists(rec.dir));
    EXPECT_TRUE(listRuns(ws).empty());
    EXPECT_THROW(deleteRun(dir.file("f.h5")), Error); // refuses what is not a run
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
