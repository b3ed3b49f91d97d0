#pragma once
/// \file CrossValidationFiles.h
/// A cross-validated run's files: cv.json (folds, their metrics, mean and sd) and oof.csv (the
/// out-of-fold probabilities). Reading cv.json's summary is RunStore's loadCrossValidationSummary.
#include <headbench/eval/PredictionFiles.h>
#include <headbench/train/CrossValidation.h>

#include <string>

namespace headbench {

/// Writes cv.json (K, seed, folds with their metrics, mean, sd) and oof.csv (id, label, fold,
/// p_<class>... for every pooled row, in file order) into a run folder, each atomically.
void saveCrossValidation(const std::string& runDir, const FeatureSet& data, const CrossValidationResult& cv);

/// cv.json of a run as JSON text (also what `train --cv --json` prints under "cv").
std::string crossValidationToJson(const CrossValidationResult& cv);

/// Out-of-fold probabilities of a run (oof.csv, read by readOutOfFoldCsv).
OutOfFold loadOutOfFold(const std::string& runDir);

} // namespace headbench
