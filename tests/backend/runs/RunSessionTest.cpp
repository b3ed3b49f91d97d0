#include <headbench/core/Error.h>
#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/RunSession.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

using namespace headbench;
namespace fs = std::filesystem;

namespace {

/// Asks to stop after `batches` batches (0: before anything).
struct StopAfter : TrainingObserver {
    int batches;
    int seen = 0;
    explicit StopAfter(int n) : batches(n) {}
    void onBatch(int, int, int) override { ++seen; }
    bool shouldStop() override { return seen >= batches; }
};

/// The folders a user sees under runs/ (hidden ones are a run being prepared).
std::vector<std::string> runFolders(const std::string& workspace)
{
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(workspace) / "runs", ec))
        if (!e.path().filename().string().starts_with("."))
            out.push_back(e.path().string());
    return out;
}

struct Fixture {
    test::TempDir dir;
    FeatureSet data = test::blobs(400, 8, 2, 11, 1.0);
    HeadSpec spec;
    Fixture()
    {
        spec.hidden = {16};
        spec.epochs = 5;
        spec.batchSize = 32;
    }
    std::string ws() const { return dir.file("ws"); }
};

} // namespace

TEST(RunSession, SavesAFinishedRunWithCrossValidation)
{
    Fixture f;
    const RunSessionResult r = runSession(f.data, f.spec, {.workspace = f.ws(), .name = "kept", .cvFolds = 3}, nullptr);
    ASSERT_EQ(r.outcome, RunOutcome::Saved);
    ASSERT_TRUE(r.cv.has_value());
    EXPECT_EQ(r.cv->k, 3);
    EXPECT_EQ(runFolders(f.ws()), std::vector<std::string>{r.record.dir});
    EXPECT_EQ(loadRun(r.record.dir).status, "finished");
    EXPECT_TRUE(fs::exists(fs::path(r.record.dir) / "cv.json"));
    EXPECT_TRUE(fs::exists(fs::path(r.record.dir) / "oof.csv"));
    EXPECT_FALSE(fs::exists(fs::path(r.record.dir) / "running.json"));
    // Its oof.csv is read as the run's own: a renamed class column is refused, naming run.json's.
    EXPECT_EQ(loadOutOfFold(r.record.dir).ids.size(), static_cast<std::size_t>(loadCrossValidationSummary(r.record.dir)->pooledRows));
    const std::string oof = (fs::path(r.record.dir) / "oof.csv").string();
    std::string text = test::readFile(oof);
    text.replace(text.find("p_class0"), 8, "p_zzz");
    test::writeFile(oof, text);
    try {
        loadOutOfFold(r.record.dir);
        ADD_FAILURE() << "a renamed class column was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("oof.csv: its probability columns are not the run's classes (run.json names "
                                             "p_class0, p_class1)"),
                  std::string::npos)
            << e.what();
    }
}

/// Asks to finish (end training and keep the run) once `epochs` epochs are done.
struct FinishAfter : TrainingObserver {
    int epochs;
    int seen = 0;
    explicit FinishAfter(int n) : epochs(n) {}
    void onEpoch(const EpochStats&) override { ++seen; }
    bool shouldFinish() override { return seen >= epochs; }
};

