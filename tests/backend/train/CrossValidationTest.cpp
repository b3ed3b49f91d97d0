#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/CrossValidationShards.h>
#include <headbench/runs/RunStore.h>
#include <filesystem>
#include <headbench/core/Error.h>
#include <headbench/data/Split.h>
#include <headbench/eval/LabelIssues.h>
#include <headbench/train/CrossValidation.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using namespace headbench;

namespace {

std::vector<std::int32_t> labelsOf(int rows, int classes)
{
    std::vector<std::int32_t> y(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i)
        y[static_cast<std::size_t>(i)] = (i * 7 + i / 3) % classes; // unequal-looking order, fixed
    return y;
}

} // namespace

TEST(CrossValidationFolds, StratifiedEveryPoolRowInOneFoldTestRowsInNone)
{
    const int rows = 503, classes = 3, K = 5;
    auto y = labelsOf(rows, classes);
    std::vector<std::uint8_t> pool(rows, 1);
    for (int i = 0; i < rows; i += 10)
        pool[static_cast<std::size_t>(i)] = 0; // test rows
    const auto fold = assignFolds(y, {}, pool, classes, K, 42);
    ASSERT_EQ(fold.size(), static_cast<std::size_t>(rows));
    std::vector<std::vector<int>> perClass(K, std::vector<int>(classes, 0));
    for (int i = 0; i < rows; ++i) {
        if (!pool[static_cast<std::size_t>(i)]) {
            EXPECT_EQ(fold[static_cast<std::size_t>(i)], -1);
            continue;
        }
        ASSERT_GE(fold[static_cast<std::size_t>(i)], 0);
        ASSERT_LT(fold[static_cast<std::size_t>(i)], K);
        ++perClass[static_cast<std::size_t>(fold[static_cast<std::size_t>(i)])][static_cast<std::size_t>(y[static_cast<std::size_t>(i)])];
    }
    // Stratified: within each class, the folds' counts differ by at most one.
    for (int c = 0; c < classes; ++c) {
        int lo = rows, hi = 0;
        for (int f = 0; f < K; ++f) {
            lo = std::min(lo, perClass[static_cast<std::size_t>(f)][static_cast<std::size_t>(c)]);
            hi = std::max(hi, perClass[static_cast<std::size_t>(f)][static_cast<std::size_t>(c)]);
        }
        EXPECT_LE(hi - lo, 1) << "class " << c;
    }
}

TEST(CrossValidationFolds, ReproducibleFromTheSeed)
{
    auto y = labelsOf(400, 2);
    std::vector<std::uint8_t> pool(400, 1);
    EXPECT_EQ(assignFolds(y, {}, pool, 2, 5, 7), assignFolds(y, {}, pool, 2, 5, 7));
    EXPECT_NE(assignFolds(y, {}, pool, 2, 5, 7), assignFolds(y, {}, pool, 2, 5, 8));
    std::vector<std::string> groups(400);
    for (int i = 0; i < 400; ++i)
        groups[static_cast<std::size_t>(i)] = "g" + std::to_string(i % 37);
    EXPECT_EQ(assignFolds(y, groups, pool, 2, 5, 7), assignFolds(y, groups, pool, 2, 5, 7));
    EXPECT_NE(assignFolds(y, groups, pool, 2, 5, 7), assignFolds(y, groups, pool, 2, 5, 9));
}

TEST(CrossValidationFolds, ByGroupNoGroupInTwoFoldsAndNoFoldEmpty)
{
    const int rows = 600, K = 4;
    auto y = labelsOf(rows, 2);
    std::vector<std::string> groups(rows);
    for (int i = 0; i < rows; ++i) // groups of very different sizes
        groups[static_cast<std::size_t>(i)] = "project" + std::to_string((i * i) % 23);
    std::vector<std::uint8_t> pool(rows, 1);
    pool[0] = pool[1] = 0;
    const auto fold = assignFolds(y, groups, pool, 2, K, 3);
    std::map<std::string, std::set<int>> foldsOfGroup;
    std::vector<int> size(K, 0);
    for (int i = 0; i < rows; ++i) {
        if (!pool[static_cast<std::size_t>(i)]) {
            EXPECT_EQ(fold[static_cast<std::size_t>(i)], -1);
            continue;
        }
        foldsOfGroup[groups[static_cast<std::size_t>(i)]].insert(fold[static_cast<std::size_t>(i)]);
        ++size[static_cast<std::size_t>(fold[static_cast<std::size_t>(i)])];
    }
    for (const auto& [g, folds] : foldsOfGroup)
        EXPECT_EQ(folds.size(), 1u) << g << " lies in several folds";
    for (int f = 0; f < K; ++f)
        EXPECT_GT(size[static_cast<std::size_t>(f)], 0) << "fold " << f;
}

