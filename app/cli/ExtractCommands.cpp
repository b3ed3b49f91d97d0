// headbench-cli extract and merge: features from the built-in backbone or a TorchScript model,
// resumable, cached, and split into shards for job arrays.
#include "Commands.h"

#include "ProgressBar.h"

#include <headbench/core/Error.h>
#include <headbench/core/Shard.h>
#include <headbench/core/Plural.h>
#include <headbench/data/Dataset.h>
#include <headbench/extract/BackboneRequest.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/ModelBackbone.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

namespace headbench::cli {
namespace {

using nlohmann::json;

struct ExtractCliOptions {
    std::vector<std::string> datasets;
    std::string dedup = "none", labelNames;
    bool skipInvalid = false;
    BackboneRequest backbone;
    std::string shard, out;
    FieldMap fields;
    bool restart = false;
    bool json = false;
};

class CliExtractionObserver : public ExtractionObserver {
public:
    void onProgress(std::int64_t done, std::int64_t total) override
    {
        if (m_first < 0)
            m_first = done; // rows recovered from an interrupted run are not this run's speed
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        m_bar.update(done, total, fmt::format("{:.0f} rows/s", seconds > 0 ? (done - m_first) / seconds : 0.0), m_work,
                     m_workTotal);
    }
    void onWork(double done, double total) override
    {
        m_work = done;
        m_workTotal = total;
    }
    bool shouldStop() override { return g_interrupted; }

private:
    ProgressBar m_bar{"extract"};
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::int64_t m_first = -1;
    double m_work = -1, m_workTotal = -1;
};

int runExtract(const ExtractCliOptions& o)
{
    const auto start = std::chrono::steady_clock::now();
    DatasetRequest request;
    for (const auto& d : o.datasets)
        request.sources.push_back(parseDatasetSource(d));
    request.fields = o.fields;
    request.load.skipInvalid = o.skipInvalid;
    request.dedupExact = o.dedup == "exact";
    if (!o.labelNames.empty())
        request.labelNames = parseLabelNames(o.labelNames);
    refuseOutputOverDataset(request, o.out);
    DedupReport dedup;
    const Dataset data = prepareDataset(request, &dedup);
    if (data.skippedRows > 0) {
        fmt::print(stderr, "skipped {} (--skip-invalid), first:\n", plural(data.skippedRows, "invalid row"));
        for (const auto& example : data.skippedExamples)
            fmt::print(stderr, "  {}\n", example);
    }
    if (request.dedupExact && !o.json)
        fmt::print(stderr, "dedup: dropped {} and {} whose text also occurs with another label\n",
                   plural(dedup.duplicates, "exact duplicate"), plural(dedup.conflicting, "row"));
    OpenedBackbone opened = openBackbone(o.backbone);
    const std::unique_ptr<Backbone>& backbone = opened.backbone;
    ExtractOptions eo;
    eo.batchSize = opened.batchSize;
    eo.resume = !o.restart;
    eo.reuse = !o.restart;
    if (!o.shard.empty())
        {
        const Shard shard = parseShard(o.shard);
        eo.shardIndex = shard.index;
        eo.shardCount = shard.count;
    }
    CliExtractionObserver observer;
    const ExtractionResult r = extractFeatures(data, *backbone, o.out, &observer, eo);
    if (r.status == ExtractionResult::Cancelled) {
        fmt::print(stderr, "\nextraction interrupted; nothing was written to {}. Run the same command again to "
                           "continue from the finished chunks.\n", o.out);
        return kInterrupted;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const char* status = r.status == ExtractionResult::Reused ? "reused" : "extracted";
    if (o.json) {
        json j{{"out", o.out}, {"status", status}, {"rows", r.rows}, {"resumed_rows", r.resumedRows},
               {"dim", backbone->dim()}, {"backbone", backbone->name()}, {"cache_key", r.cacheKey},
               {"seconds", seconds}, {"batch_size", opened.batchSize}};
        for (const auto& [k, v] : backbone->attributes())
            j["attributes"][k] = v;
        j["feature_sets"] = json::array();
        for (const FeatureSetInfo& f : backbone->featureSets())
            j["feature_sets"].push_back({{"name", f.name}, {"layer", f.layer}, {"pooling", f.pooling},
                                         {"dataset", "/feature_sets/" + f.name}});
        if (!backbone->featureSets().empty()) {
            j["dim"] = backbone->dim() / static_cast<std::int64_t>(backbone->featureSets().size());
            j["default_feature_set"] = backbone->featureSets()[backbone->defaultFeatureSet()].name;
        }
        j["skipped_rows"] = data.skippedRows;
        j["skipped_examples"] = data.skippedExamples;
        if (o.dedup == "exact")
            j["dedup"] = {{"duplicates", dedup.duplicates}, {"conflicting", dedup.conflicting}};
        j["split_source"] = data.split.empty() ? json(nullptr) : json(data.splitSource);
        j["groups"] = !data.groups.empty();
        // Rows cut by --max-length; null for the built-in backbone, which has no token window.
        j["truncated_rows"] = r.truncatedRows >= 0 ? json(r.truncatedRows) : json(nullptr);
        j["long"] = o.backbone.longMode;
        if (backbone->seesWholeText())
            j["windows"] = backbone->sequencesEncoded(); // encoded by this run (not the recovered rows)
        if (eo.shardCount > 1)
            j["shard"] = {{"index", eo.shardIndex}, {"count", eo.shardCount}};
        std::cout << j.dump(2) << "\n";
    } else if (r.status == ExtractionResult::Reused) {
        fmt::print("{} already holds this extraction ({}, same dataset, backbone and settings); reused it\n", o.out, plural(r.rows, "row"));
    } else if (const auto sets = backbone->featureSets(); !sets.empty()) {
        fmt::print("wrote {}: {}, {} feature sets of {} features ({}: layers {}, poolings {}; default {}), {:.1f} s{}\n",
                   o.out, plural(r.rows, "row"), sets.size(), backbone->dim() / static_cast<std::int64_t>(sets.size()), backbone->name(),
                   backbone->attributes()["layers"], backbone->attributes()["poolings"],
                   sets[backbone->defaultFeatureSet()].name, seconds,
                   r.resumedRows ? fmt::format(" ({} recovered from the interrupted run)", plural(r.resumedRows, "row")) : "");
    } else {
        fmt::print("wrote {}: {} x {} features ({}{}), {:.1f} s{}\n", o.out, plural(r.rows, "row"), backbone->dim(), backbone->name(),
                   isBuiltInBackbone(o.backbone.backbone) ? "" : ", " + o.backbone.pooling + " pooling", seconds,
                   r.resumedRows ? fmt::format(" ({} recovered from the interrupted run)", plural(r.resumedRows, "row")) : "");
    }
    if (!o.json && backbone->seesWholeText() && r.status == ExtractionResult::Completed)
        fmt::print("read every row whole in {} windows of --max-length {} (--long windows, {} of their vectors)\n",
                   backbone->sequencesEncoded(), o.backbone.maxLength, o.backbone.windowPool);
    else if (!o.json && r.truncatedRows >= 0)
        fmt::print("truncated {} of {} rows at --max-length {} (token counts before the cut: /n_tokens)\n",
                   r.truncatedRows, r.rows, o.backbone.maxLength);
    if (!o.json && !data.split.empty()) {
        std::int64_t counts[3] = {0, 0, 0};
        for (auto c : data.split)
            ++counts[std::min<int>(c, 2)];
        fmt::print("split from the data ({}): train {}, validation {}, test {}\n", data.splitSource, counts[0], counts[1], counts[2]);
    }
    if (!o.json && !data.groups.empty()) {
        std::vector<std::string_view> distinct(data.groups.begin(), data.groups.end());
        std::sort(distinct.begin(), distinct.end());
        fmt::print("groups: {} distinct (training splits by group unless the data has its own split)\n",
                   std::unique(distinct.begin(), distinct.end()) - distinct.begin());
    }
    return kOk;
}

int runMerge(const std::vector<std::string>& shards, const std::string& out, bool asJson)
{
    const std::int64_t rows = mergeShards(shards, out);
    if (asJson)
        std::cout << json{{"out", out}, {"rows", rows}, {"shards", shards.size()}}.dump(2) << "\n";
    else
        fmt::print("merged {} into {}: {}\n", plural(shards.size(), "shard"), out, plural(rows, "row"));
    return kOk;
}

} // namespace

void registerExtractCommands(CLI::App& app, int& exitCode)
{
    auto ex = std::make_shared<ExtractCliOptions>();
    auto* c = app.add_subcommand("extract", "Encode a dataset with a backbone and cache the features in HDF5");
    c->add_option("--dataset", ex->datasets,
                  "JSONL or CSV file of labelled code snippets; repeat for several files, and prefix each with its "
                  "split to use the files' own split (--dataset train=train.jsonl --dataset valid=valid.jsonl "
                  "--dataset test=test.jsonl)")
        ->required()
        ->take_all();
    c->add_option("--split-field", ex->fields.split,
                  "Field holding each row's split (train/training, valid/validation/dev/val, test, or 0/1/2); stored "
                  "as /split and used by training");
    c->add_option("--group-field", ex->fields.group,
                  "Field holding each row's group (fix pair, project, commit...); stored as /groups, and a split "
                  "made by training keeps every group on one side");
    c->add_flag("--skip-invalid", ex->skipInvalid,
                "Skip rows with an empty text, a missing or invalid label (or split, group), or broken JSON, and report "
                "them, instead of refusing the file");
    c->add_option("--dedup", ex->dedup,
                  "exact: drop exact duplicates within a label (comments and whitespace ignored) and every row whose "
                  "text also occurs with another label; none: keep all rows")
        ->check(CLI::IsMember({"none", "exact"}))
        ->capture_default_str();
    c->add_option("--label-names", ex->labelNames, "Class names in class order, e.g. safe,vulnerable (stored as label_names)");
    c->add_option("--backbone", ex->backbone.backbone,
                  "hashed-ngram (built in), a TorchScript model file (.pt) or a Hugging Face model folder "
                  "(config.json, safetensors weights, tokenizer: bert, roberta, llama)")->capture_default_str();
    c->add_option("--tokenizer", ex->backbone.tokenizer,
                  "The model's tokenizer.json, SentencePiece tokenizer.model, vocab.json (merges.txt beside it) or vocab.txt "
                  "(a model folder's own by default)");
    c->add_option("--pooling", ex->backbone.pooling,
                  "cls, mean, last or max (last for decoder-only models), or several, e.g. mean,last: one feature set "
                  "each")
        ->capture_default_str();
    c->add_option("--layers", ex->backbone.layers,
                  "Hidden states to pool: last, all, or a list such as -1,-4,8 (0 = embeddings, negative from the "
                  "end); all but last need a model returning all hidden states. One feature set per (layer, pooling)")
        ->capture_default_str();
    c->add_option("--max-length", ex->backbone.maxLength, "Tokens per text, special tokens included")
        ->capture_default_str()
        ->check(CLI::Range(2, 1 << 20));
    c->add_flag("--normalize", ex->backbone.normalize, "L2-normalise each pooled vector");
    c->add_option("--long", ex->backbone.longMode,
                  "Texts longer than --max-length: head (keep the start), tail (keep the end) or windows (overlapping "
                  "windows over the whole text, their vectors pooled)")
        ->check(CLI::IsMember({"head", "tail", "windows"}))
        ->capture_default_str();
    c->add_option("--window-stride", ex->backbone.windowStride,
                  "With --long windows: text tokens between window starts (default: half a window)")
        ->check(CLI::Range(1, 1 << 20));
    c->add_option("--window-pool", ex->backbone.windowPool, "With --long windows: mean or max of the windows' vectors")
        ->check(CLI::IsMember({"mean", "max"}))
        ->capture_default_str();
    c->add_option("--text-field", ex->fields.text, "Field holding the code")->capture_default_str();
    c->add_option("--label-field", ex->fields.label, "Field holding the label")->capture_default_str();
    c->add_option("--id-field", ex->fields.id, "Field holding the sample id")->capture_default_str();
    c->add_option("--dim", ex->backbone.dim, "Feature dimension of the hashed-ngram backbone")->capture_default_str();
    c->add_option("--batch-size", ex->backbone.batchSize, "Texts per batch (default 64 built in, 16 for a model)")
        ->check(CLI::PositiveNumber);
    c->add_option("--shard", ex->shard, "Process only the I-th of N slices (0-based, e.g. 3/16) and write a shard; "
                                        "join shards with merge");
    c->add_flag("--restart", ex->restart, "Ignore an interrupted extraction's chunks and an existing identical output");
    c->add_option("--out", ex->out, "Feature file to write (.h5)")->required();
    c->add_flag("--json", ex->json, "Print the result as JSON");
    c->callback([ex, &exitCode] { exitCode = runExtract(*ex); });

    auto shards = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<std::string>();
    auto asJson = std::make_shared<bool>(false);
    auto* m = app.add_subcommand("merge", "Join the shard files of one extraction into one feature file");
    m->add_option("shards", *shards, "Shard files written by extract --shard I/N (all N of them)")->required()->expected(1, -1);
    m->add_option("--out", *out, "Feature file to write (.h5)")->required();
    m->add_flag("--json", *asJson, "Print the result as JSON");
    m->callback([shards, out, asJson, &exitCode] { exitCode = runMerge(*shards, *out, *asJson); });
}

} // namespace headbench::cli
