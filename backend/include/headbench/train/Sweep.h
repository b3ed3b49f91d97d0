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
};

/// Expands a sweep definition (JSON), in one of two forms:
/// - grid:   {"base": {spec fields}, "grid": {"depth": [0, 1, 2], "activation": ["relu", "gelu"]}}
///           -> the Cartesian product, the last field varying fastest;
/// - random: {"base": {...}, "random": {"n": 12, "seed": 7, "fields": {
///              "lr": {"log_uniform": [1e-4, 1e-2]}, "dropout": {"uniform": [0, 0.5]},
///              "depth": {"choice": [0, 1, 2]}, "width": {"int_uniform": [64, 512]}}}}
///           -> n draws, the same for the same seed.
/// Field names are those of the head spec JSON, plus "depth" and "width" (every hidden layer).
/// Throws headbench::Error naming `source` for a malformed definition or an invalid spec.
std::vector<SweepPoint> expandSweep(const std::string& json, const std::string& source = "sweep");

} // namespace headbench
