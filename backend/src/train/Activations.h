#pragma once
/// \file Activations.h
/// Private to the backend: a head's activations and their slopes as torch defines them (GELU
/// exact, leaky ReLU with slope 0.01) and layer norm's normalisation, for the BLAS trainer and
/// the heads applied without LibTorch.
#include <headbench/train/HeadSpec.h>

#include <cmath>
#include <cstdint>

namespace headbench {

constexpr float kLeakySlope = 0.01f;

/// The activation and its slope at y, one type per function so each loop is specialised (and
/// relu's vectorised).
template <Activation A> struct Act;
template <> struct Act<Activation::Relu> {
    static float f(float y) { return y > 0 ? y : 0.0f; }
    static float slope(float y) { return y > 0 ? 1.0f : 0.0f; }
};
template <> struct Act<Activation::LeakyRelu> {
    static float f(float y) { return y > 0 ? y : kLeakySlope * y; }
    static float slope(float y) { return y > 0 ? 1.0f : kLeakySlope; }
};
template <> struct Act<Activation::Tanh> {
    static float f(float y) { return std::tanh(y); }
    static float slope(float y)
    {
        const float t = std::tanh(y);
        return 1.0f - t * t;
    }
};
template <> struct Act<Activation::Silu> {
    static float f(float y) { return y / (1.0f + std::exp(-y)); }
    static float slope(float y)
    {
        const float s = 1.0f / (1.0f + std::exp(-y));
        return s * (1.0f + y * (1.0f - s));
    }
};
template <> struct Act<Activation::Gelu> { // exact: y Phi(y)
    static float f(float y) { return static_cast<float>(0.5 * y * (1.0 + std::erf(y * M_SQRT1_2))); }
    static float slope(float y)
    {
        const double cdf = 0.5 * (1.0 + std::erf(y * M_SQRT1_2));
        const double pdf = std::exp(-0.5 * static_cast<double>(y) * y) * 0.3989422804014327;
        return static_cast<float>(cdf + y * pdf);
    }
};

/// Calls body.template operator()<Act<a>>() for the activation a.
template <typename Body> void withActivation(Activation a, Body&& body)
{
    switch (a) {
    case Activation::Relu: body.template operator()<Act<Activation::Relu>>(); return;
    case Activation::LeakyRelu: body.template operator()<Act<Activation::LeakyRelu>>(); return;
    case Activation::Tanh: body.template operator()<Act<Activation::Tanh>>(); return;
    case Activation::Silu: body.template operator()<Act<Activation::Silu>>(); return;
    case Activation::Gelu: body.template operator()<Act<Activation::Gelu>>(); return;
    }
}

/// Layer norm of one row of h values without its affine part: writes (z - mean) / sigma to out
/// (which may be z) and returns 1 / sigma, sigma = sqrt(population variance + eps), the moments
/// in double. The trainer keeps 1 / sigma for the backward pass.
inline float normalizeRow(const float* z, std::int64_t h, double eps, float* out)
{
    double mean = 0, var = 0;
    for (std::int64_t j = 0; j < h; ++j)
        mean += z[j];
    mean /= static_cast<double>(h);
    for (std::int64_t j = 0; j < h; ++j)
        var += (z[j] - mean) * (z[j] - mean);
    const float rstd = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(h) + eps));
    for (std::int64_t j = 0; j < h; ++j)
        out[j] = static_cast<float>(z[j] - mean) * rstd;
    return rstd;
}

} // namespace headbench
