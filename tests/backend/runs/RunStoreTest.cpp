#include <headbench/core/Error.h>
#include <headbench/runs/RunStore.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

using namespace headbench;
namespace fs = std::filesystem;

namespace {

struct SavedRun {
    test::TempDir dir;
    FeatureSet data;
    HeadSpec spec;
    TrainResult result;
    RunRecord record;

    SavedRun()
    {
        data = test::blobs(300, 12, 2, 4, 1.0);
        data.ids.resize(300);
        for (int i = 0; i < 300; ++i)
            data.ids[i] = "fn,\"" + std::to_string(i) + "\""; // ids needing CSV quoting
        data.path = dir.file("features.h5");
        writeFeatureFile(data.path, data);
        spec.hidden = {16};
        spec.epochs = 4;
        result = trainHead(data, spec);
        record = saveRun(dir.file("ws"), data, spec, result, "my run");
    }
};

} // namespace

TEST(RunStore, SavedRunReloadsWithEverything)
{
    SavedRun s;
    const RunRecord back = loadRun(s.record.dir);
    EXPECT_EQ(back.id, s.record.id);
    EXPECT_EQ(back.name, "my run");
    EXPECT_EQ(back.status, "finished");
    EXPECT_EQ(toJson(back.spec), toJson(s.spec));
    EXPECT_EQ(back.featuresHash, s.record.featuresHash);
    EXPECT_EQ(back.featuresHash.rfind("fnv1a64:", 0), 0u);
    EXPECT_EQ(back.featuresPath, fs::absolute(s.data.path).string());
    EXPECT_EQ(back.history.size(), 4u);
    EXPECT_DOUBLE_EQ(back.history[2].valLoss, s.result.history[2].valLoss);
    EXPECT_DOUBLE_EQ(back.validation.f1, s.result.validation.f1);
    EXPECT_DOUBLE_EQ(back.test.rocAuc, s.result.test.rocAuc);
    EXPECT_EQ(back.test.confusion, s.result.test.confusion);
    EXPECT_EQ(back.parameters, s.result.parameters);

    const RunPredictions p = loadPredictions(s.record.dir);
    EXPECT_EQ(p.ids, s.data.ids);
    EXPECT_EQ(p.labels, s.data.labels);
    EXPECT_EQ(p.split, s.result.split);
    ASSERT_EQ(p.probabilities.size(), s.result.probabilities.size());
    for (std::size_t i = 0; i < p.probabilities.size(); ++i)
        ASSERT_NEAR(p.probabilities[i], s.result.probabilities[i], 1e-6);

    const TrainedHead head = loadRunHead(s.record.dir);
    const auto probs = head.predictProba(s.data.features.data(), s.data.rows);
    for (std::size_t i = 0; i < probs.size(); ++i)
        ASSERT_NEAR(probs[i], s.result.probabilities[i], 1e-5);
}

TEST(RunStore, ListingShowsOnlyCompleteRuns)
{
    SavedRun s;
    const std::string ws = s.dir.file("ws");
    // An interrupted save (hidden partial folder) and a damaged run folder.
    fs::create_directories(fs::path(ws) / "runs" / ".partial-20990101-000000-beef");
    fs::create_directories(fs::path(ws) / "runs" / "20990101-000000-dead");
    test::writeFile((fs::path(ws) / "runs" / "20990101-000000-dead" / "spec.json").string(), "{}");
    std::vector<std::string> problems;
    const auto runs = listRuns(ws, &problems);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].id, s.record.id);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("not a complete run (missing run.json)"), std::string::npos);

    const RunRecord second = saveRun(ws, s.data, s.spec, s.result);
    EXPECT_EQ(listRuns(ws).size(), 2u);
    // The default name: the head, then the feature file (or the backbone).
    const std::string features =
        s.data.path.empty() ? s.data.backbone : fs::path(s.data.path).filename().string();
    EXPECT_EQ(second.name, summary(s.spec) + " · " + features);
    EXPECT_TRUE(listRuns(s.dir.file("no-workspace")).empty());
}

TEST(RunStore, SweepRunsAreNamedByTheirFieldsAndValues)
{
    SavedRun s;
    const std::string ws = s.dir.file("ws-sweep");
    std::vector<std::string> names;
    for (const char* lr : {"0.01", "0.001"})
        for (int depth : {1, 2})
            names.push_back(saveRun(ws, s.data, s.spec, s.result, {}, {},
                                    SweepTag{"sweep-1", std::string("{\"lr\": ") + lr + ", \"depth\": " + std::to_string(depth) + "}"})
                                .name);
    const std::set<std::string> distinct(names.begin(), names.end());
    EXPECT_EQ(distinct.size(), 4u);
    EXPECT_NE(names[0].find("lr=0.01"), std::string::npos) << names[0];
    EXPECT_NE(names[0].find("depth=1"), std::string::npos) << names[0];
    for (const auto& r : listRuns(ws)) // the names are what the list shows
        EXPECT_EQ(distinct.count(r.name), 1u) << r.name;
}

TEST(RunStore, FailedSaveLeavesNoRun)
{
    SavedRun s;
    const std::string ws = s.dir.file("ws2");
    fs::create_directories(ws);
    test::writeFile(ws + "/runs", "a file where the runs folder should be");
    EXPECT_THROW(saveRun(ws, s.data, s.spec, s.result), Error);
    EXPECT_TRUE(listRuns(ws).empty());
}
