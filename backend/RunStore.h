#pragma once
/// \file RunStore.h
/// Training runs kept in a workspace folder: `<workspace>/runs/<id>/` with run.json,
/// spec.json, history.json, metrics.json, predictions.csv and head.pt. A run folder appears
/// under its final name only when all of it is written.
#include "FeatureFile.h"
#include "HeadSpec.h"
#include "Metrics.h"
#include "Trainer.h"

#include <string>
#include <vector>

namespace headbench {

/// A saved run as listed and reloaded.
struct RunRecord {
    std::string id;
    std::string name;
    std::string dir;
    std::string created;        ///< ISO 8601, UTC
    std::string status;         ///< "finished" or "cancelled"
    std::string featuresPath;
    std::string featuresHash;
    std::string backbone;
    std::int64_t rows = 0, dim = 0;
    std::vector<std::string> labelNames;
    HeadSpec spec;
    std::int64_t parameters = 0;
    int bestEpoch = 0;
    int epochsRun = 0;
    double seconds = 0;
    std::vector<EpochStats> history;
    Metrics validation, test;
};

/// Per-sample outputs of a run.
struct RunPredictions {
    std::vector<std::string> ids;
    std::vector<std::int32_t> labels;
    std::vector<std::uint8_t> split;
    std::vector<float> probabilities; ///< rows x K
    int numClasses = 0;
};

/// Saves a finished (or cancelled) training run; returns its record. Atomic: everything is
/// written into a hidden temporary folder that is renamed into place last.
RunRecord saveRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec,
                  const TrainResult& result, const std::string& name = {});

/// Runs of a workspace, newest first. Folders that are not complete runs are skipped and
/// reported in `problems` (when given).
std::vector<RunRecord> listRuns(const std::string& workspace, std::vector<std::string>* problems = nullptr);

/// Loads one run folder; throws headbench::Error when it is not a complete run.
RunRecord loadRun(const std::string& dir);
RunPredictions loadPredictions(const std::string& dir);
/// The trained head of a run (head.pt).
TrainedHead loadRunHead(const std::string& dir);

/// Metrics as JSON text, shared by run files and the CLI's --json output.
std::string metricsToJson(const Metrics& m);

} // namespace headbench
