#pragma once
/// \file CliOutput.h
/// How headbench-cli prints metrics, shared by its command groups.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace headbench {
struct Interval;
struct Metrics;
struct RunRecord;
}

namespace headbench::cli {

/// A finite number, or null (JSON has no NaN).
nlohmann::json number(double v);
/// All fields of the metrics, as the run store writes them.
nlohmann::json metricsJson(const Metrics& m);
/// {"val": ..., "test": ...}: the metrics of a run's two held-out splits.
nlohmann::json valTestMetricsJson(const RunRecord& r);
/// "0.8123", or "-" when not defined.
std::string fmtMetric(double v);
/// "[0.781, 0.842]", or "-" without an interval.
std::string fmtInterval(const Interval& i, int decimals = 3);
/// Metrics side by side; a column with bootstrap intervals is followed by a "95% CI" column.
void printMetricsTable(const std::vector<std::pair<std::string, const Metrics*>>& columns);
/// The confusion matrix, rows true and columns predicted, with class names.
void printConfusion(const Metrics& m, const std::vector<std::string>& names);
/// "warning: the test split has no 'vulnerable' rows ..." on stderr for each split that lacks a
/// class (missingClassNote): an F1 of 0 [0, 0] there says nothing of the head.
void warnMissingClasses(const std::vector<std::pair<std::string, const Metrics*>>& splits,
                        const std::vector<std::string>& names);
/// "20261128-193000": the UTC time that names a sweep or a group of repeats.
std::string utcStamp();

} // namespace headbench::cli
