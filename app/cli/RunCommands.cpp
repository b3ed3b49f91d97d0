// headbench-cli runs, eval and compare: reading saved runs.
#include "CliOutput.h"
#include "Commands.h"


#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Compare.h>
#include <headbench/runs/RunComparison.h>
#include <headbench/runs/RunEvaluation.h>
#include <headbench/runs/RunStore.h>
#include <headbench/runs/Workspace.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <headbench/core/Unicode.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

namespace headbench::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- runs ----
int runRuns(const std::string& workspace, bool asJson)
{
    checkWorkspaceToRead(workspace);
    std::vector<std::string> problems;
    auto runs = listRuns(workspace, &problems, /*includeUnfinished=*/true);
    putRunsAtSavedThresholds(runs); // the figures compare, eval and the window give
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
                           {"finished_by_user", r.finishedByUser},
                           {"features_state", r.finished() ? (checkFeatures(r) == FeaturesState::Same ? "same"
                                                              : checkFeatures(r) == FeaturesState::Changed ? "changed" : "missing")
                                                           : "n/a"},
                           {"tags", r.tags},
                           {"threshold", r.threshold ? json(*r.threshold) : json(nullptr)},
                           {"sweep", r.sweepId.empty() ? json(nullptr) : json(r.sweepId)},
                           {"sweep_point", r.sweepPoint >= 0 ? json(r.sweepPoint) : json(nullptr)},
                           {"sweep_params", r.sweepId.empty() ? json(nullptr) : json::parse(r.sweepParams)},
                           {"host", r.host},
                           {"slurm_task", r.slurmTask.empty() ? json(nullptr) : json(r.slurmTask)},
                           {"summary", summary(r.spec)},
                           {"backbone", r.backbone},
                           {"features", r.featuresPath},
                           {"best_epoch", r.bestEpoch},
                           {"epochs_run", r.epochsRun},
                           {"history", json::parse(historyToJson(r.history))},
                           {"parameters", r.parameters},
                           {"metrics", valTestMetricsJson(r)}});
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    if (runs.empty()) {
        fmt::print("no runs in {}\n", workspace);
        return kOk;
    }
    // "name": the run's name, as the window lists it (by default its head, its sweep values and
    // its feature file; a name given with --name otherwise), cut with "…" past 32 characters.
    // The status column fits its longest value, "features-changed".
    // "thr": the decision threshold the figures are at (a saved one, else 0.5), as eval uses it.
    // "best": the epoch whose weights the head holds, or for the L-BFGS probe (whose history is
    // one fit per L2 penalty) the penalty it kept, as "l2=1e-04": an index of the penalty grid read
    // as an epoch.
    fmt::print("{:<24} {:<16} {:<32} {:>8} {:>5} {:>8} {:>8} {:>8} {:>8}\n", "run", "status", "name", "best", "thr", "val f1",
               "test f1", "test auc", "test ece");
    const auto bestOf = [](const RunRecord& r) -> std::string {
        if (!r.finished())
            return "-";
        const bool probe = !r.history.empty() && r.history.front().iterations > 0;
        if (probe && r.bestEpoch >= 1 && static_cast<std::size_t>(r.bestEpoch) <= r.history.size())
            return fmt::format("l2={:.0e}", r.history[static_cast<std::size_t>(r.bestEpoch - 1)].l2);
        return std::to_string(r.bestEpoch);
    };
    const auto cut = [](const std::string& text) {
        const std::u32string u = unicode::decodeUtf8(text);
        return u.size() <= 32 ? text : unicode::encodeUtf8(u.substr(0, 31)) + "…";
    };
    const auto printRun = [&cut, &bestOf](const RunRecord& r, const std::string& indent, const std::string& name) {
        std::string status = r.finishedByUser ? "ended-by-user" : r.status;
        if (const FeaturesState state = r.finished() ? checkFeatures(r) : FeaturesState::Same; state != FeaturesState::Same)
            status = state == FeaturesState::Missing ? "no-features" : "features-changed";
        fmt::print("{:<24} {:<16} {:<32} {:>8} {:>5} {:>8} {:>8} {:>8} {:>8}\n", indent + r.id, status, cut(name),
                   bestOf(r),
                   r.labelNames.size() != 2 ? std::string("-") : fmt::format("{:.3g}", r.threshold.value_or(0.5)),
                   fmtMetric(r.validation.f1),
                   fmtMetric(r.test.f1), fmtMetric(r.test.rocAuc), fmtMetric(r.test.ece));
    };
    // A sweep (or group of repeats) as one group, where its first run is listed, one run per
    // point: its tasks may still be landing, and a re-queued point's interrupted attempt is
    // counted apart.
    const std::vector<RunGroup> groups = runGroups(runs);
    std::set<std::string> printed;
    for (const auto& r : runs) {
        if (r.sweepId.empty()) {
            printRun(r, "", r.name);
            continue;
        }
        if (!printed.insert(r.sweepId).second)
            continue;
        const RunGroup& g = *std::find_if(groups.begin(), groups.end(), [&](const RunGroup& x) { return x.id == r.sweepId; });
        fmt::print("{}: {}{}\n", g.id, g.statusText(),
                   g.retried > 0 ? fmt::format(" ({} earlier attempt{} of re-run points not shown)", g.retried,
                                               g.retried == 1 ? "" : "s")
                                 : std::string());
        for (const RunRecord* m : g.members)
            printRun(*m, "  ", m->sweepPoint >= 0 ? fmt::format("{:>3} {}", m->sweepPoint + 1, sweepPointText(m->sweepParams))
                                                  : sweepPointText(m->sweepParams));
    }
    return kOk;
}

