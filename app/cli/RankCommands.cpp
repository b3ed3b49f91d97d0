// headbench-cli rank, and the feature-set listing of `inspect`: which layer, pooling or
// backbone represents the data best, scored without training a head.
#include "Commands.h"

#include <headbench/core/Error.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/train/Rank.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <memory>

namespace headbench::cli {
namespace {

using nlohmann::json;

struct RankCliOptions {
    std::vector<std::string> files;
    bool json = false;
    bool noProbe = false;
    std::uint64_t seed = 42;
};

class CliRankObserver : public RankObserver {
public:
    explicit CliRankObserver(bool quiet) : m_quiet(quiet) {}
    void onProgress(int done, int total, const std::string& current) override
    {
        if (!m_quiet && !current.empty())
            fmt::print(stderr, "\rrank {}/{} {:<60}", done + 1, total, current.substr(0, 60));
        else if (!m_quiet)
            fmt::print(stderr, "\r{:<80}\r", "");
    }
    bool shouldStop() override { return g_interrupted; }

private:
    bool m_quiet;
};

int runRank(const RankCliOptions& o)
{
    CliRankObserver observer(o.json);
    const std::vector<RankEntry> entries = rankFeatureSets(o.files, {.probe = !o.noProbe, .seed = o.seed}, &observer);
    if (g_interrupted) {
        fmt::print(stderr, "\nrank interrupted\n");
        return kInterrupted;
    }
    if (o.json) {
        json arr = json::array();
        for (const RankEntry& e : entries)
            arr.push_back({{"file", e.file}, {"feature_set", e.featureSet},
                           {"layer", e.layer < 0 ? json(nullptr) : json(e.layer)},
                           {"pooling", e.pooling.empty() ? json(nullptr) : json(e.pooling)}, {"dim", e.dim},
                           {"logme", e.logme},
                           {"probe_val_f1", std::isfinite(e.probeValF1) ? json(e.probeValF1) : json(nullptr)},
                           {"seconds", e.seconds}});
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    const bool manyFiles = o.files.size() > 1;
    auto fileColumn = [&](const std::string& file) { return manyFiles ? fmt::format("{:<32}", file.substr(0, 31)) : std::string(); };
    fmt::print("{:>3}  {}{:<22} {:>10} {:>12} {:>7}\n", "#", fileColumn("file"), "feature set", "LogME", "probe val F1", "s");
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const RankEntry& e = entries[i];
        fmt::print("{:>3}  {}{:<22} {:>10.4f} {:>12} {:>7.1f}\n", i + 1, fileColumn(e.file), e.featureSet, e.logme,
                   std::isfinite(e.probeValF1) ? fmt::format("{:.4f}", e.probeValF1) : std::string("-"), e.seconds);
    }
    fmt::print("best first by LogME (evidence per row, averaged over classes; higher is better)\n");
    return kOk;
}

} // namespace

nlohmann::json featureSetsJson(const FeatureSummary& s)
{
    json arr = json::array();
    for (const FeatureSetInfo& f : s.featureSets)
        arr.push_back({{"name", f.name}, {"layer", f.layer}, {"pooling", f.pooling}, {"dataset", f.dataset}});
    return arr;
}

void printFeatureSets(const FeatureSummary& s)
{
    if (s.featureSets.empty())
        return;
    fmt::print("feature sets {} (format version {}; default {} at /features)\n", s.featureSets.size(), s.formatVersion,
               s.defaultFeatureSet);
    for (const FeatureSetInfo& f : s.featureSets)
        fmt::print("  {:<20} layer {:>3}  {:<5} {}\n", f.name, f.layer, f.pooling, f.dataset);
}

void registerRankCommands(CLI::App& app, int& exitCode)
{
    auto o = std::make_shared<RankCliOptions>();
    auto* c = app.add_subcommand("rank", "Score every feature set (layers, poolings, backbones) of feature files of "
                                         "the same rows by LogME and the linear probe's validation F1, best first");
    c->add_option("--features", o->files, "Feature files (.h5) of the same rows; every feature set of each is scored")
        ->required()
        ->expected(1, -1);
    c->add_flag("--no-probe", o->noProbe, "LogME only: skip the L-BFGS linear probe");
    c->add_option("--seed", o->seed, "Seed of the split made when a file has none (as train makes it)")
        ->check(kSeedNumber)
        ->capture_default_str();
    c->add_flag("--json", o->json, "Print the ranking as JSON");
    c->callback([o, &exitCode] { exitCode = runRank(*o); });
}

} // namespace headbench::cli
