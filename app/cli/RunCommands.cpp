// headbench-cli runs, eval and compare: reading saved runs.
#include "CliOutput.h"
#include "Commands.h"


#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/data/Leakage.h>
#include <headbench/runs/Bootstrap.h>
#include <headbench/runs/Compare.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

namespace headbench::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- runs ----
int runRuns(const std::string& workspace, bool asJson)
{
    std::vector<std::string> problems;
    const auto runs = listRuns(workspace, &problems, /*includeUnfinished=*/true);
    for (const auto& p : problems)
        fmt::print(stderr, "skipped: {}\n", p);
    if (asJson) {
        json arr = json::array();
        for (const auto& r : runs)
            arr.push_back({{"run", r.id},
                           {"dir", r.dir},
                           {"name", r.name},
                           {"created", r.created},
                           {"status", r.status},
                           {"features_state", r.finished() ? (checkFeatures(r) == FeaturesState::Same ? "same"
                                                              : checkFeatures(r) == FeaturesState::Changed ? "changed" : "missing")
                                                           : "n/a"},
                           {"tags", r.tags},
                           {"sweep", r.sweepId.empty() ? json(nullptr) : json(r.sweepId)},
                           {"summary", summary(r.spec)},
                           {"backbone", r.backbone},
                           {"features", r.featuresPath},
                           {"best_epoch", r.bestEpoch},
                           {"parameters", r.parameters},
                           {"metrics", valTestMetricsJson(r)}});
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    if (runs.empty()) {
        fmt::print("no runs in {}\n", workspace);
        return kOk;
    }
    fmt::print("{:<21} {:<12} {:<32} {:>6} {:>8} {:>8} {:>8} {:>8}\n", "run", "status", "head", "best", "val f1", "test f1",
               "test auc", "test ece");
    for (const auto& r : runs) {
        std::string status = r.status;
        if (r.finished() && checkFeatures(r) != FeaturesState::Same)
            status = checkFeatures(r) == FeaturesState::Missing ? "no-features" : "features-changed";
        fmt::print("{:<21} {:<12} {:<32} {:>6} {:>8} {:>8} {:>8} {:>8}\n", r.id, status, summary(r.spec).substr(0, 32),
                   r.finished() ? std::to_string(r.bestEpoch) : std::string("-"), fmtMetric(r.validation.f1),
                   fmtMetric(r.test.f1), fmtMetric(r.test.rocAuc), fmtMetric(r.test.ece));
    }
    return kOk;
}

// ---- eval ----
int runEval(const std::string& runDir, const std::string& features, const std::string& splitName, bool asJson,
            std::optional<double> thresholdOption)
{
    const RunRecord rec = loadRun(runDir);
    // --threshold, else the one saved with the run, else 0.5; only two classes have one.
    const double threshold = thresholdOption ? *thresholdOption : rec.threshold.value_or(0.5);
    if (thresholdOption && !(*thresholdOption > 0 && *thresholdOption < 1))
        throw Error(fmt::format("--threshold {}: expected a probability in (0, 1)", *thresholdOption));
    const TrainedHead head = loadRunHead(runDir);
    const FeatureSet data = readFeatureFile(features, {.loadTexts = false});
    if (data.dim != head.inputDim())
        throw Error(fmt::format("{}: {} features per row, but the head of run {} takes {}", features, data.dim, rec.id,
                                head.inputDim()));
    if (data.numClasses() != head.numClasses())
        throw Error(fmt::format("{}: {} classes, but the head of run {} predicts {}", features, data.numClasses(), rec.id,
                                head.numClasses()));
    int wanted = -1;
    if (splitName == "train") wanted = kTrain;
    else if (splitName == "validation") wanted = kValidation;
    else if (splitName == "test") wanted = kTest;
    if (wanted >= 0 && data.split.empty())
        throw Error(features + ": has no /split, so --split " + splitName + " cannot be applied (use --split all)");
    const auto probs = head.predictProba(data.features.data(), data.rows);
    std::vector<std::int32_t> labels;
    std::vector<float> selected;
    const int k = head.numClasses();
    for (std::int64_t r = 0; r < data.rows; ++r)
        if (wanted < 0 || data.split[static_cast<std::size_t>(r)] == wanted) {
            labels.push_back(data.labels[static_cast<std::size_t>(r)]);
            selected.insert(selected.end(), probs.begin() + r * k, probs.begin() + (r + 1) * k);
        }
    if (labels.empty())
        throw Error(features + ": no rows in split '" + splitName + "'");
    if (thresholdOption && k != 2)
        throw Error(fmt::format("--threshold: run {} has {} classes; a threshold applies to two", rec.id, k));
    Metrics m = computeMetrics(labels, selected, k, threshold);
    m.ci = bootstrapIntervals(labels, selected, k, threshold, {.seed = rec.spec.seed});
    if (asJson) {
        std::cout << json{{"run", rec.id}, {"features", features}, {"split", splitName}, {"threshold", threshold},
                          {"metrics", metricsJson(m)}}
                         .dump(2)
                  << "\n";
        return kOk;
    }
    fmt::print("run {} on {} ({}, {}{})\n", rec.id, features, splitName, plural(labels.size(), "row"),
               k == 2 ? fmt::format(", threshold {}", threshold) : std::string());
    printMetricsTable({{splitName, &m}});
    printConfusion(m, data.labelNames);
    return kOk;
}

// ---- compare ----
int runCompare(const std::vector<std::string>& dirs, bool asJson)
{
    if (dirs.size() < 2)
        throw Error("compare needs two or more run folders");
    std::vector<RunRecord> runs;
    std::vector<HeadSpec> specs;
    for (const auto& d : dirs) {
        runs.push_back(loadRun(d));
        specs.push_back(runs.back().spec);
    }
    const auto differences = diffSpecs(specs);
    json mcnemarJson = nullptr;
    std::optional<McNemarResult> test;
    std::string mcnemarSplit;
    std::optional<PairedDifferences> metricDiffs; // second run minus first, on the McNemar split
    if (runs.size() == 2) {
        const RunPredictions a = loadPredictions(dirs[0]), b = loadPredictions(dirs[1]);
        PairedOutcomes paired = pairOutcomes(a, b, kTest);
        mcnemarSplit = "test";
        if (paired.rows.empty()) {
            paired = pairOutcomes(a, b, kValidation);
            mcnemarSplit = "validation";
        }
        test = mcnemar(paired.firstCorrect, paired.secondCorrect);
        metricDiffs = pairedDifferences(a, b, mcnemarSplit == "test" ? kTest : kValidation);
        mcnemarJson = {{"split", mcnemarSplit},
                       {"samples", paired.rows.size()},
                       {"statistic", test->statistic},
                       {"p_value", test->pValue},
                       {"exact", test->exact},
                       {"only_first_correct", test->onlyFirstCorrect},
                       {"only_second_correct", test->onlySecondCorrect},
                       {"both_correct", test->bothCorrect},
                       {"both_wrong", test->bothWrong}};
    }
    if (asJson) {
        json j;
        j["runs"] = json::array();
        for (const auto& r : runs)
            j["runs"].push_back({{"run", r.id}, {"dir", r.dir}, {"name", r.name}, {"summary", summary(r.spec)},
                                 {"parameters", r.parameters}, {"seconds", r.seconds}, {"best_epoch", r.bestEpoch},
                                 {"metrics", valTestMetricsJson(r)}});
        j["differences"] = json::array();
        for (const auto& d : differences) {
            json values = json::array();
            for (const auto& v : d.values)
                values.push_back(json::parse(v));
            j["differences"].push_back({{"field", d.field}, {"values", values}});
        }
        j["mcnemar"] = mcnemarJson;
        j["paired"] = nullptr;
        if (metricDiffs) {
            json paired{{"split", mcnemarSplit},
                        {"samples", metricDiffs->samples},
                        {"resamples", metricDiffs->resamples},
                        {"level", metricDiffs->level},
                        {"seed", metricDiffs->seed}};
            for (const MetricField& f : metricFields()) {
                const PairedDifference& d = (*metricDiffs).*f.paired;
                paired[f.json] = {{"diff", number(d.diff)},
                                  {"ci", d.ci.valid() ? json::array({d.ci.low, d.ci.high}) : json(nullptr)}};
            }
            j["paired"] = std::move(paired);
        }
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    std::vector<std::pair<std::string, const Metrics*>> columns;
    for (const auto& r : runs)
        columns.emplace_back(r.id.substr(r.id.size() - 11), &r.test);
    fmt::print("test metrics\n");
    printMetricsTable(columns);
    fmt::print("\nspec differences\n");
    if (differences.empty())
        fmt::print("  (none: the runs share one head spec)\n");
    for (const auto& d : differences) {
        fmt::print("  {:<16}", d.field);
        for (const auto& v : d.values)
            fmt::print(" {:>14}", v);
        fmt::print("\n");
    }
    if (test)
        fmt::print("\nMcNemar on the {} split: {} only first right, {} only second right; statistic {:.4g}, p = {:.4g} ({})\n",
                   mcnemarSplit, test->onlyFirstCorrect, test->onlySecondCorrect, test->statistic, test->pValue,
                   test->exact ? "exact binomial" : "chi-squared with continuity correction");
    if (metricDiffs) {
        fmt::print("\npaired differences on the {} split (second run minus first, {:.0f}% paired-bootstrap interval, "
                   "{} resamples)\n",
                   mcnemarSplit, metricDiffs->level * 100, metricDiffs->resamples);
        for (const MetricField& f : metricFields()) {
            const PairedDifference& d = (*metricDiffs).*f.paired;
            if (!std::isfinite(d.diff))
                continue;
            fmt::print("  {:<10} {:>+8.4f}  {:<20}{}\n", f.json, d.diff, fmtInterval(d.ci),
                       d.ci.valid() && (d.ci.low > 0 || d.ci.high < 0) ? "excludes 0" : "");
        }
    }
    return kOk;
}

} // namespace

void registerRunCommands(CLI::App& app, int& exitCode)
{
    auto runsWs = std::make_shared<std::string>();
    auto runsJson = std::make_shared<bool>(false);
    auto* cRuns = app.add_subcommand("runs", "List the saved runs of a workspace with their key metrics");
    cRuns->add_option("--workspace", *runsWs, "Workspace folder")->required();
    cRuns->add_flag("--json", *runsJson, "Print the runs as JSON");
    cRuns->callback([runsWs, runsJson, &exitCode] { exitCode = runRuns(*runsWs, *runsJson); });

    auto evRun = std::make_shared<std::string>();
    auto evFeatures = std::make_shared<std::string>();
    auto evSplit = std::make_shared<std::string>("all");
    auto evJson = std::make_shared<bool>(false);
    auto* cEv = app.add_subcommand("eval", "Apply a saved head to a feature file and report its metrics");
    cEv->add_option("--run", *evRun, "Run folder")->required();
    cEv->add_option("--features", *evFeatures, "Feature file (.h5)")->required();
    cEv->add_option("--split", *evSplit, "Rows to evaluate: all, train, validation, test")
        ->check(CLI::IsMember({"all", "train", "validation", "test"}))
        ->capture_default_str();
    auto evThreshold = std::make_shared<std::optional<double>>();
    cEv->add_option("--threshold", *evThreshold,
                    "Decision threshold on p(class 1) for two classes (default: the run's saved threshold, else 0.5)");
    cEv->add_flag("--json", *evJson, "Print the metrics as JSON");
    cEv->callback([evRun, evFeatures, evSplit, evJson, evThreshold, &exitCode] {
        exitCode = runEval(*evRun, *evFeatures, *evSplit, *evJson, *evThreshold);
    });

    auto cmpDirs = std::make_shared<std::vector<std::string>>();
    auto cmpJson = std::make_shared<bool>(false);
    auto* cCmp = app.add_subcommand("compare", "Compare runs: metrics, spec differences, McNemar's test for two");
    cCmp->add_option("runs", *cmpDirs, "Run folders (two or more)")->required()->expected(2, -1);
    cCmp->add_flag("--json", *cmpJson, "Print the comparison as JSON");
    cCmp->callback([cmpDirs, cmpJson, &exitCode] { exitCode = runCompare(*cmpDirs, *cmpJson); });
}

} // namespace headbench::cli
