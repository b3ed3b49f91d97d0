// headbench-cli: the subcommands' registration, the signal handlers, and the data commands
// (demo, inspect); the other groups live in their own files (TrainCommands, RunCommands, ...).
#include "Commands.h"

#include <headbench/core/Error.h>
#include <headbench/data/Dataset.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/extract/HfFolder.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <iostream>

namespace headbench::cli {

std::atomic<bool> g_interrupted{false};
std::vector<std::string> g_argv;

const CLI::Validator kSeedNumber(
    [](const std::string& text) {
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        return ec == std::errc() && end == text.data() + text.size()
                   ? std::string()
                   : "'" + text + "' is not a seed: a whole number 0 to 18446744073709551615";
    },
    "SEED");

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void onSignal(int)
{
    g_interrupted = true;
}

void installSignalHandlers()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

// ---- demo ----
struct DemoOptions {
    std::string out;
    std::size_t n = 2400;
    std::uint64_t seed = 7;
    bool paired = false;
};

int runDemo(const DemoOptions& o)
{
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec)
        throw Error(o.out + ": cannot create the folder (" + ec.message() + ")");
    const Dataset data = generateDemoDataset(o.n, o.seed, o.paired);
    const std::string path = (fs::path(o.out) / (o.paired ? "demo-pairs.jsonl" : "demo.jsonl")).string();
    FieldMap fields;
    fields.group = "pair";
    writeJsonl(data, path, fields);
    std::int64_t vulnerable = 0;
    for (auto l : data.labels)
        vulnerable += l;
    fmt::print("wrote {} ({} functions: {} vulnerable, {} safe{})\n", path, data.size(), vulnerable,
               static_cast<std::int64_t>(data.size()) - vulnerable,
               o.paired ? "; each pair, before and after its fix, shares the field \"pair\"" : "");
    return kOk;
}

