// Saving a trained run: the only part of the run store that needs LibTorch (head.pt).
#include "RunJson.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/eval/Calibration.h>
#include <headbench/runs/RunStore.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>

namespace headbench {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace runstore;

RunRecord saveRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec,
                  const TrainResult& result, const std::string& name, const std::string& runDir, const SweepTag& sweep)
{
    const fs::path dir = runDir.empty() ? fs::path(beginRun(workspace, data, spec, name, sweep)) : fs::path(runDir);
    RunRecord rec;
    rec.id = dir.filename().string();
    rec.name = name.empty() ? defaultRunName(spec, data, sweep) : name;
    rec.created = utcNow("%Y-%m-%dT%H:%M:%SZ");
    rec.status = "finished";
    const json features = featuresJson(data, workspace);
    readFeaturesJson(features, rec);
    rec.labelNames = data.labelNames;
    rec.spec = spec;
    rec.parameters = result.parameters;
    rec.bestEpoch = result.bestEpoch;
    rec.epochsRun = static_cast<int>(result.history.size());
    rec.seconds = result.seconds;
    rec.leakageSeconds = result.leakageSeconds;
    rec.intervalSeconds = result.intervalSeconds;
    rec.history = result.history;
    rec.validation = result.validation;
    rec.test = result.test;
    rec.sweepId = sweep.id;
    rec.sweepParams = sweep.params;
    rec.sweepPoint = sweep.point;
    rec.sweepPoints = sweep.points;
    rec.splitSource = result.splitSource;
    rec.trainFraction = result.trainFraction;
    rec.trainRows = result.trainRows;
    rec.calibration = result.calibration;
    rec.leakage = result.leakage;
    rec.leakage.flags.clear(); // per-row detail lives in leakage.csv
    rec.leakage.nearestTrain.clear();
    rec.leakage.similarity.clear();

    try {
        writeAtomically(dir / "spec.json", toJson(spec) + "\n");
        writeAtomically(dir / "history.json", historyJson(result.history).dump(1) + "\n");
        writeAtomically(dir / "metrics.json",
                  json{{"validation", metricsJson(result.validation)}, {"test", metricsJson(result.test)}}.dump(1) + "\n");
        Predictions predictions;
        predictions.numClasses = data.numClasses();
        predictions.labelNames = data.labelNames;
        predictions.probabilities = result.probabilities;
        predictions.split = result.split;
        predictions.labels = data.labels;
        predictions.ids.reserve(static_cast<std::size_t>(data.rows));
        for (std::int64_t r = 0; r < data.rows; ++r)
            predictions.ids.push_back(data.idOf(r));
        writePredictionsCsv((dir / "predictions.csv").string(), predictions);
        if (result.leakage.measured) {
            const LeakageReport& lk = result.leakage;
            std::vector<LeakageRow> rows;
            for (std::int64_t r = 0; r < data.rows; ++r) {
                const auto i = static_cast<std::size_t>(r);
                if (result.split[i] == kTrain)
                    continue;
                const std::int64_t t = lk.nearestTrain[i];
                rows.push_back({.id = data.idOf(r),
                                .split = result.split[i],
                                .exact = (lk.flags[i] & kExactDuplicate) != 0,
                                .near = (lk.flags[i] & kNearDuplicate) != 0,
                                .conflicting = (lk.flags[i] & kConflictingLabel) != 0,
                                .nearestTrainId = t >= 0 ? data.idOf(t) : std::string(),
                                .similarity = t >= 0 ? static_cast<float>(lk.similarity[i])
                                                     : std::numeric_limits<float>::quiet_NaN()});
            }
            writeLeakageCsv((dir / "leakage.csv").string(), rows);
        }
        const std::string headPath = (dir / "head.pt").string();
        result.head.save(headPath);
        json run{{"id", rec.id},
                 {"name", rec.name},
                 {"created", rec.created},
                 {"status", rec.status},
                 {"summary", summary(spec)},
                 {"features", features},
                 {"label_names", rec.labelNames},
                 {"parameters", rec.parameters},
                 {"best_epoch", rec.bestEpoch},
                 {"epochs_run", rec.epochsRun},
                 {"stopped_early", result.stoppedEarly},
                 {"finished_by_user", result.finishedByUser},
                 {"seconds", rec.seconds},
                 {"costs", {{"leakage_seconds", rec.leakageSeconds}, {"interval_seconds", rec.intervalSeconds}}},
                 {"tags", json::array()},
                 {"split_source", result.splitSource}};
        run["train_fraction"] = result.trainFraction;
        run["train_rows"] = result.trainRows;
        run["head_hash"] = hashFile(headPath); // loadRunHead refuses a head.pt put there from elsewhere
        if (result.splitSource.rfind("file", 0) == 0)
            if (const auto it = data.attributes.find("split_source"); it != data.attributes.end())
                run["file_split_source"] = it->second;
        if (result.leakage.measured)
            run["leakage"] = json::parse(leakageToJson(result.leakage));
        if (result.calibration.enabled())
            run["calibration"] = json::parse(calibrationToJson(result.calibration));
        if (!sweep.id.empty())
            run["sweep"] = sweepJson(sweep);
        addRunnerJson(run);
        // run.json last, by rename: its presence is what makes the run complete.
        writeAtomically(dir / "run.json", run.dump(1) + "\n");
        std::error_code ec;
        fs::remove(dir / "running.json", ec);
    } catch (const std::exception& e) {
        // The folder keeps running.json, so the run lists as interrupted, never as finished;
        // nothing else in the workspace is touched.
        throw Error(std::string("saving the run failed: ") + e.what());
    }
    rec.dir = dir.string();
    return rec;
}


TrainedHead loadRunHead(const std::string& dir)
{
    const RunRecord rec = loadRun(dir);
    const std::string path = (fs::path(dir) / "head.pt").string();
    const bool saved = rec.headHash.empty() || fileHasHash(path, rec.headHash);
    TrainedHead head = TrainedHead::load(path); // a damaged file is named as such first
    if (!saved)
        throw Error(fmt::format("{}: not the head run {} saved (its content differs from run.json's head_hash): was it "
                                "copied from another run?",
                                path, rec.id));
    if (!rec.labelNames.empty() && head.numClasses() != static_cast<int>(rec.labelNames.size()))
        throw Error(fmt::format("{}: the head predicts {} classes, but run.json names {}", path, head.numClasses(),
                                rec.labelNames.size()));
    if (rec.dim > 0 && head.inputDim() != rec.dim)
        throw Error(fmt::format("{}: the head takes {} features per row, but run.json's feature file has {}", path,
                                head.inputDim(), rec.dim));
    return head;
}

} // namespace headbench
