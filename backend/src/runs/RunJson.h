#pragma once
// Private: the pieces of run.json, metrics.json and history.json that RunStore.cpp (reading,
// listing, beginning runs; torch-free) and RunSave.cpp (saving a trained head's run) share.
#include <headbench/runs/RunStore.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace headbench::runstore {

nlohmann::json metricsJson(const Metrics& m);
Metrics metricsFromJson(const nlohmann::json& j);
nlohmann::json historyJson(const std::vector<EpochStats>& history);
/// The feature file's record; its content hash is remembered in `<workspace>/.cache/hashes`.
nlohmann::json featuresJson(const FeatureSet& data, const std::string& workspace);
void readFeaturesJson(const nlohmann::json& f, RunRecord& rec);
std::string defaultRunNameOf(const HeadSpec& spec, const FeatureSet& data, const SweepTag& sweep);
std::string utcNow(const char* format);
nlohmann::json sweepJson(const SweepTag& sweep);
void readSweepJson(const nlohmann::json& run, RunRecord& rec);
/// Where the run is trained: host, and the Slurm array task when there is one.
void addRunnerJson(nlohmann::json& run);
void readRunnerJson(const nlohmann::json& run, RunRecord& rec);
void writeAtomically(const std::filesystem::path& path, const std::string& text);

} // namespace headbench::runstore
