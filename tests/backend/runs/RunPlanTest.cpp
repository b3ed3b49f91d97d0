// The plans every front end trains: what each run gets, and runPlan's order, tags, cancel and
// failure rules.
#include <headbench/core/Error.h>
#include <headbench/runs/RunPlan.h>
#include <headbench/runs/RunStore.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <memory>

using namespace headbench;

namespace {

struct Observer : PlanObserver, TrainingObserver {
    std::vector<std::size_t> started, saved, failed;
    std::size_t stopAt = 1000; ///< asks to stop once this run has started
    bool goOn = true;
    TrainingObserver* runStarted(std::size_t index, const PlannedRun&) override
    {
        started.push_back(index);
        return this;
    }
    void runSaved(std::size_t index, const RunSessionResult&) override { saved.push_back(index); }
    bool runFailed(std::size_t index, const std::string&) override
    {
        failed.push_back(index);
        return goOn;
    }
    bool shouldStop() override { return !started.empty() && started.back() >= stopAt; }
};

FeatureSource fixed(const FeatureSet& data)
{
    auto shared = std::make_shared<const FeatureSet>(data);
    return [shared](const std::string&) { return shared; };
}

} // namespace

TEST(RunPlan, RepeatsShareTheFirstSeedsSplitAndOneRepeatTag)
{
    HeadSpec spec;
    spec.seed = 40;
    const RunPlan plan = repeatsPlan(spec, 3, {.options = {.calibrate = CalibrationMethod::Temperature}});
    EXPECT_EQ(plan.kind, PlanKind::Repeats);
    EXPECT_TRUE(plan.groupId.starts_with("repeat-")) << plan.groupId;
    ASSERT_EQ(plan.runs.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(plan.runs[i].spec.seed, 40 + i);
        EXPECT_EQ(plan.runs[i].options.splitSeed, std::optional<std::uint64_t>(40));
        EXPECT_EQ(plan.runs[i].options.calibrate, CalibrationMethod::Temperature);
        EXPECT_EQ(plan.runs[i].params, "{\"seed\":" + std::to_string(40 + i) + "}");
    }
    EXPECT_THROW(repeatsPlan(spec, 3, {.cvFolds = 5}), Error);
    EXPECT_EQ(trainPlan(spec, 1, {.cvFolds = 5}).kind, PlanKind::Single);
    EXPECT_EQ(trainPlan(spec, 1, {.cvFolds = 5}).runs.front().cvFolds, 5);
}

// What the CLI's sweep and the window's each dropped before: a point's train fraction, and the
// calibration and split mode chosen for the sweep.
TEST(RunPlan, SweepPointsKeepTheirValuesAndTheSharedSettings)
{
    const auto points = expandSweep(R"({"base": {"epochs": 1}, "grid": {"depth": [0, 1], "train_fraction": [0.5, 1]}})");
    PlanSettings settings;
    settings.options.split = SplitMode::Random;
    settings.options.calibrate = CalibrationMethod::Temperature;
    settings.options.splitSeed = 3; // a sweep's points split with their own seeds
    const RunPlan plan = sweepPlan(points, settings);
    EXPECT_TRUE(plan.groupId.starts_with("sweep-")) << plan.groupId;
    ASSERT_EQ(plan.runs.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(plan.runs[i].options.trainFraction, points[i].trainFraction);
        EXPECT_EQ(plan.runs[i].options.split, SplitMode::Random);
        EXPECT_EQ(plan.runs[i].options.calibrate, CalibrationMethod::Temperature);
        EXPECT_FALSE(plan.runs[i].options.splitSeed);
        EXPECT_EQ(plan.runs[i].params, points[i].params);
    }
    // Progress counts what each head trains in: an L-BFGS probe its penalties, an MLP its epochs.
    EXPECT_EQ(plan.runs[0].plannedEpochs(), plannedEpochs(plan.runs[0].spec));
    EXPECT_EQ(plan.runs[2].plannedEpochs(), 1);
    EXPECT_THROW(sweepPlan({}, settings), Error);
}

