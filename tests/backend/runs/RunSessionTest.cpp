#include <headbench/core/Error.h>
#include <headbench/runs/RunSession.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>

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
