#include <headbench/eval/Calibration.h>

#include <headbench/core/Error.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace headbench {

CalibrationMethod parseCalibrationMethod(const std::string& name)
{
    if (name == "none")
        return CalibrationMethod::None;
    if (name == "temperature")
        return CalibrationMethod::Temperature;
    throw Error("calibration '" + name + "': expected none or temperature");
}

double temperatureNll(std::span<const float> logits, std::span<const std::int32_t> labels, int numClasses,
                      double temperature)
{
    const std::size_t n = labels.size();
    if (n == 0 || numClasses < 1 || logits.size() != n * static_cast<std::size_t>(numClasses))
        throw Error(fmt::format("temperature scaling: {} logits do not match {} rows of {} classes", logits.size(), n,
                                numClasses));
    const double beta = 1.0 / temperature;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * static_cast<std::size_t>(numClasses);
        double top = -std::numeric_limits<double>::infinity();
        for (int k = 0; k < numClasses; ++k)
            top = std::max(top, beta * z[k]);
        double sum = 0;
        for (int k = 0; k < numClasses; ++k)
            sum += std::exp(beta * z[k] - top);
        total += top + std::log(sum) - beta * z[labels[i]];
    }
    return total / static_cast<double>(n);
}

double fitTemperature(std::span<const float> logits, std::span<const std::int32_t> labels, int numClasses)
{
    const auto f = [&](double logT) { return temperatureNll(logits, labels, numClasses, std::exp(logT)); };
    // Golden-section search on log T in [log 0.01, log 100]. NLL(1/T) is convex (log-sum-exp of
    // a linear function minus a linear function), so NLL(log T) is unimodal.
    const double invPhi = (std::sqrt(5.0) - 1) / 2;
    double a = std::log(0.01), b = std::log(100.0);
    double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
    double fc = f(c), fd = f(d);
    while (b - a > 1e-7) {
        if (fc < fd) {
            b = d, d = c, fd = fc;
            c = b - invPhi * (b - a);
            fc = f(c);
        } else {
            a = c, c = d, fc = fd;
            d = a + invPhi * (b - a);
            fd = f(d);
        }
    }
    return std::exp((a + b) / 2);
}

std::string calibrationToJson(const Calibration& c)
{
    using nlohmann::json;
    json j{{"method", c.method},
           {"temperature", c.temperature},
           {"val_ece_before", c.valEceBefore},
           {"val_ece_after", c.valEceAfter},
           {"test_ece_before", c.hasTest ? json(c.testEceBefore) : json(nullptr)},
           {"test_ece_after", c.hasTest ? json(c.testEceAfter) : json(nullptr)}};
    return j.dump();
}

Calibration calibrationFromJson(const std::string& text)
{
    const auto j = nlohmann::json::parse(text);
    Calibration c;
    c.method = j.value("method", "none");
    c.temperature = j.value("temperature", 1.0);
    c.valEceBefore = j.value("val_ece_before", 0.0);
    c.valEceAfter = j.value("val_ece_after", 0.0);
    c.hasTest = j.contains("test_ece_before") && j["test_ece_before"].is_number();
    if (c.hasTest) {
        c.testEceBefore = j["test_ece_before"].get<double>();
        c.testEceAfter = j.value("test_ece_after", 0.0);
    }
    return c;
}

std::vector<float> probabilitiesBeforeTemperature(std::span<const float> probs, int numClasses, double temperature)
{
    const auto k = static_cast<std::size_t>(numClasses);
    std::vector<float> raw(probs.size());
    std::vector<double> z(k);
    for (std::size_t i = 0; k > 0 && i < probs.size() / k; ++i) {
        const float* p = probs.data() + i * k;
        double top = -std::numeric_limits<double>::infinity(), sum = 0;
        for (std::size_t c = 0; c < k; ++c)
            top = std::max(top, z[c] = temperature * std::log(std::max(static_cast<double>(p[c]), 1e-45)));
        for (std::size_t c = 0; c < k; ++c)
            sum += z[c] = std::exp(z[c] - top);
        for (std::size_t c = 0; c < k; ++c)
            raw[i * k + c] = static_cast<float>(z[c] / sum);
    }
    return raw;
}

} // namespace headbench
