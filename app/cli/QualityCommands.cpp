// headbench-cli label-issues, and the cross-validation table of `train --cv`: confident
// learning on a run's out-of-fold probabilities.
#include "CliOutput.h"
#include "Commands.h"

#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/core/Error.h>
#include <headbench/eval/LabelIssues.h>
#include <headbench/train/CrossValidation.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>

namespace headbench::cli {
namespace {

using nlohmann::json;

struct LabelIssuesOptions {
    std::string run;
    std::string rankBy = "normalized_margin";
    int top = 0;
    bool json = false;
};

int runLabelIssues(const LabelIssuesOptions& o)
{
    const OutOfFold oof = loadOutOfFold(o.run);
    const LabelIssueReport report = findLabelIssues(oof.labels, oof.probabilities, oof.numClasses(), parseIssueRanking(o.rankBy));
    const std::size_t shown = o.top > 0 ? std::min(report.issues.size(), static_cast<std::size_t>(o.top)) : report.issues.size();
    const auto& names = oof.labelNames;
    if (o.json) {
        json arr = json::array();
        for (std::size_t i = 0; i < shown; ++i) {
            const LabelIssue& is = report.issues[i];
            const auto r = static_cast<std::size_t>(is.row);
            arr.push_back({{"id", oof.ids[r]},
                           {"label", names[static_cast<std::size_t>(is.label)]},
                           {"suggested", names[static_cast<std::size_t>(is.suggested)]},
                           {"label_index", is.label},
                           {"suggested_index", is.suggested},
                           {"score", is.score},
                           {"self_confidence", is.selfConfidence},
                           {"fold", oof.fold[r]}});
        }
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    const double pct = oof.ids.empty() ? 0.0 : 100.0 * static_cast<double>(report.issues.size()) / static_cast<double>(oof.ids.size());
    fmt::print("{} of {} rows ({:.1f}%) are likely label errors (confident learning on out-of-fold probabilities, "
               "ranked by {})\n",
               report.issues.size(), oof.ids.size(), pct, o.rankBy);
    fmt::print("class thresholds (mean self-confidence):");
    for (std::size_t j = 0; j < names.size(); ++j)
        fmt::print(" {} {}", names[j], fmtMetric(report.thresholds[j]));
    fmt::print("\n\n{:>5}  {:<24} {:<14} {:<14} {:>7} {:>9}\n", "rank", "id", "label", "suggested", "score", "p(label)");
    for (std::size_t i = 0; i < shown; ++i) {
        const LabelIssue& is = report.issues[i];
        fmt::print("{:>5}  {:<24} {:<14} {:<14} {:>7.4f} {:>9.4f}\n", i + 1, oof.ids[static_cast<std::size_t>(is.row)],
                   names[static_cast<std::size_t>(is.label)], names[static_cast<std::size_t>(is.suggested)], is.score,
                   is.selfConfidence);
    }
    if (shown < report.issues.size())
        fmt::print("... {} more (--top 0 lists all)\n", report.issues.size() - shown);
    return kOk;
}

} // namespace

void printCrossValidation(const CrossValidationResult& cv)
{
    fmt::print("{}-fold cross-validation ({} folds, seed {}) on {} training and validation rows; test rows untouched\n",
               cv.k, cv.byGroup ? "by group" : "stratified", cv.seed, cv.mean.count);
    fmt::print("{:<6}{:>7}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "fold", "rows", "accuracy", "precision", "recall", "f1",
               "roc_auc", "loss");
    for (std::size_t f = 0; f < cv.folds.size(); ++f) {
        const Metrics& m = cv.folds[f];
        fmt::print("{:<6}{:>7}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", f + 1, cv.foldRows[f], fmtMetric(m.accuracy),
                   fmtMetric(m.precision), fmtMetric(m.recall), fmtMetric(m.f1), fmtMetric(m.rocAuc), fmtMetric(m.loss));
    }
    fmt::print("{:<6}{:>7}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "mean", "", fmtMetric(cv.mean.accuracy), fmtMetric(cv.mean.precision),
               fmtMetric(cv.mean.recall), fmtMetric(cv.mean.f1), fmtMetric(cv.mean.rocAuc), fmtMetric(cv.mean.loss));
    fmt::print("{:<6}{:>7}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "sd", "", fmtMetric(cv.sd.accuracy), fmtMetric(cv.sd.precision),
               fmtMetric(cv.sd.recall), fmtMetric(cv.sd.f1), fmtMetric(cv.sd.rocAuc), fmtMetric(cv.sd.loss));
}

void registerQualityCommands(CLI::App& app, int& exitCode)
{
    auto o = std::make_shared<LabelIssuesOptions>();
    auto* c = app.add_subcommand("label-issues",
                                 "Rank rows whose label is probably wrong (confident learning on the out-of-fold "
                                 "probabilities of a run trained with --cv)");
    // The run as --run RUN or alone (`label-issues RUN` only said "--run is required").
    c->add_option("run,--run", o->run, "Run folder (with oof.csv), as --run RUN or alone")->required();
    c->add_option("--top", o->top, "Show only the N most likely (0: all)")->check(CLI::NonNegativeNumber);
    c->add_option("--rank-by", o->rankBy, "normalized_margin or self_confidence")
        ->check(CLI::IsMember({"normalized_margin", "self_confidence"}))
        ->capture_default_str();
    c->add_flag("--json", o->json, "Print a JSON list of {id, label, suggested, score, ...}, most likely first");
    c->callback([o, &exitCode] { exitCode = runLabelIssues(*o); });
}

} // namespace headbench::cli
