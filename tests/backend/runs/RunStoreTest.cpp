#include <headbench/core/Error.h>
#include <headbench/runs/RunComparison.h>
#include <headbench/runs/RunStore.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <headbench/eval/Compare.h>
#include <headbench/runs/Sweep.h>
#include <nlohmann/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sys/wait.h>
#include <unistd.h>

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
    EXPECT_EQ(back.featuresHash.rfind("xxh3_64:", 0), 0u);
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

// A run folder copied by hand (to keep it before an experiment, or to re-threshold a copy)
// listed under the original's id, and compare refused the two as the same run.
TEST(RunStore, ACopiedRunFolderIsARunOfItsOwn)
{
    SavedRun s;
    const fs::path original(s.record.dir);
    const fs::path copy = original.parent_path() / (original.filename().string() + "-copy");
    fs::copy(original, copy, fs::copy_options::recursive);
    const auto runs = listRuns(fs::path(s.record.dir).parent_path().parent_path().string());
    ASSERT_EQ(runs.size(), 2u);
    std::set<std::string> ids;
    for (const auto& r : runs)
        ids.insert(r.id);
    EXPECT_EQ(ids, (std::set<std::string>{s.record.id, s.record.id + "-copy"}));
    EXPECT_EQ(loadRun(copy.string() + "/").id, s.record.id + "-copy"); // a trailing slash too
    EXPECT_NO_THROW(compareRuns({original.string(), copy.string()}));
    EXPECT_THROW(compareRuns({original.string(), original.string() + "/"}), Error);
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

// ---- The lifecycle of a run folder: running, interrupted, finished ----

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
    // A blank name listed the run as nothing; it is refused and the name kept.
    for (const char* blank : {"", "  \t"})
        EXPECT_THROW(renameRun(rec.dir, blank), Error);
    EXPECT_EQ(loadRun(rec.dir).name, "baseline");
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

TEST(RunLifecycle, ManyWritersBeginRunsInOneWorkspaceAtOnce)
{
    // The tasks of a job array write into one shared workspace: 4 processes beginning 40 runs each
    // as fast as they can (many in the same second) get 160 distinct, complete run folders.
    test::TempDir dir;
    const FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    const std::string ws = dir.file("ws");
    std::vector<pid_t> children;
    for (int c = 0; c < 4; ++c) {
        const pid_t child = fork();
        if (child == 0) {
            int code = 0;
            try {
                for (int i = 0; i < 40; ++i)
                    beginRun(ws, data, spec, "w" + std::to_string(c) + "-" + std::to_string(i));
            } catch (...) {
                code = 1;
            }
            _exit(code);
        }
        children.push_back(child);
    }
    for (pid_t child : children) {
        int status = 0;
        waitpid(child, &status, 0);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(fs::path(ws) / "runs")) {
        const std::string folder = e.path().filename().string();
        EXPECT_FALSE(folder.starts_with(".")) << folder; // no staging folder left behind
        EXPECT_TRUE(fs::exists(e.path() / "running.json")) << folder;
    }
    for (const RunRecord& r : listRuns(ws, nullptr, true)) {
        EXPECT_EQ(fs::path(r.dir).filename().string(), r.id);
        names.insert(r.name);
    }
    EXPECT_EQ(names.size(), 160u);
}

TEST(RunLifecycle, ARunOfAnotherHostIsRunningUntilMarkedInterrupted)
{
    test::TempDir dir;
    const FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    const std::string ws = dir.file("ws");
    const std::string run = beginRun(ws, data, spec, "on node 7");
    // As a task on another node of a shared workspace leaves it: its process id means nothing here.
    const fs::path record = fs::path(run) / "running.json";
    nlohmann::json j = nlohmann::json::parse(std::ifstream(record));
    j["host"] = "node-7";
    j["pid"] = 999999;
    std::ofstream(record) << j.dump();
    ASSERT_EQ(listRuns(ws, nullptr, true).size(), 1u);
    EXPECT_EQ(listRuns(ws, nullptr, true)[0].status, "running");
    EXPECT_EQ(listRuns(ws, nullptr, true)[0].host, "node-7");
    markInterrupted(run, "20990101-000000-abcdef");
    EXPECT_EQ(listRuns(ws, nullptr, true)[0].status, "interrupted");
    EXPECT_EQ(nlohmann::json::parse(std::ifstream(record)).value("retried_by", ""), "20990101-000000-abcdef");
}

// The same for a run that never finished: its copy was listed under the original's id.
TEST(RunLifecycle, ACopiedUnfinishedRunFolderIsListedByItsFolder)
{
    test::TempDir dir;
    const FeatureSet data = savedFeatures(dir);
    HeadSpec spec;
    const std::string ws = dir.file("ws");
    const fs::path run = beginRun(ws, data, spec, "half done");
    markInterrupted(run.string(), "");
    fs::copy(run, run.parent_path() / "kept-copy", fs::copy_options::recursive);
    std::set<std::string> ids, names;
    for (const auto& r : listRuns(ws, nullptr, true)) {
        ids.insert(r.id);
        names.insert(r.name);
    }
    EXPECT_EQ(ids, (std::set<std::string>{run.filename().string(), "kept-copy"}));
    EXPECT_EQ(names, (std::set<std::string>{"half done"}));
}

// Numbers another writer (or a damaged disk) puts in run files: a count that is a huge float, a
// fraction or negative must be reported as a damaged file naming the field, never cast (which is
// undefined behaviour and, in practice, a garbage dimension or confusion count). A whole float
// such as 3.0, which a Python writer may produce, is the number it says.
TEST(RunStore, NumbersThatAreNotCountsMarkTheRunDamaged)
{
    SavedRun s;
    const fs::path dir(s.record.dir);
    const auto readJson = [](const fs::path& p) { return nlohmann::json::parse(test::readFile(p.string())); };
    const nlohmann::json run = readJson(dir / "run.json");
    const nlohmann::json metrics = readJson(dir / "metrics.json");
    struct Case {
        const char* file;
        std::function<void(nlohmann::json&)> edit;
        const char* field;
    };
    const std::vector<Case> cases = {
        {"run.json", [](nlohmann::json& j) { j["features"]["dim"] = 3.3e27; }, "\"dim\""},
        {"run.json", [](nlohmann::json& j) { j["best_epoch"] = 1e300; }, "\"best_epoch\""},
        {"run.json", [](nlohmann::json& j) { j["parameters"] = 2.5; }, "\"parameters\""},
        {"run.json", [](nlohmann::json& j) { j["train_rows"] = "many"; }, "\"train_rows\""},
        {"metrics.json", [](nlohmann::json& j) { j["test"]["confusion"][0][0] = 1.5; }, "confusion count"},
        {"metrics.json", [](nlohmann::json& j) { j["test"]["confusion"][0][1] = -4; }, "confusion count"},
        {"metrics.json", [](nlohmann::json& j) { j["validation"]["count"] = -1e30; }, "\"count\""},
    };
    for (const Case& c : cases) {
        nlohmann::json edited = std::string(c.file) == "run.json" ? run : metrics;
        c.edit(edited);
        test::writeFile((dir / c.file).string(), edited.dump());
        try {
            loadRun(s.record.dir);
            ADD_FAILURE() << c.file << " edited to " << edited.dump() << " was read";
        } catch (const DamagedFile& e) {
            const std::string what = e.what();
            EXPECT_EQ(e.path(), (dir / c.file).string()) << what; // the file, not only the folder
            EXPECT_NE(e.reason().find(c.field), std::string::npos) << what;
            EXPECT_EQ(e.reason().find("json.exception"), std::string::npos) << what;
        }
        test::writeFile((dir / "run.json").string(), run.dump());
        test::writeFile((dir / "metrics.json").string(), metrics.dump());
    }
    // Whole floats are the counts they spell.
    nlohmann::json floats = run;
    floats["features"]["dim"] = 12.0;
    floats["best_epoch"] = 3.0;
    test::writeFile((dir / "run.json").string(), floats.dump());
    const RunRecord back = loadRun(s.record.dir);
    EXPECT_EQ(back.dim, 12);
    EXPECT_EQ(back.bestEpoch, 3);
    EXPECT_EQ(back.test.confusion, s.result.test.confusion);

    // cv.json: a number of folds that is not one is a damaged file too.
    test::writeFile((dir / "cv.json").string(), R"({"k":1e30,"mean":{},"sd":{}})");
    EXPECT_THROW(loadCrossValidationSummary(s.record.dir), DamagedFile);
    test::writeFile((dir / "cv.json").string(), R"({"k":1,"mean":{},"sd":{}})");
    EXPECT_THROW(loadCrossValidationSummary(s.record.dir), DamagedFile);
}

// A run file cut short (a full disk, a copy interrupted) or emptied is named, with what is wrong
// in plain words and where, instead of the JSON library's own text.
// Values that parse but cannot be right were used as they were: a saved threshold of 1.5 or 0
// decided every prediction in compare, eval and the window, and an F1 of 7.5 was listed.
TEST(RunStore, AThresholdOrMetricThatCannotBeIsDamage)
{
    SavedRun s;
    const fs::path dir(s.record.dir);
    const auto reasonOf = [&](const char* file, const std::string& from, const std::string& to) {
        const std::string original = test::readFile((dir / file).string());
        std::string changed = original;
        const auto at = changed.find(from);
        EXPECT_NE(at, std::string::npos) << from << " in " << file;
        if (at == std::string::npos)
            return std::string();
        changed.replace(at, from.size(), to);
        test::writeFile((dir / file).string(), changed);
        std::string reason;
        try {
            loadRun(s.record.dir);
        } catch (const DamagedFile& e) {
            EXPECT_EQ(e.path(), (dir / file).string());
            reason = e.reason();
        }
        test::writeFile((dir / file).string(), original);
        return reason;
    };
    setRunThreshold(s.record.dir, 0.25);
    EXPECT_EQ(loadRun(s.record.dir).threshold, 0.25);
    for (const char* bad : {"1.5", "0", "-0.2", "\"half\""})
        EXPECT_EQ(reasonOf("run.json", "\"threshold\": 0.25", std::string("\"threshold\": ") + bad),
                  std::string("threshold ") + bad + " is not a probability in (0, 1)");
    const nlohmann::json metrics = nlohmann::json::parse(test::readFile((dir / "metrics.json").string()));
    const std::string f1 = "\"f1\": " + metrics["test"]["f1"].dump();
    EXPECT_EQ(reasonOf("metrics.json", f1, "\"f1\": 7.5"), "'f1' 7.5 is outside [0, 1]");
    EXPECT_EQ(reasonOf("metrics.json", f1, "\"f1\": \"high\""), "'f1' is string, expected a number");
    EXPECT_NO_THROW(loadRun(s.record.dir));
}

TEST(RunStore, ListingsReadAThresholdedRunAgainOnlyWhenItsFilesChange)
{
    SavedRun s;
    setRunThreshold(s.record.dir, 0.3);
    const RunPredictions p = loadPredictions(s.record.dir);
    RunRecord expected = loadRun(s.record.dir);
    metricsAtThreshold(expected, p, 0.3);

    SavedThresholdCache cache;
    const auto listed = [&] {
        std::vector<RunRecord> runs = listRuns(s.dir.file("ws"));
        putRunsAtSavedThresholds(runs, &cache);
        EXPECT_EQ(runs.size(), 1u);
        return runs.empty() ? RunRecord{} : runs[0];
    };
    const RunRecord first = listed();
    EXPECT_EQ(cache.hits(), 0u);
    EXPECT_DOUBLE_EQ(first.test.f1, expected.test.f1);
    ASSERT_TRUE(first.test.ci && expected.test.ci);
    EXPECT_DOUBLE_EQ(first.test.ci->f1.low, expected.test.ci->f1.low);
    const RunRecord second = listed();
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_DOUBLE_EQ(second.test.f1, first.test.f1);
    EXPECT_EQ(second.status, first.status);

    // A new threshold is a new figure at once, even within the file system's time resolution.
    setRunThreshold(s.record.dir, 0.7);
    RunRecord at07 = loadRun(s.record.dir);
    metricsAtThreshold(at07, p, 0.7);
    const RunRecord third = listed();
    EXPECT_EQ(cache.hits(), 1u);
    EXPECT_DOUBLE_EQ(third.test.f1, at07.test.f1);
    EXPECT_DOUBLE_EQ(third.test.accuracy, at07.test.accuracy);

    // Predictions cut short: the run is damaged, not served from the cache.
    const std::string predictions = (fs::path(s.record.dir) / "predictions.csv").string();
    std::string text = test::readFile(predictions);
    text.resize(text.rfind('\n', text.size() - 2) + 1);
    test::writeFile(predictions, text);
    const RunRecord fourth = listed();
    EXPECT_EQ(fourth.status, "damaged");
    EXPECT_NE(fourth.problem.find("predictions.csv"), std::string::npos) << fourth.problem;
}

TEST(RunStore, ACutOrEmptyRunFileIsNamedWithWhereItEnds)
{
    SavedRun s;
    const fs::path dir(s.record.dir);
    for (const char* file : {"run.json", "history.json", "metrics.json"}) {
        const std::string original = test::readFile((dir / file).string());
        struct Case {
            std::string text;
            std::string reason; ///< the start of DamagedFile::reason()
        };
        const std::string cut = original.substr(0, original.size() / 2);
        const auto lines = std::count(cut.begin(), cut.end(), '\n');
        for (const Case& c : {Case{"", "empty"}, Case{cut, "cut short at line " + std::to_string(lines + 1) + ", column "},
                              Case{"{\"id\": nope}", "not valid JSON at line 1, column "}}) {
            test::writeFile((dir / file).string(), c.text);
            try {
                loadRun(s.record.dir);
                ADD_FAILURE() << file << " holding '" << c.text.substr(0, 40) << "' was read";
            } catch (const DamagedFile& e) {
                EXPECT_EQ(e.path(), (dir / file).string());
                EXPECT_EQ(e.reason().rfind(c.reason, 0), 0u) << e.what();
                EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
            }
        }
        test::writeFile((dir / file).string(), original);
    }
    // Valid JSON that is not an object: said as such, not as the library's "cannot use at()".
    const std::string runJson = (dir / "run.json").string(), original = test::readFile(runJson);
    for (const auto& [text, holds] : {std::pair{"null", "holds null"}, std::pair{"[1, 2]", "holds an array"}}) {
        test::writeFile(runJson, text);
        try {
            loadRun(s.record.dir);
            ADD_FAILURE() << "run.json holding " << text << " was read";
        } catch (const DamagedFile& e) {
            EXPECT_EQ(e.path(), runJson);
            EXPECT_EQ(e.reason(), std::string(holds) + " where an object of named fields is expected") << e.what();
        }
    }
    test::writeFile(runJson, original);
    EXPECT_NO_THROW(loadRun(s.record.dir));
}

// Files of a run that each read well but are not what the run saved: a predictions.csv cut at a
// line boundary (compare called the runs' samples "different"), one whose classes are not
// run.json's, and a head.pt copied from another run of the same shape (eval scored it).
TEST(RunStore, PredictionsAndHeadMustBeTheRunsOwn)
{
    SavedRun s;
    HeadSpec otherSpec = s.spec;
    otherSpec.seed += 1;
    const RunRecord other = saveRun(s.dir.file("ws"), s.data, otherSpec, trainHead(s.data, otherSpec), "other");
    const fs::path dir(s.record.dir);
    const std::string predictions = (dir / "predictions.csv").string(), head = (dir / "head.pt").string(),
                      runJson = (dir / "run.json").string();
    const std::string originalPredictions = test::readFile(predictions), originalHead = test::readFile(head),
                      originalRun = test::readFile(runJson);
    auto refusal = [](const std::function<void()>& read) {
        try {
            read();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(read)");
    };

    // Cut after line 291 of 301 (the header and 290 rows): every line whole.
    std::size_t at = 0;
    for (int line = 0; line < 291; ++line)
        at = originalPredictions.find('\n', at) + 1;
    test::writeFile(predictions, originalPredictions.substr(0, at));
    EXPECT_EQ(refusal([&] { loadPredictions(s.record.dir); }),
              predictions + ": 290 rows, but the run was trained on a file of 300: the file is cut short or comes from "
                            "another run");
    test::writeFile(predictions, originalPredictions);

    nlohmann::json run = nlohmann::json::parse(originalRun);
    ASSERT_EQ(run["label_names"], (std::vector<std::string>{"class0", "class1"}));
    run["label_names"] = {"safe", "vulnerable"};
    test::writeFile(runJson, run.dump());
    EXPECT_EQ(refusal([&] { loadPredictions(s.record.dir); }),
              predictions + ": classes class0, class1, but run.json names safe, vulnerable");
    run["label_names"] = {"a", "b", "c"};
    test::writeFile(runJson, run.dump());
    EXPECT_EQ(refusal([&] { loadRunHead(s.record.dir); }), head + ": the head predicts 2 classes, but run.json names 3");
    test::writeFile(runJson, originalRun);

    // The other run's head has the same shape (12 inputs, 16 hidden, 2 classes): only the
    // saved hash tells them apart.
    ASSERT_NE(test::readFile((fs::path(other.dir) / "head.pt").string()), originalHead);
    fs::copy_file(fs::path(other.dir) / "head.pt", head, fs::copy_options::overwrite_existing);
    EXPECT_EQ(refusal([&] { loadRunHead(s.record.dir); }).rfind(head + ": not the head run " + s.record.id + " saved", 0), 0u);
    // A run saved before the hash was kept has none, and its head is read as it is.
    run = nlohmann::json::parse(originalRun);
    run.erase("head_hash");
    test::writeFile(runJson, run.dump());
    EXPECT_EQ(loadRunHead(s.record.dir).numClasses(), 2);
    test::writeFile(runJson, originalRun);
    test::writeFile(head, originalHead);
    EXPECT_EQ(loadRunHead(s.record.dir).inputDim(), 12);
    EXPECT_EQ(loadPredictions(s.record.dir).ids.size(), 300u);
}

// A workspace moved elsewhere with its feature file: the runs named the old absolute path and
// all read as "no features", with the same file beside them.
TEST(RunStore, AMovedWorkspaceFindsItsFeatureFileBesideItsRuns)
{
    SavedRun s;
    const fs::path moved = fs::path(s.dir.file("moved")) / "ws";
    fs::create_directories(moved.parent_path());
    fs::copy(s.dir.file("ws"), moved, fs::copy_options::recursive);
    const fs::path runDir = moved / "runs" / s.record.id;
    // While the recorded file is there, it is the one.
    EXPECT_EQ(loadRun(runDir.string()).featuresPath, fs::absolute(s.data.path).string());

    fs::create_directories(moved / "features");
    fs::copy_file(s.data.path, moved / "features" / "features.h5");
    fs::remove(s.data.path);
    RunRecord back = loadRun(runDir.string() + "/");
    EXPECT_EQ(back.featuresPath, (moved / "features" / "features.h5").string());
    EXPECT_EQ(checkFeatures(back), FeaturesState::Same);

    // A file of that name but another size is not it.
    fs::remove(moved / "features" / "features.h5");
    test::writeFile((moved / "features.h5").string(), "not the features");
    back = loadRun(runDir.string());
    EXPECT_EQ(back.featuresPath, fs::absolute(s.data.path).string());
    EXPECT_EQ(checkFeatures(back), FeaturesState::Missing);
}