// ---- eval ----
int runEval(const std::string& runDir, const std::string& features, const std::optional<std::string>& split, bool asJson,
            std::optional<double> threshold)
{
    const RunEvaluation e = evaluateRun(runDir, features, split, threshold);
    warnMissingClasses({{e.split, &e.metrics}}, e.labelNames);
    if (asJson) {
        std::cout << json{{"run", e.run.id},
                          {"features", features},
                          {"own_file", e.ownFile},
                          {"split", e.split},
                          {"rows", e.rows},
                          {"threshold", e.threshold ? json(*e.threshold) : json(nullptr)},
                          {"metrics", metricsJson(e.metrics)}}
                         .dump(2)
                  << "\n";
        return kOk;
    }
    fmt::print("run {} on {} ({} split{}, {}{})\n", e.run.id, features, e.split,
               e.ownFile ? " of the run" : std::string(), plural(e.rows, "row"),
               e.threshold ? fmt::format(", threshold {}", *e.threshold) : std::string());
    printMetricsTable({{e.split, &e.metrics}});
    printConfusion(e.metrics, e.labelNames);
    return kOk;
}

// ---- compare ----
/// A run id without its date ("193000-a1b2c3"): the column heads of compare.
std::string shortRunId(const std::string& id)
{
    return id.size() > 9 && id[8] == '-' ? id.substr(9) : id;
}

json comparedRunJson(const ComparedRun& r)
{
    return {{"run", r.record.id},
            {"dir", r.record.dir},
            {"name", r.record.name},
            {"summary", summary(r.record.spec)},
            {"parameters", r.record.parameters},
            {"seconds", r.record.seconds},
            {"best_epoch", r.record.bestEpoch},
            {"threshold", r.predictions.numClasses == 2 ? json(r.threshold) : json(nullptr)},
            {"threshold_saved", r.savedThreshold},
            {"metrics", valTestMetricsJson(r.record)},
            {"cross_validation", r.crossValidation ? json{{"k", r.crossValidation->k},
                                                          {"folds_by", r.crossValidation->foldsBy},
                                                          {"mean", json::parse(metricsToJson(r.crossValidation->mean))},
                                                          {"sd", json::parse(metricsToJson(r.crossValidation->sd))}}
                                                    : json(nullptr)}};
}