TEST(RunPlan, ProblemsNameThePoint)
{
    auto points = expandSweep(R"({"grid": {"loss": ["ce", "bce"]}})");
    const auto problems = planProblems(sweepPlan(points, {}), 3); // BCE needs two classes
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("point 2"), std::string::npos) << problems[0];
    EXPECT_TRUE(planProblems(sweepPlan(points, {}), 2).empty());
}

TEST(RunPlan, RunsEveryPointTaggedWithTheGroupAndItsSettings)
{
    test::TempDir dir;
    const FeatureSet data = test::blobs(300, 6, 2, 5, 1.0);
    const auto points = expandSweep(R"({"base": {"epochs": 2, "hidden": [8]}, "grid": {"train_fraction": [0.5, 1]}})");
    const RunPlan plan = sweepPlan(points, {.options = {.calibrate = CalibrationMethod::Temperature}});
    Observer observer;
    const PlanResult result = runPlan(plan, dir.file("ws"), fixed(data), observer);
    EXPECT_FALSE(result.cancelled);
    ASSERT_EQ(result.saved.size(), 2u);
    EXPECT_EQ(observer.started, (std::vector<std::size_t>{0, 1}));
    const auto runs = listRuns(dir.file("ws"));
    ASSERT_EQ(runs.size(), 2u);
    for (const RunRecord& r : runs) {
        EXPECT_EQ(r.sweepId, plan.groupId);
        EXPECT_TRUE(r.calibration.enabled());
    }
    const RunRecord half = loadRun(result.saved[0].record.dir);
    EXPECT_DOUBLE_EQ(half.trainFraction, 0.5);
    EXPECT_LT(half.trainRows, loadRun(result.saved[1].record.dir).trainRows);
}

TEST(RunPlan, ACancelStopsThePlanAndAFailureIsTheObserversCall)
{
    test::TempDir dir;
    const FeatureSet data = test::blobs(300, 6, 2, 5, 1.0);
    HeadSpec spec;
    spec.hidden = {8};
    spec.epochs = 3;
    Observer cancel;
    cancel.stopAt = 1;
    const PlanResult stopped = runPlan(repeatsPlan(spec, 3, {}), dir.file("ws"), fixed(data), cancel);
    EXPECT_TRUE(stopped.cancelled);
    EXPECT_EQ(stopped.cancelledAt, 1u);
    EXPECT_EQ(stopped.saved.size(), 1u);
    EXPECT_EQ(listRuns(dir.file("ws")).size(), 1u); // the cancelled run left no folder

    // A run that cannot train (a feature set the source refuses) fails; the observer decides.
    RunPlan plan = repeatsPlan(spec, 2, {});
    plan.runs[0].featureSet = "missing";
    const FeatureSource refusing = [&data](const std::string& set) -> std::shared_ptr<const FeatureSet> {
        if (set == "missing")
            throw Error("no feature set 'missing'");
        return std::make_shared<const FeatureSet>(data);
    };
    Observer goOn;
    const PlanResult skipped = runPlan(plan, dir.file("ws2"), refusing, goOn);
    EXPECT_EQ(skipped.failed, 1u);
    EXPECT_EQ(skipped.saved.size(), 1u);
    Observer stop;
    stop.goOn = false;
    EXPECT_THROW(runPlan(plan, dir.file("ws3"), refusing, stop), Error);
}

