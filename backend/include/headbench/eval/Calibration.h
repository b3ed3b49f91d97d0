#pragma once
/// \file Calibration.h
/// Post-hoc calibration of a trained head: temperature scaling (one T fitted on the validation
/// split, probabilities softmax(logits / T)). Torch-free.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

enum class CalibrationMethod { None, Temperature };

/// "none" or "temperature"; throws headbench::Error for anything else.
CalibrationMethod parseCalibrationMethod(const std::string& name);

/// What calibration did to a run; method "none" (and nothing else set) when it was off.
struct Calibration {
    std::string method = "none";
    double temperature = 1.0;
    double valEceBefore = 0, valEceAfter = 0;
    bool hasTest = false;            ///< the test split was not empty
    double testEceBefore = 0, testEceAfter = 0;
    bool enabled() const { return method != "none"; }
};

/// Mean negative log-likelihood of softmax(logits / temperature) for rows x K logits.
double temperatureNll(std::span<const float> logits, std::span<const std::int32_t> labels, int numClasses,
                      double temperature);

/// The temperature in [0.01, 100] minimising temperatureNll on these logits (golden-section
/// search over log T; the NLL is convex in 1/T, so the search finds the global minimum).
/// Throws headbench::Error for no rows or mismatched sizes.
double fitTemperature(std::span<const float> logits, std::span<const std::int32_t> labels, int numClasses);

/// The probabilities before temperature scaling, from those after it (rows x K): the logits are
/// T log p up to a constant per row, so softmax(T log p) (a one-logit BCE head too:
/// (1 - s, s) -> sigmoid(T logit s)). Probabilities of 0 are read as 1e-45.
std::vector<float> probabilitiesBeforeTemperature(std::span<const float> probs, int numClasses, double temperature);

std::string calibrationToJson(const Calibration& c);      ///< JSON object text (run.json, train --json)
Calibration calibrationFromJson(const std::string& text); ///< inverse of calibrationToJson

} // namespace headbench
