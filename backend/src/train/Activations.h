#pragma once
/// \file Activations.h
/// Private to the backend: a head's activations and their slopes as torch defines them (GELU
/// exact, leaky ReLU with slope 0.01), for the BLAS trainer and the heads applied without
/// LibTorch.
#include <headbench/train/HeadSpec.h>

#include <cmath>

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

} // namespace headbench
