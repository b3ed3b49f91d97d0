// The services both front ends call: evaluateRun and compareRuns. What `headbench-cli eval` and
// `compare` print, and the window's Compare view shows, is these values.
#include <headbench/core/Error.h>
#include <headbench/eval/Metrics.h>
#include <headbench/runs/RunComparison.h>
#include <headbench/runs/RunEvaluation.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/Trainer.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>

using namespace headbench;
namespace fs = std::filesystem;

namespace {

/// Two runs on one file with no /split: a confident linear probe (well-separated blobs, so
/// some probabilities fall below FLT_MIN) and a small MLP.
struct TwoRuns {
    test::TempDir dir;
    FeatureSet data;
    std::string probe, mlp;

    TwoRuns()
    {
        data = test::blobs(400, 10, 2, 3, 0.25);
        // Rows far out on their class's side, as real features have: a converged probe gives
        // them probabilities down in the denormals (the case the readers refused).
        for (std::int64_t r = 0; r < data.rows; r += 5)
            for (std::int64_t j = 0; j < data.dim; ++j)
                data.features[static_cast<std::size_t>(r * data.dim + j)] *= static_cast<float>(1 + r % 8);
        data.ids.resize(400);
        for (int i = 0; i < 400; ++i)
            data.ids[i] = i % 7 ? std::to_string(i) : "fn " + std::to_string(i) + ", \"q\"\nü";
        data.path = dir.file("features.h5");
        writeFeatureFile(data.path, data);
        HeadSpec linear;
        linear.hidden = {};
        linear.l2 = 1e-6;
        HeadSpec small;
        small.hidden = {16};
        small.epochs = 5;
        probe = saveRun(dir.file("ws"), data, linear, trainHead(data, linear), "probe").dir;
        mlp = saveRun(dir.file("ws"), data, small, trainHead(data, small), "mlp").dir;
    }
};

void expectSameMetrics(const Metrics& a, const Metrics& b, double tolerance)
{
    EXPECT_EQ(a.count, b.count);
    EXPECT_NEAR(a.accuracy, b.accuracy, tolerance);
    EXPECT_NEAR(a.precision, b.precision, tolerance);
    EXPECT_NEAR(a.recall, b.recall, tolerance);
    EXPECT_NEAR(a.f1, b.f1, tolerance);
    EXPECT_NEAR(a.rocAuc, b.rocAuc, tolerance);
    EXPECT_EQ(a.confusion, b.confusion);
}

} // namespace

// The reported bug: a probability below FLT_MIN in predictions.csv made every reader fail.
TEST(RunServices, ConfidentRunReadsBackAndCompares)
{
    TwoRuns t;
    const RunPredictions p = loadPredictions(t.probe);
    const float smallest = *std::min_element(p.probabilities.begin(), p.probabilities.end());
    EXPECT_LT(smallest, std::numeric_limits<float>::min()) << "the fixture should produce a denormal or 0";
    const RunComparison c = compareRuns({t.probe, t.mlp});
    ASSERT_EQ(c.runs.size(), 2u);
    EXPECT_TRUE(c.sameData);
    EXPECT_EQ(c.pairedSplit, "test");
    ASSERT_TRUE(c.mcnemar);
    EXPECT_TRUE(c.paired);
    EXPECT_EQ(c.runs[0].predictions.ids, t.data.ids);
}