// A random-split and a group-split probe of one file had the same name in the runs list and in
// Compare; a split chosen by hand is now in the default name (auto keeps the plain name).
TEST(RunPlan, ASplitChosenByHandIsInTheRunsName)
{
    test::TempDir dir;
    FeatureSet data = test::blobs(300, 6, 2, 5, 1.0);
    data.groups.resize(300);
    for (int i = 0; i < 300; ++i)
        data.groups[static_cast<std::size_t>(i)] = "g" + std::to_string(i / 3);
    HeadSpec spec;
    spec.hidden = {};
    std::vector<std::string> names;
    for (SplitMode mode : {SplitMode::Random, SplitMode::Group, SplitMode::Auto}) {
        Observer observer;
        const PlanResult r = runPlan(singleRunPlan(spec, {.options = {.split = mode}}), dir.file("ws"), fixed(data), observer);
        names.push_back(r.saved.front().record.name);
    }
    EXPECT_NE(names[0].find("random split"), std::string::npos) << names[0];
    EXPECT_NE(names[1].find("group split"), std::string::npos) << names[1];
    EXPECT_EQ(names[2], defaultRunName(spec, data));
    EXPECT_NE(names[0], names[1]);
}

// A sweep over depth 0/1/2 x lr trained two identical depth-0 probes without a word.
TEST(RunPlan, PointsThatTrainTheSameHeadAreNamed)
{
    const auto points = expandSweep(R"({"base": {"epochs": 2}, "grid": {"depth": [0, 1], "lr": [0.001, 0.01]}})");
    const auto warnings = planWarnings(sweepPlan(points, {}));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("points 1 and 2"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("L-BFGS ignores lr"), std::string::npos) << warnings[0];
    // Depth 1 points differ in lr for real; another seed or train fraction is another run.
    EXPECT_TRUE(planWarnings(sweepPlan(expandSweep(R"({"grid": {"depth": [1], "lr": [0.001, 0.01]}})"), {})).empty());
    EXPECT_TRUE(planWarnings(sweepPlan(expandSweep(R"({"grid": {"depth": [0], "seed": [1, 2]}})"), {})).empty());
    EXPECT_TRUE(planWarnings(repeatsPlan(HeadSpec{}, 3, {})).empty());
}