// ---- inspect ----
/// A Hugging Face model folder: what the backbone would run, read from config.json and the
/// weights' headers (no weight is loaded).
int inspectModelFolder(const std::string& path, bool asJson)
{
    const HfModelInfo info = headbench::inspectModelFolder(path);
    const HfConfig& c = info.config;
    if (asJson) {
        json j{{"folder", path}, {"model_type", c.modelType}, {"architectures", c.architectures},
               {"layers", c.layers}, {"hidden_size", c.hiddenSize}, {"heads", c.heads},
               {"key_value_heads", c.kvHeads}, {"parameters", info.parameters}, {"dtype", info.dtype},
               {"weight_bytes", info.weightBytes}, {"weight_files", info.weightFiles},
               {"hidden_states", c.layers + 1}};
        j["max_tokens"] = c.maxTokens() > 0 ? json(c.maxTokens()) : json(nullptr);
        j["tokenizer"] = info.tokenizer.empty() ? json(nullptr) : json(info.tokenizer);
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    fmt::print("folder      {}\nmodel       {}{}\nlayers      {} ({} hidden states with the embeddings)\n", path,
               c.modelType, c.architectures.empty() ? "" : " (" + fmt::format("{}", fmt::join(c.architectures, ", ")) + ")",
               c.layers, c.layers + 1);
    fmt::print("hidden size {}\nheads       {}{}\nparameters  {:.1f} M ({} stored, {:.1f} MB)\n", c.hiddenSize, c.heads,
               c.kvHeads != c.heads ? fmt::format(" ({} key/value heads)", c.kvHeads) : "",
               static_cast<double>(info.parameters) / 1e6, info.dtype, static_cast<double>(info.weightBytes) / 1e6);
    fmt::print("max tokens  {}\ntokenizer   {}\n", c.maxTokens() > 0 ? std::to_string(c.maxTokens()) : "no limit (rotary positions)",
               info.tokenizer.empty() ? "(none in the folder: give --tokenizer to extract)" : info.tokenizer);
    return kOk;
}

int runInspect(const std::string& path, bool asJson)
{
    if (isModelFolder(path))
        return inspectModelFolder(path, asJson);
    const FeatureSet set = readFeatureFile(path, {.loadTexts = true});
    const FeatureSummary s = summarize(set);
    const DuplicateSummary dups = findDuplicates(set);
    std::vector<std::string> emptyClasses;
    for (std::size_t k = 0; k < s.labelNames.size(); ++k)
        if (s.classCounts[k] == 0)
            emptyClasses.push_back(s.labelNames[k]);
    if (asJson) {
        json classes = json::array();
        for (std::size_t k = 0; k < s.labelNames.size(); ++k)
            classes.push_back({{"name", s.labelNames[k]}, {"count", s.classCounts[k]}});
        json j{{"file", path}, {"rows", s.rows}, {"dim", s.dim}, {"backbone", s.backbone}, {"classes", classes},
               {"has_text", s.hasTexts}, {"has_ids", s.hasIds}};
        j["split"] = s.hasSplit ? json{{"train", s.splitCounts[0]}, {"validation", s.splitCounts[1]}, {"test", s.splitCounts[2]}}
                                : json(nullptr);
        j["split_source"] = s.splitSource.empty() ? json(nullptr) : json(s.splitSource);
        j["groups"] = s.hasGroups ? json(s.groupCount) : json(nullptr);
        j["duplicates"] = {{"rows", dups.duplicateRows}, {"conflicting_labels", dups.conflictingLabels},
                           {"by", dups.byText ? "text" : "features"}};
        j["empty_classes"] = emptyClasses;
        j["format_version"] = s.formatVersion;
        j["feature_sets"] = featureSetsJson(s);
        j["default_feature_set"] = s.defaultFeatureSet.empty() ? json(nullptr) : json(s.defaultFeatureSet);
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    fmt::print("file      {}\nrows      {}\ndim       {}\nbackbone  {}\n", path, s.rows, s.dim,
               s.backbone.empty() ? "(not recorded)" : s.backbone);
    fmt::print("classes   {}\n", s.labelNames.size());
    for (std::size_t k = 0; k < s.labelNames.size(); ++k)
        fmt::print("  {:>3} {:<20} {:>8} ({:.1f}%)\n", k, s.labelNames[k], s.classCounts[k],
                   100.0 * static_cast<double>(s.classCounts[k]) / static_cast<double>(s.rows));
    if (!emptyClasses.empty())
        fmt::print("          {} {} no rows: {} (macro averages leave {} out)\n", emptyClasses.size(),
                   emptyClasses.size() == 1 ? "class has" : "classes have", fmt::join(emptyClasses, ", "),
                   emptyClasses.size() == 1 ? "it" : "them");
    if (s.hasSplit)
        fmt::print("split     train {}, validation {}, test {}{}\n", s.splitCounts[0], s.splitCounts[1], s.splitCounts[2],
                   s.splitSource.empty() ? "" : " (from " + s.splitSource + ")");
    else if (s.hasGroups)
        fmt::print("split     none stored (training makes a seeded 80/10/10 split by group)\n");
    else
        fmt::print("split     none stored (training makes a seeded, stratified 80/10/10 split)\n");
    if (s.hasGroups)
        fmt::print("groups    {} distinct\n", s.groupCount);
    fmt::print("duplicates {} {} repeat an earlier row's {}; {} {} a text that also occurs with another label\n",
               dups.duplicateRows, dups.duplicateRows == 1 ? "row" : "rows", dups.byText ? "text (comments and whitespace ignored)" : "features",
               dups.conflictingLabels, dups.conflictingLabels == 1 ? "row has" : "rows have");
    fmt::print("text      {}\nids       {}\n", s.hasTexts ? "yes" : "no", s.hasIds ? "yes" : "no");
    printFeatureSets(s);
    return kOk;
}

int g_exitCode = kOk;

} // namespace

void registerCommands(CLI::App& app)
{
    installSignalHandlers();
    app.require_subcommand(1);

    auto demo = std::make_shared<DemoOptions>();
    auto* cDemo = app.add_subcommand("demo", "Write the built-in demo dataset (C functions, vulnerable or safe) as JSONL");
    cDemo->add_option("--out", demo->out, "Folder to write demo.jsonl into")->required();
    cDemo->add_option("--n", demo->n, "Number of functions")->capture_default_str()->check(CLI::Range(10, 10000000));
    cDemo->add_option("--seed", demo->seed, "Generator seed")->check(kSeedNumber)->capture_default_str();
    cDemo->add_flag("--paired", demo->paired,
                    "Functions in pairs, before and after a fix, sharing a \"pair\" field (writes demo-pairs.jsonl)");
    cDemo->callback([demo] { g_exitCode = runDemo(*demo); });

    registerExtractCommands(app, g_exitCode);
    registerQualityCommands(app, g_exitCode);
    registerRankCommands(app, g_exitCode);
    registerTokenizeCommand(app, g_exitCode);
    registerTrainCommands(app, g_exitCode);
    registerRunCommands(app, g_exitCode);

    auto inspectPath = std::make_shared<std::string>();
    auto inspectJson = std::make_shared<bool>(false);
    auto* cIn = app.add_subcommand("inspect", "Summarise a feature file (rows, dimension, classes, splits, backbone) or a "
                                              "Hugging Face model folder (type, layers, hidden size, parameters, dtype)");
    cIn->add_option("file", *inspectPath, "Feature file (.h5) or model folder")->required();
    cIn->add_flag("--json", *inspectJson, "Print the summary as JSON");
    cIn->callback([inspectPath, inspectJson] { g_exitCode = runInspect(*inspectPath, *inspectJson); });

}

int lastExitCode();
int lastExitCode()
{
    return g_exitCode;
}

} // namespace headbench::cli