// eval on the run's own file, with no --split and a file without /split, repeats train's test
// figures: the rows are the run's own test split.
TEST(RunServices, EvalOnOwnFileIsTheRunsTestSplit)
{
    TwoRuns t;
    for (const std::string& dir : {t.probe, t.mlp}) {
        const RunRecord rec = loadRun(dir);
        const RunEvaluation e = evaluateRun(dir, t.data.path);
        EXPECT_TRUE(e.ownFile);
        EXPECT_EQ(e.split, "test");
        expectSameMetrics(e.metrics, rec.test, 1e-6);
        std::int64_t rows = 0;
        for (const char* split : {"train", "validation", "test"})
            rows += evaluateRun(dir, t.data.path, std::string(split)).rows;
        EXPECT_EQ(rows, t.data.rows);
        EXPECT_EQ(evaluateRun(dir, t.data.path, std::string("all")).rows, t.data.rows);
    }
    // A copy of the file under another name is still the run's own (same content).
    const std::string copy = t.dir.file("copy.h5");
    fs::copy_file(t.data.path, copy);
    EXPECT_TRUE(evaluateRun(t.probe, copy).ownFile);
    // Another file without /split: all rows, and a split cannot be chosen.
    FeatureSet other = t.data;
    other.features[0] += 1.0f;
    other.path = t.dir.file("other.h5");
    writeFeatureFile(other.path, other);
    const RunEvaluation e = evaluateRun(t.probe, other.path);
    EXPECT_FALSE(e.ownFile);
    EXPECT_EQ(e.split, "all");
    EXPECT_EQ(e.rows, other.rows);
    EXPECT_THROW(evaluateRun(t.probe, other.path, std::string("test")), Error);
}

// A helper's file named the run's classes in the other order: eval scored it inverted (0.05
// accuracy, exit 0). Classes are matched by name; other names are refused.
TEST(RunServices, EvalMatchesClassesByName)
{
    test::TempDir dir;
    FeatureSet data = test::blobs(300, 8, 2, 5, 0.5);
    data.labelNames = {"safe", "vuln"};
    data.path = dir.file("named.h5");
    writeFeatureFile(data.path, data);
    HeadSpec probe;
    probe.hidden = {};
    const std::string run = saveRun(dir.file("ws"), data, probe, trainHead(data, probe), "probe").dir;
    FeatureSet swapped = data;
    for (auto& label : swapped.labels)
        label = 1 - label;
    swapped.labelNames = {"vuln", "safe"};
    swapped.features[0] += 1e-3f; // not the run's own file
    swapped.path = dir.file("swapped.h5");
    writeFeatureFile(swapped.path, swapped);
    FeatureSet same = data;
    same.features[0] += 1e-3f;
    same.path = dir.file("same.h5");
    writeFeatureFile(same.path, same);
    const RunEvaluation inOrder = evaluateRun(run, same.path), reordered = evaluateRun(run, swapped.path);
    EXPECT_GT(inOrder.metrics.accuracy, 0.8);
    expectSameMetrics(reordered.metrics, inOrder.metrics, 1e-12);
    EXPECT_EQ(reordered.labelNames, data.labelNames);
    FeatureSet other = same;
    other.labelNames = {"good", "bad"};
    other.path = dir.file("other.h5");
    writeFeatureFile(other.path, other);
    try {
        evaluateRun(run, other.path);
        ADD_FAILURE() << "other class names were accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("other.h5: classes good, bad, but run "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("was trained on safe, vuln: class 'good' is not one it knows"),
                  std::string::npos)
            << e.what();
    }
}

// With a saved threshold, compare and eval give the same figures, at that threshold; McNemar's
// outcomes are each run's at its own threshold.
TEST(RunServices, CompareAndEvalAgreeAtTheSavedThreshold)
{
    TwoRuns t;
    setRunThreshold(t.mlp, 0.3);
    const RunComparison c = compareRuns({t.probe, t.mlp});
    ASSERT_EQ(c.runs.size(), 2u);
    EXPECT_FALSE(c.runs[0].savedThreshold);
    EXPECT_TRUE(c.runs[1].savedThreshold);
    EXPECT_EQ(c.runs[1].threshold, 0.3);
    const RunEvaluation e = evaluateRun(t.mlp, t.data.path);
    ASSERT_TRUE(e.threshold);
    EXPECT_EQ(*e.threshold, 0.3);
    expectSameMetrics(c.runs[1].record.test, e.metrics, 1e-6);
    ASSERT_TRUE(c.runs[1].record.test.ci && e.metrics.ci);
    EXPECT_NEAR(c.runs[1].record.test.ci->f1.low, e.metrics.ci->f1.low, 1e-6);

    // Independently of both: the test rows of predictions.csv, classified at p1 >= 0.3.
    const RunPredictions p = loadPredictions(t.mlp);
    std::int64_t correct = 0, total = 0;
    for (std::size_t r = 0; r < p.ids.size(); ++r)
        if (p.split[r] == kTest) {
            ++total;
            correct += (static_cast<double>(p.probabilities[2 * r + 1]) >= 0.3 ? 1 : 0) == p.labels[r];
        }
    EXPECT_NEAR(c.runs[1].record.test.accuracy, static_cast<double>(correct) / static_cast<double>(total), 1e-12);
    std::int64_t secondCorrect = 0;
    for (std::size_t i = 0; i < c.outcomes.rows.size(); ++i) {
        const auto r = static_cast<std::size_t>(c.outcomes.secondRows[i]);
        EXPECT_EQ(c.outcomes.secondCorrect[i], (static_cast<double>(p.probabilities[2 * r + 1]) >= 0.3 ? 1 : 0) == p.labels[r]);
        secondCorrect += c.outcomes.secondCorrect[i];
    }
    EXPECT_EQ(secondCorrect, correct);
    EXPECT_EQ(c.mcnemar->bothCorrect + c.mcnemar->onlySecondCorrect, correct);
}