TEST(CrossValidationFolds, RefusesTooFewFoldsRowsOrGroups)
{
    auto y = labelsOf(20, 2);
    std::vector<std::uint8_t> pool(20, 1);
    EXPECT_THROW(assignFolds(y, {}, pool, 2, 1, 0), Error);
    std::vector<std::uint8_t> few(20, 0);
    few[0] = few[1] = 1;
    EXPECT_THROW(assignFolds(y, {}, few, 2, 3, 0), Error);
    std::vector<std::string> groups(20, "a");
    groups[5] = "b";
    try {
        assignFolds(y, groups, pool, 2, 3, 0);
        FAIL() << "two groups cannot make three folds";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("groups"), std::string::npos) << e.what();
    }
}

TEST(CrossValidation, OutOfFoldProbabilitiesForPoolRowsOnlyAndReproducible)
{
    FeatureSet data = test::blobs(400, 8, 2, 5, 0.8);
    data.path = "blobs.h5";
    HeadSpec spec;
    spec.hidden = {};
    spec.epochs = 8;
    spec.batchSize = 64;
    spec.learningRate = 1e-2;
    spec.seed = 13;
    const auto cv = crossValidate(data, spec, 4);
    const auto split = chooseSplit(data, SplitMode::Auto, spec.seed).split;
    ASSERT_EQ(cv.folds.size(), 4u);
    std::int64_t pooled = 0, correct = 0;
    for (std::int64_t r = 0; r < data.rows; ++r) {
        const float* p = cv.outOfFold.data() + r * 2;
        if (split[static_cast<std::size_t>(r)] == kTest) {
            EXPECT_EQ(cv.fold[static_cast<std::size_t>(r)], -1);
            EXPECT_TRUE(std::isnan(p[0]));
            continue;
        }
        ++pooled;
        EXPECT_NEAR(p[0] + p[1], 1.0, 1e-5);
        correct += (p[1] > p[0]) == (data.labels[static_cast<std::size_t>(r)] == 1);
    }
    EXPECT_EQ(cv.mean.count, pooled);
    EXPECT_GT(static_cast<double>(correct) / static_cast<double>(pooled), 0.9); // blobs are easy
    double meanAccuracy = 0;
    std::int64_t rows = 0;
    for (std::size_t f = 0; f < cv.folds.size(); ++f) {
        meanAccuracy += cv.folds[f].accuracy / 4;
        rows += cv.foldRows[f];
    }
    EXPECT_EQ(rows, pooled);
    EXPECT_NEAR(cv.mean.accuracy, meanAccuracy, 1e-12);
    EXPECT_GE(cv.sd.accuracy, 0.0);
    const auto again = crossValidate(data, spec, 4);
    EXPECT_EQ(again.fold, cv.fold);
    for (std::size_t i = 0; i < cv.outOfFold.size(); ++i) {
        if (!std::isnan(cv.outOfFold[i])) {
            ASSERT_EQ(again.outOfFold[i], cv.outOfFold[i]) << i;
        }
    }
}

