#pragma once
// Private: the pieces of run.json, metrics.json and history.json that RunStore.cpp (reading,
// listing, beginning runs; torch-free) and RunSave.cpp (saving a trained head's run) share.
#include <headbench/runs/RunStore.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace headbench::runstore {

nlohmann::json metricsJson(const Metrics& m);
nlohmann::json historyJson(const std::vector<EpochStats>& history);
nlohmann::json featuresJson(const FeatureSet& data);
void readFeaturesJson(const nlohmann::json& f, RunRecord& rec);
std::string defaultRunNameOf(const HeadSpec& spec, const FeatureSet& data, const SweepTag& sweep);
std::string utcNow(const char* format);
void writeAtomically(const std::filesystem::path& path, const std::string& text);

} // namespace headbench::runstore