// Two backbones' feature files of one dataset hold the same samples, often in another order:
// their runs are comparable (the helper's compare of two files warned "different data" while
// McNemar paired every sample). Other labels, another split or other samples are not.
TEST(RunServices, RunsOnTwoFilesOfTheSameSamplesAreComparable)
{
    auto run = [](const std::string& hash, Predictions p) {
        ComparedRun r;
        r.record.featuresHash = hash;
        r.record.featuresPath = hash + ".h5";
        r.record.rows = static_cast<std::int64_t>(p.rows());
        r.record.labelNames = {"safe", "vulnerable"};
        r.predictions = std::move(p);
        return r;
    };
    Predictions a;
    a.numClasses = 2;
    a.labelNames = {"safe", "vulnerable"};
    for (int i = 0; i < 60; ++i) {
        a.ids.push_back("f" + std::to_string(i));
        a.labels.push_back(i % 2);
        a.split.push_back(i % 5 == 0 ? kTest : i % 5 == 1 ? kValidation : kTrain);
        const float p1 = (i % 7 == 0) ? 0.3f : (i % 2 ? 0.8f : 0.2f);
        a.probabilities.insert(a.probabilities.end(), {1 - p1, p1});
    }
    // The second file: the same samples in reverse order, other scores.
    Predictions b = a;
    std::reverse(b.ids.begin(), b.ids.end());
    std::reverse(b.labels.begin(), b.labels.end());
    std::reverse(b.split.begin(), b.split.end());
    for (std::size_t r = 0; r < b.rows(); ++r) {
        const float p1 = b.labels[r] ? 0.6f : 0.45f;
        b.probabilities[2 * r] = 1 - p1;
        b.probabilities[2 * r + 1] = p1;
    }
    const RunComparison c = compareLoadedRuns({run("xxh3_64:aa", a), run("xxh3_64:bb", b)});
    EXPECT_TRUE(c.sameData);
    EXPECT_EQ(c.pairedSplit, "test");
    EXPECT_EQ(c.outcomes.rows.size(), 12u);

    Predictions otherSplit = b;
    std::swap(otherSplit.split[0], otherSplit.split[3]); // f59 (train) and f56 (validation) swap splits
    EXPECT_FALSE(compareLoadedRuns({run("xxh3_64:aa", a), run("xxh3_64:bb", otherSplit)}).sameData);
    Predictions otherLabel = b;
    otherLabel.labels[4] = 1 - otherLabel.labels[4];
    EXPECT_FALSE(compareLoadedRuns({run("xxh3_64:aa", a), run("xxh3_64:bb", otherLabel)}).sameData);
    Predictions otherSample = b;
    otherSample.ids[7] = "g7";
    EXPECT_FALSE(compareLoadedRuns({run("xxh3_64:aa", a), run("xxh3_64:bb", otherSample)}).sameData);
    Predictions fewer = b;
    fewer.ids.pop_back(), fewer.labels.pop_back(), fewer.split.pop_back(), fewer.probabilities.resize(fewer.probabilities.size() - 2);
    EXPECT_FALSE(compareLoadedRuns({run("xxh3_64:aa", a), run("xxh3_64:bb", fewer)}).sameData);
}
