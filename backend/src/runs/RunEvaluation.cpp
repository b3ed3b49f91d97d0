#include <headbench/runs/RunEvaluation.h>

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/train/Trainer.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

namespace headbench {
namespace fs = std::filesystem;
namespace {

/// Whether `path` holds what the run was trained on: the same file unchanged, or a copy with
/// the same content (hashed only when the size says it may be).
bool isRunsOwnFile(const RunRecord& run, const std::string& path)
{
    std::error_code ec;
    const std::string absolute = fs::absolute(path, ec).string();
    if (absolute == run.featuresPath && checkFeatures(run) == FeaturesState::Same)
        return true;
    const auto size = fs::file_size(path, ec);
    if (ec || run.featuresHash.empty() || (run.featuresSize > 0 && static_cast<std::int64_t>(size) != run.featuresSize))
        return false;
    try {
        return fileHasHash(path, run.featuresHash);
    } catch (const Error&) {
        return false;
    }
}

int splitCode(const std::string& name)
{
    if (name == "train") return kTrain;
    if (name == "validation") return kValidation;
    if (name == "test") return kTest;
    if (name == "all") return -1;
    throw Error("split '" + name + "': expected all, train, validation or test");
}

/// The run's split of every row of its own file, from predictions.csv, matched by id.
std::vector<std::uint8_t> runsSplitOfRows(const std::string& runDir, const FeatureSet& data)
{
    const RunPredictions p = loadPredictions(runDir);
    std::vector<std::uint8_t> split(static_cast<std::size_t>(data.rows));
    bool sameOrder = static_cast<std::int64_t>(p.ids.size()) == data.rows;
    for (std::int64_t r = 0; sameOrder && r < data.rows; ++r)
        sameOrder = p.ids[static_cast<std::size_t>(r)] == data.idOf(r);
    if (sameOrder)
        return p.split;
    std::unordered_map<std::string_view, std::uint8_t> byId;
    for (std::size_t i = 0; i < p.ids.size(); ++i)
        byId.emplace(p.ids[i], p.split[i]);
    for (std::int64_t r = 0; r < data.rows; ++r) {
        const std::string id = data.idOf(r);
        const auto it = byId.find(id);
        if (it == byId.end())
            throw Error(fmt::format("{}: row '{}' is not among the predictions of run {}", data.path, id, runDir));
        split[static_cast<std::size_t>(r)] = it->second;
    }
    return split;
}

} // namespace

RunEvaluation evaluateRun(const std::string& runDir, const std::string& featuresPath, const std::optional<std::string>& split,
                          std::optional<double> thresholdOption)
{
    RunEvaluation out;
    out.run = loadRun(runDir);
    const RunRecord& rec = out.run;
    if (thresholdOption && !(*thresholdOption > 0 && *thresholdOption < 1))
        throw Error(fmt::format("threshold {}: expected a probability in (0, 1)", *thresholdOption));
    const TrainedHead head = loadRunHead(runDir);
    const int k = head.numClasses();
    if (thresholdOption && k != 2)
        throw Error(fmt::format("threshold: run {} has {} classes; a threshold applies to two", rec.id, k));
    out.ownFile = isRunsOwnFile(rec, featuresPath);
    // The run's own feature set of a version-2 file; another file is read at its default set.
    const FeatureSet data =
        readFeatureFile(featuresPath, {.loadTexts = false, .featureSet = out.ownFile ? rec.featureSet : std::string()});
    if (data.dim != head.inputDim())
        throw Error(fmt::format("{}: {} features per row, but the head of run {} takes {}", featuresPath, data.dim, rec.id,
                                head.inputDim()));
    if (data.numClasses() != k)
        throw Error(fmt::format("{}: {} classes, but the head of run {} predicts {}", featuresPath, data.numClasses(), rec.id, k));
    out.features = featuresPath;
    out.labelNames = data.labelNames;
    // Classes are matched by name: a file that names the run's classes in another order has its
    // labels renumbered to the head's (it was scored inverted, at 0.05 accuracy and exit 0); one
    // that names other classes is refused. Unnamed classes (0, 1, ...) on either side match by
    // number, as they always did.
    const auto numbered = [](const std::vector<std::string>& names) {
        for (std::size_t c = 0; c < names.size(); ++c)
            if (names[c] != std::to_string(c))
                return false;
        return true;
    };
    std::vector<std::int32_t> toHead; // file class -> head class, when they differ
    if (data.labelNames != rec.labelNames && !numbered(data.labelNames) && !numbered(rec.labelNames) &&
        rec.labelNames.size() == data.labelNames.size()) {
        for (const std::string& name : data.labelNames) {
            const auto at = std::find(rec.labelNames.begin(), rec.labelNames.end(), name);
            if (at == rec.labelNames.end())
                throw Error(fmt::format("{}: classes {}, but run {} was trained on {}: class '{}' is not one it knows",
                                        featuresPath, fmt::join(data.labelNames, ", "), rec.id,
                                        fmt::join(rec.labelNames, ", "), name));
            toHead.push_back(static_cast<std::int32_t>(at - rec.labelNames.begin()));
        }
        out.labelNames = rec.labelNames;
    }
    out.split = split.value_or(out.ownFile ? "test" : "all");
    const int wanted = splitCode(out.split);
    std::vector<std::uint8_t> rowSplit;
    if (wanted >= 0) {
        if (out.ownFile)
            rowSplit = runsSplitOfRows(runDir, data);
        else if (!data.split.empty())
            rowSplit = data.split;
        else
            throw Error(fmt::format("{}: has no /split and is not the file run {} was trained on, so the {} split cannot be "
                                    "applied (use --split all)",
                                    featuresPath, rec.id, out.split));
    }
    const auto probs = head.predictProba(data.features.data(), data.rows);
    std::vector<std::int32_t> labels;
    std::vector<float> selected;
    for (std::int64_t r = 0; r < data.rows; ++r)
        if (wanted < 0 || rowSplit[static_cast<std::size_t>(r)] == wanted) {
            const std::int32_t label = data.labels[static_cast<std::size_t>(r)];
            labels.push_back(toHead.empty() ? label : toHead[static_cast<std::size_t>(label)]);
            selected.insert(selected.end(), probs.begin() + r * k, probs.begin() + (r + 1) * k);
        }
    if (labels.empty())
        throw Error(fmt::format("{}: no rows in the {} split{}", featuresPath, out.split,
                                out.ownFile ? fmt::format(" of run {}", rec.id) : std::string()));
    out.rows = static_cast<std::int64_t>(labels.size());
    const double threshold = thresholdOption.value_or(rec.threshold.value_or(0.5));
    if (k == 2)
        out.threshold = threshold;
    out.metrics = computeMetrics(labels, selected, k, threshold);
    out.metrics.ci = bootstrapIntervals(labels, selected, k, threshold, {.seed = rec.spec.seed});
    return out;
}

} // namespace headbench
