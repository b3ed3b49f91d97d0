#pragma once
/// \file PredictionFiles.h
/// The CSV files of a run folder, written and read in one place: predictions.csv, leakage.csv
/// and oof.csv. Every number is written as the shortest text that reads back as the same value
/// (NumberText.h), so a probability of 7e-43 or 1 - 6e-8 survives the round trip; ids are
/// quoted as RFC 4180 asks (commas, quotes, newlines, any UTF-8). Readers refuse a damaged file
/// with headbench::Error naming the file, the line and the field.
#include <headbench/eval/Predictions.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace headbench {

/// A run's predictions.csv: id, split, label, predicted (arg-max, or p1 >= 0.5 for two
/// classes), then p_<class> for every class.
void writePredictionsCsv(const std::string& path, const Predictions& p);
/// Throws headbench::Error for a file that is missing, not a predictions file, or damaged
/// (a split that is not train/validation/test, a label outside the classes, a probability that
/// is not a number in [0, 1], a row whose probabilities do not add up to 1 or do not give its
/// predicted class).
Predictions readPredictionsCsv(const std::string& path);

/// Per validation/test row of a run, what the leakage check found (leakage.csv).
struct LeakageRow {
    std::string id;
    std::uint8_t split = 0;
    bool exact = false, near = false, conflicting = false;
    std::string nearestTrainId; ///< empty when no training row was a candidate
    float similarity = 0;       ///< NaN when none
};
void writeLeakageCsv(const std::string& path, const std::vector<LeakageRow>& rows);
std::vector<LeakageRow> readLeakageCsv(const std::string& path);

/// Out-of-fold probabilities of a cross-validated run (oof.csv).
struct OutOfFold {
    std::vector<std::string> ids;
    std::vector<std::int32_t> labels;
    std::vector<int> fold;
    std::vector<std::string> labelNames; ///< from the p_<class> headers
    std::vector<float> probabilities;    ///< rows x numClasses
    int numClasses() const { return static_cast<int>(labelNames.size()); }
};
void writeOutOfFoldCsv(const std::string& path, const OutOfFold& o);
/// Throws headbench::Error naming the file when it is missing (the run was not trained with
/// --cv) or damaged.
OutOfFold readOutOfFoldCsv(const std::string& path);

} // namespace headbench
