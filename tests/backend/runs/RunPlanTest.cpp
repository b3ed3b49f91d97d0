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