namespace {

/// Blobs saved to a file, as a plan that resumes needs (its finished runs name the file).
FeatureSet savedBlobs(const test::TempDir& dir, const std::string& name)
{
    FeatureSet data = test::blobs(240, 6, 2, 11, 1.0);
    data.path = dir.file(name);
    writeFeatureFile(data.path, data);
    return data;
}

struct Resumed : Observer {
    std::vector<std::size_t> skipped;
    void runSkipped(std::size_t index, const RunRecord&) override { skipped.push_back(index); }
};

/// Sets an environment variable for the scope (a Slurm array task's identity).
struct ScopedEnv {
    std::string name;
    ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

} // namespace

TEST(RunPlan, ShardsTakeEveryNthPointAndAResumedPlanSkipsTheFinishedOnes)
{
    test::TempDir dir;
    const FeatureSet data = savedBlobs(dir, "features.h5");
    const std::string ws = dir.file("ws");
    const auto points = expandSweep(R"({"base": {"epochs": 2, "hidden": [8]}, "grid": {"lr": [0.001, 0.002, 0.003, 0.004, 0.005]}})");

    // Task 0 of 2: points 0, 2 and 4, tagged with their place in the whole sweep.
    RunPlan task0 = sweepPlan(points, {});
    withGroupId(task0, "G-1", data.path);
    shardPlan(task0, parseShard("0/2"));
    ASSERT_EQ(task0.runs.size(), 3u);
    Resumed first;
    const PlanResult r0 = runPlan(task0, ws, fixed(data), first);
    ASSERT_EQ(r0.saved.size(), 3u);
    std::vector<int> saved;
    for (const auto& s : r0.saved) {
        const RunRecord rec = loadRun(s.record.dir);
        saved.push_back(rec.sweepPoint);
        EXPECT_EQ(rec.sweepPoints, 5);
        EXPECT_EQ(rec.sweepId, "G-1");
    }
    EXPECT_EQ(saved, (std::vector<int>{0, 2, 4}));

    // Point 1 was begun by array task 77_1 before it was re-queued: its folder says running (this
    // process is alive), but the re-queued task is that same task and takes the point over.
    const ScopedEnv job("SLURM_ARRAY_JOB_ID", "77");
    const ScopedEnv task("SLURM_ARRAY_TASK_ID", "1");
    const std::string killed = beginRun(ws, data, points[1].spec, {}, {"G-1", points[1].params, 1, 5});
    for (const RunRecord& r : listRuns(ws, nullptr, true))
        if (r.dir == killed)
            EXPECT_EQ(r.slurmTask, "77_1");

    // The whole sweep again under the same id: the 3 finished points are skipped, 1 and 3 trained.
    RunPlan all = sweepPlan(points, {});
    withGroupId(all, "G-1", data.path);
    Resumed second;
    const PlanResult r1 = runPlan(all, ws, fixed(data), second);
    EXPECT_EQ(second.skipped, (std::vector<std::size_t>{0, 2, 4}));
    EXPECT_EQ(second.started, (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(r1.interruptedMarked, 1u);

    const auto listed = listRuns(ws, nullptr, true);
    ASSERT_EQ(listed.size(), 6u);
    for (const RunRecord& r : listed)
        if (r.dir == killed)
            EXPECT_EQ(r.status, "interrupted"); // from any host, whatever its process id says
    const auto groups = runGroups(listed);
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].points, 5);
    EXPECT_EQ(groups[0].finished, 5);
    EXPECT_EQ(groups[0].retried, 1);
    EXPECT_EQ(groups[0].statusText(), "5 of 5 finished");
    std::vector<int> members;
    for (const RunRecord* m : groups[0].members) {
        members.push_back(m->sweepPoint);
        EXPECT_TRUE(m->finished());
    }
    EXPECT_EQ(members, (std::vector<int>{0, 1, 2, 3, 4}));

    // The same id on another feature file is another sweep's data: nothing is skipped.
    const FeatureSet other = savedBlobs(dir, "other.h5");
    RunPlan elsewhere = sweepPlan(points, {});
    withGroupId(elsewhere, "G-1", other.path);
    shardPlan(elsewhere, parseShard("1/2"));
    Resumed third;
    runPlan(elsewhere, ws, fixed(other), third);
    EXPECT_TRUE(third.skipped.empty());
    EXPECT_EQ(third.started.size(), 2u);
}

TEST(RunPlan, GroupIdsAndShardsAreChecked)
{
    const auto points = expandSweep(R"({"base": {"epochs": 1}, "grid": {"lr": [0.1, 0.2, 0.3]}})");
    RunPlan plan = sweepPlan(points, {});
    EXPECT_THROW(shardPlan(plan, parseShard("3/4")), Error); // task 3 of a 3-point sweep has nothing
    EXPECT_THROW(parseShard("2/2"), Error);
    EXPECT_THROW(parseShard("a/2"), Error);
    EXPECT_THROW(withGroupId(plan, "bad id/..", "f.h5"), Error);
    EXPECT_THROW(withGroupId(plan, "", "f.h5"), Error);
    HeadSpec spec;
    RunPlan single = singleRunPlan(spec, {});
    EXPECT_THROW(shardPlan(single, parseShard("0/2")), Error);
    // Derived ids: the same definition gives the same id in every task, another one another id.
    EXPECT_EQ(derivedGroupId(PlanKind::Sweep, "grid A"), derivedGroupId(PlanKind::Sweep, "grid A"));
    EXPECT_NE(derivedGroupId(PlanKind::Sweep, "grid A"), derivedGroupId(PlanKind::Sweep, "grid B"));
    EXPECT_TRUE(derivedGroupId(PlanKind::Repeats, "x").starts_with("repeat-"));
    EXPECT_EQ(derivedGroupId(PlanKind::Sweep, "x").size(), std::string("sweep-").size() + 12);
}