TEST(CrossValidation, SavedOutOfFoldReadsBack)
{
    test::TempDir dir;
    FeatureSet data = test::blobs(120, 4, 3, 2, 0.5);
    data.path = "blobs.h5";
    HeadSpec spec;
    spec.hidden = {};
    spec.epochs = 3;
    const auto cv = crossValidate(data, spec, 3);
    saveCrossValidation(dir.path().string(), data, cv);
    const OutOfFold o = loadOutOfFold(dir.path().string());
    EXPECT_EQ(o.labelNames, data.labelNames);
    EXPECT_EQ(static_cast<std::int64_t>(o.ids.size()), cv.mean.count);
    std::size_t k = 0;
    for (std::int64_t r = 0; r < data.rows; ++r) {
        if (cv.fold[static_cast<std::size_t>(r)] < 0)
            continue;
        EXPECT_EQ(o.ids[k], data.idOf(r));
        EXPECT_EQ(o.fold[k], cv.fold[static_cast<std::size_t>(r)]);
        for (int c = 0; c < 3; ++c)
            EXPECT_EQ(o.probabilities[k * 3 + static_cast<std::size_t>(c)], cv.outOfFold[static_cast<std::size_t>(r * 3 + c)]);
        ++k;
    }
    // Not the run's own file: cut at a line boundary, a fold the run does not have, an id twice.
    const std::string whole = test::readFile(dir.file("oof.csv"));
    const auto refusal = [&](const std::string& text) {
        test::writeFile(dir.file("oof.csv"), text);
        try {
            loadOutOfFold(dir.path().string());
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    std::string cut = whole;
    for (int lines = 0; lines < 11; ++lines)
        cut = cut.substr(0, cut.rfind('\n', cut.size() - 2) + 1);
    EXPECT_NE(refusal(cut).find("oof.csv: " + std::to_string(o.ids.size() - 11) + " rows, but cv.json pooled " +
                                std::to_string(o.ids.size())),
              std::string::npos)
        << refusal(cut);
    std::string fold99 = whole;
    const auto firstRow = fold99.find('\n') + 1;
    const auto foldAt = fold99.find(',', fold99.find(',', firstRow) + 1) + 1;
    fold99.replace(foldAt, fold99.find(',', foldAt) - foldAt, "99");
    EXPECT_NE(refusal(fold99).find("oof.csv: row 1 is in fold 99, but the run has 3 folds"), std::string::npos) << refusal(fold99);
    std::string twice = whole;
    const auto secondRow = twice.find('\n', firstRow) + 1;
    twice.replace(secondRow, twice.find(',', secondRow) - secondRow, twice.substr(firstRow, twice.find(',', firstRow) - firstRow));
    EXPECT_NE(refusal(twice).find("' is on two rows"), std::string::npos) << refusal(twice);
    test::writeFile(dir.file("oof.csv"), "id,label,fold,p_a,p_b\nx,0,0,0.5\n");
    try {
        loadOutOfFold(dir.path().string());
        FAIL() << "a short line must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("oof.csv: line 2"), std::string::npos) << e.what();
    }
}

TEST(ShardedCrossValidation, TasksInAnyOrderGiveOneProcesssFoldsAndOutOfFoldProbabilities)
{
    namespace fs = std::filesystem;
    test::TempDir dir;
    FeatureSet data = test::blobs(360, 8, 3, 17, 2.0);
    data.path = dir.file("features.h5");
    writeFeatureFile(data.path, data);
    HeadSpec spec;
    spec.hidden = {16};
    spec.epochs = 3;
    spec.seed = 9;
    const CrossValidationResult one = crossValidate(data, spec, 4);

    // 4 folds and the run: 5 points over 2 tasks, the second task first.
    const std::string ws = dir.file("ws");
    ShardedCrossValidation request{.workspace = ws, .groupId = "cv-test", .k = 4};
    request.options.leakage.method = LeakageOptions::Method::Off;
    request.shard = parseShard("1/2");
    const ShardedCrossValidationResult second = runShardedCrossValidation(data, spec, request);
    EXPECT_EQ(second.trained.size(), 2u); // folds 1 and 3
    EXPECT_FALSE(second.run);
    EXPECT_FALSE(second.gathered);
    EXPECT_EQ(second.waitingFor, (std::vector<int>{0, 2}));
    EXPECT_THROW(gatherCrossValidation(ws, "cv-other"), Error);
    EXPECT_FALSE(gatherCrossValidation(ws, "cv-test").gathered);

    request.shard = parseShard("0/2");
    const ShardedCrossValidationResult first = runShardedCrossValidation(data, spec, request);
    EXPECT_EQ(first.trained.size(), 2u); // folds 0 and 2
    ASSERT_TRUE(first.run);               // point 4
    EXPECT_TRUE(first.gathered);          // the last piece landed here
    const OutOfFold want = [&] {
        saveCrossValidation(dir.file(""), data, one);
        return readOutOfFoldCsv(dir.file("oof.csv"));
    }();
    const OutOfFold got = loadOutOfFold(first.run->dir);
    EXPECT_EQ(got.ids, want.ids);
    EXPECT_EQ(got.fold, want.fold);
    EXPECT_EQ(got.probabilities, want.probabilities);
    const auto summary = loadCrossValidationSummary(first.run->dir);
    ASSERT_TRUE(summary);
    EXPECT_EQ(summary->k, 4);
    EXPECT_DOUBLE_EQ(summary->mean.f1, one.mean.f1);
    EXPECT_DOUBLE_EQ(summary->sd.accuracy, one.sd.accuracy);
    EXPECT_EQ(summary->pooledRows, one.mean.count);

    // A re-queued task finds its folds and the run done; gathering again changes nothing.
    const ShardedCrossValidationResult again = runShardedCrossValidation(data, spec, request);
    EXPECT_TRUE(again.trained.empty());
    EXPECT_EQ(again.foldsSavedBefore, (std::vector<int>{0, 2}));
    EXPECT_TRUE(again.runFinishedBefore);
    EXPECT_TRUE(gatherCrossValidation(ws, "cv-test").alreadyGathered);

    // Another seed under the same id has other folds: refused, naming the fold file.
    HeadSpec other = spec;
    other.seed = 10;
    try {
        runShardedCrossValidation(data, other, request);
        FAIL() << "folds of another seed were taken";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("fold-0.json"), std::string::npos) << e.what();
    }
}
