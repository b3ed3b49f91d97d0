#pragma once
/// \file Sweep.h
/// Sweeps over head specs: a grid over fields, or random draws from ranges.
#include <headbench/train/HeadSpec.h>

#include <string>
#include <vector>

namespace headbench {

/// One spec of a sweep and the values that made it (JSON object text, e.g. {"depth":1}).
struct SweepPoint {
    HeadSpec spec;
    std::string params;
    /// The feature set to train on (field `feature_set` of the base or of an axis); empty: the
    /// file's default.
    std::string featureSet;
    double trainFraction = 1.0; ///< the "train_fraction" axis (learning curves); 1 without it
};

/// Expands a sweep definition (JSON), in one of two forms:
/// - grid:   {"base": {spec fields}, "grid": {"depth": [0, 1, 2], "activation": ["relu", "gelu"]}}
///           -> the Cartesian product, the last field varying fastest;
/// - random: {"base": {...}, "random": {"n": 12, "seed": 7, "fields": {
///              "lr": {"log_uniform": [1e-4, 1e-2]}, "dropout": {"uniform": [0, 0.5]},
///              "depth": {"choice": [0, 1, 2]}, "width": {"int_uniform": [64, 512]}}}}
///           -> n draws, the same for the same seed.
/// Field names are those of the head spec JSON, plus "depth" and "width" (every hidden layer)
/// and "feature_set" (a feature set name of a version-2 file, see SweepPoint::featureSet).
/// Field names are those of the head spec JSON, plus "depth" and "width" (every hidden layer), plus
/// "train_fraction" (in (0, 1]: the run fits on that nested, stratified part of the training split;
/// see trainSubset), which is not a head field and goes to SweepPoint::trainFraction.
/// Throws headbench::Error naming `source` for a malformed definition or an invalid spec.
std::vector<SweepPoint> expandSweep(const std::string& json, const std::string& source = "sweep");

} // namespace headbench