int runCompare(const std::vector<std::string>& dirs, bool asJson)
{
    const RunComparison c = compareRuns(dirs);
    if (asJson) {
        json j;
        j["runs"] = json::array();
        for (const auto& r : c.runs)
            j["runs"].push_back(comparedRunJson(r));
        j["same_data"] = c.sameData;
        j["differences"] = json::array();
        for (const auto& d : c.differences) {
            json values = json::array();
            for (const auto& v : d.values)
                values.push_back(json::accept(v) ? json::parse(v) : json(v));
            j["differences"].push_back({{"field", d.field}, {"values", values}});
        }
        j["pairing_problem"] = c.pairingProblem.empty() ? json(nullptr) : json(c.pairingProblem);
        j["problems"] = json::array();
        for (const RunFileProblem& p : c.problems)
            j["problems"].push_back(
                {{"file", p.file}, {"problem", p.problem}, {"run", p.run}, {"left_out", p.leftOut}, {"message", p.sentence()}});
        j["mcnemar"] = nullptr;
        if (c.mcnemar)
            j["mcnemar"] = {{"split", c.pairedSplit},
                            {"samples", c.outcomes.rows.size()},
                            {"statistic", c.mcnemar->statistic},
                            {"p_value", c.mcnemar->pValue},
                            {"exact", c.mcnemar->exact},
                            {"only_first_correct", c.mcnemar->onlyFirstCorrect},
                            {"only_second_correct", c.mcnemar->onlySecondCorrect},
                            {"both_correct", c.mcnemar->bothCorrect},
                            {"both_wrong", c.mcnemar->bothWrong}};
        j["paired"] = nullptr;
        if (c.paired) {
            json paired{{"split", c.pairedSplit},
                        {"samples", c.paired->samples},
                        {"resamples", c.paired->resamples},
                        {"level", c.paired->level},
                        {"seed", c.paired->seed}};
            for (const MetricField& f : metricFields()) {
                const PairedDifference& d = (*c.paired).*f.paired;
                paired[f.json] = {{"diff", number(d.diff)},
                                  {"ci", d.ci.valid() ? json::array({d.ci.low, d.ci.high}) : json(nullptr)}};
            }
            j["paired"] = std::move(paired);
        }
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    for (const RunFileProblem& problem : c.problems)
        fmt::print(stderr, "warning: {}\n", problem.sentence());
    if (!c.sameData)
        fmt::print("warning: these runs were trained on different data (other samples, labels or splits): their figures are not "
                   "comparable\n\n");
    // Validation and test, as the window shows them.
    for (const auto& [title, split] : {std::pair{"validation metrics", &RunRecord::validation}, std::pair{"test metrics", &RunRecord::test}}) {
        std::vector<std::pair<std::string, const Metrics*>> columns;
        for (const auto& r : c.runs)
            columns.emplace_back(shortRunId(r.record.id), &(r.record.*split));
        fmt::print("{}{}", split == &RunRecord::test ? "\n" : "", title);
        for (const auto& r : c.runs)
            if (r.savedThreshold)
                fmt::print(" ({} at its saved threshold {})", shortRunId(r.record.id), r.threshold);
        fmt::print("\n");
        printMetricsTable(columns);
    }
    fmt::print("\nspec differences\n");
    if (c.differences.empty())
        fmt::print("  (none: the runs share one head spec)\n");
    for (const auto& d : c.differences) {
        fmt::print("  {:<16}", d.field);
        for (const auto& v : d.values)
            fmt::print(" {:>14}", v);
        fmt::print("\n");
    }
    if (!c.pairingProblem.empty())
        fmt::print("\nno McNemar test: {}\n", c.pairingProblem);
    if (c.mcnemar)
        fmt::print("\nMcNemar on the {} split: {} only first right, {} only second right; statistic {:.4g}, p = {:.4g} ({})\n",
                   c.pairedSplit, c.mcnemar->onlyFirstCorrect, c.mcnemar->onlySecondCorrect, c.mcnemar->statistic,
                   c.mcnemar->pValue, c.mcnemar->exact ? "exact binomial" : "chi-squared with continuity correction");
    if (c.paired) {
        fmt::print("\npaired differences on the {} split (second run minus first, {:.0f}% paired-bootstrap interval, "
                   "{} resamples)\n",
                   c.pairedSplit, c.paired->level * 100, c.paired->resamples);
        for (const MetricField& f : metricFields()) {
            const PairedDifference& d = (*c.paired).*f.paired;
            if (!std::isfinite(d.diff))
                continue;
            // Four places, as the difference: at three, [0.000, 0.015] "excludes 0" looked wrong.
            fmt::print("  {:<10} {:>+8.4f}  {:<22}{}\n", f.json, d.diff, fmtInterval(d.ci, 4),
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
    auto evSplit = std::make_shared<std::optional<std::string>>();
    auto evJson = std::make_shared<bool>(false);
    auto* cEv = app.add_subcommand("eval", "Apply a saved head to a feature file and report its metrics");
    cEv->add_option("--run", *evRun, "Run folder")->required();
    cEv->add_option("--features", *evFeatures, "Feature file (.h5)")->required();
    cEv->add_option("--split", *evSplit,
                    "Rows to evaluate: all, train, validation, test (default: on the run's own feature file its test "
                    "split, with the run's own splits; on another file all rows)")
        ->check(CLI::IsMember({"all", "train", "validation", "test"}));
    auto evThreshold = std::make_shared<std::optional<double>>();
    cEv->add_option("--threshold", *evThreshold,
                    "Decision threshold on p(class 1) for two classes (default: the run's saved threshold, else 0.5)");
    cEv->add_flag("--json", *evJson, "Print the metrics as JSON");
    cEv->callback([evRun, evFeatures, evSplit, evJson, evThreshold, &exitCode] {
        exitCode = runEval(*evRun, *evFeatures, *evSplit, *evJson, *evThreshold);
    });

    auto cmpDirs = std::make_shared<std::vector<std::string>>();
    auto cmpJson = std::make_shared<bool>(false);
    auto cmpWorkspace = std::make_shared<std::string>();
    auto cmpSweep = std::make_shared<std::string>();
    auto* cCmp = app.add_subcommand("compare", "Compare runs: metrics, spec differences, McNemar's test for two");
    cCmp->add_option("runs", *cmpDirs, "Run folders (two or more)")->expected(0, -1);
    cCmp->add_option("--workspace", *cmpWorkspace, "With --sweep: the workspace of the sweep");
    cCmp->add_option("--sweep", *cmpSweep,
                     "Compare the finished runs of a sweep or group of repeats (its id, as runs lists it), one per "
                     "point, also while its tasks are still running");
    cCmp->add_flag("--json", *cmpJson, "Print the comparison as JSON");
    cCmp->callback([cmpDirs, cmpJson, cmpWorkspace, cmpSweep, &exitCode] {
        std::vector<std::string> dirs = *cmpDirs;
        if (!cmpSweep->empty()) {
            if (cmpWorkspace->empty())
                throw Error("compare --sweep needs --workspace");
            const auto runs = listRuns(*cmpWorkspace, nullptr, /*includeUnfinished=*/true);
            const auto groups = runGroups(runs);
            const auto g = std::find_if(groups.begin(), groups.end(), [&](const RunGroup& x) { return x.id == *cmpSweep; });
            if (g == groups.end())
                throw Error(fmt::format("{}: no sweep or group of repeats '{}' (runs --workspace lists them)", *cmpWorkspace,
                                        *cmpSweep));
            for (const RunRecord* r : g->members)
                if (r->finished())
                    dirs.push_back(r->dir);
            if (dirs.size() < 2)
                throw Error(fmt::format("{}: {} has {} so far: nothing to compare yet", *cmpSweep, g->statusText(),
                                        plural(dirs.size(), "finished run")));
        } else if (dirs.size() < 2) {
            throw Error("compare needs two or more run folders, or --workspace W --sweep ID");
        }
        exitCode = runCompare(dirs, *cmpJson);
    });
}

} // namespace headbench::cli