// The window's Finish Now: training ends after the epoch it was asked in and the run is saved,
// marked as ended by the user, with the head, curves and predictions of the epochs trained.
TEST(RunSession, FinishNowEndsTrainingAfterTheEpochAndKeepsTheRun)
{
    Fixture f;
    f.spec.epochs = 50;
    FinishAfter finish(2);
    const RunSessionResult r = runSession(f.data, f.spec, {.workspace = f.ws(), .name = "by hand"}, &finish);
    ASSERT_EQ(r.outcome, RunOutcome::Saved);
    EXPECT_EQ(runFolders(f.ws()), std::vector<std::string>{r.record.dir});
    const RunRecord run = loadRun(r.record.dir);
    EXPECT_EQ(run.status, "finished");
    EXPECT_EQ(run.history.size(), 2u);
    EXPECT_EQ(run.bestEpoch, 2);
    EXPECT_TRUE(run.finishedByUser);
    const auto json = nlohmann::json::parse(test::readFile((fs::path(r.record.dir) / "run.json").string()));
    EXPECT_TRUE(json.at("finished_by_user").get<bool>()) << json.dump();
    // The saved head is the one the run's predictions came from.
    const TrainedHead head = loadRunHead(r.record.dir);
    const auto p = head.predictProba(f.data.features.data(), f.data.rows);
    const RunPredictions saved = loadPredictions(r.record.dir);
    ASSERT_EQ(saved.probabilities.size(), p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
        ASSERT_NEAR(saved.probabilities[i], p[i], 1e-5) << i;

    // The probe's L2 path ends after the penalty it was asked in, keeping the best so far.
    Fixture probe;
    probe.spec.hidden.clear();
    FinishAfter first(1);
    const RunSessionResult pr = runSession(probe.data, probe.spec, {.workspace = probe.ws()}, &first);
    ASSERT_EQ(pr.outcome, RunOutcome::Saved);
    EXPECT_EQ(loadRun(pr.record.dir).history.size(), 1u);

    // Asked after the last epoch it changes nothing: the run simply finished.
    Fixture last;
    FinishAfter late(last.spec.epochs);
    const RunSessionResult lr = runSession(last.data, last.spec, {.workspace = last.ws()}, &late);
    ASSERT_EQ(lr.outcome, RunOutcome::Saved);
    EXPECT_EQ(loadRun(lr.record.dir).history.size(), static_cast<std::size_t>(last.spec.epochs));
    const auto lastJson = nlohmann::json::parse(test::readFile((fs::path(lr.record.dir) / "run.json").string()));
    EXPECT_FALSE(lastJson.at("finished_by_user").get<bool>());
    EXPECT_FALSE(loadRun(lr.record.dir).finishedByUser);
}

// Issue 14: a cancel before the first batch was reported as an error ("cancelled before the first
// epoch finished"), which the CLI turned into exit 2. It is a cancel, and no folder is left.
TEST(RunSession, ACancelAtAnyMomentIsCancelledAndLeavesNoRunFolder)
{
    for (int after : {0, 1, 20, 40}) { // at once, in the first epoch, in the third, the fifth
        Fixture f;
        StopAfter stop(after);
        const RunSessionResult r = runSession(f.data, f.spec, {.workspace = f.ws()}, &stop);
        EXPECT_EQ(r.outcome, RunOutcome::Cancelled) << after;
        EXPECT_TRUE(runFolders(f.ws()).empty()) << after;
        EXPECT_FALSE(r.cancelledIn.empty()) << after;
    }
}

TEST(RunSession, ACancelDuringCrossValidationLeavesNoRunFolder)
{
    Fixture f;
    f.spec.epochs = 2;
    // 400 rows: ~320 training rows, 10 batches an epoch, 20 for the run; fold heads follow.
    StopAfter stop(30);
    const RunSessionResult r = runSession(f.data, f.spec, {.workspace = f.ws(), .cvFolds = 3}, &stop);
    EXPECT_EQ(r.outcome, RunOutcome::Cancelled);
    EXPECT_EQ(r.cancelledIn, "cross-validation");
    EXPECT_FALSE(r.cv.has_value());
    EXPECT_TRUE(runFolders(f.ws()).empty());
}

TEST(RunSession, AFailureRemovesTheUnfinishedFolderAndIsRethrown)
{
    Fixture f;
    f.spec.classWeights = {1.0, 2.0, 3.0}; // three weights for two classes: trainHead refuses
    EXPECT_THROW(runSession(f.data, f.spec, {.workspace = f.ws()}, nullptr), Error);
    EXPECT_TRUE(runFolders(f.ws()).empty());
}
