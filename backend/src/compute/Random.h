#pragma once
/// \file Random.h
/// Private to the backend: the seeded random numbers of the torch-free code (a head's initial
/// weights and dropout masks, the leakage check's projections). splitmix64: one 64-bit state,
/// fast, and the same numbers on every machine for the same seed.
#include <cmath>
#include <cstdint>

namespace headbench {

/// splitmix64's step as a mixing function: 64 well-mixed bits of x (also a hash combiner).
inline std::uint64_t mixBits(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// The next 64 random bits of a splitmix64 state.
inline std::uint64_t nextRandomBits(std::uint64_t& state)
{
    const std::uint64_t bits = mixBits(state);
    state += 0x9e3779b97f4a7c15ULL;
    return bits;
}

/// A uniform float in [0, 1) (24 random bits).
inline float nextUniform(std::uint64_t& state)
{
    return static_cast<float>(nextRandomBits(state) >> 40) * (1.0f / 16777216.0f);
}

/// Two independent standard normal values (Box-Muller on two 53-bit uniforms).
inline void nextGaussianPair(std::uint64_t& state, double& a, double& b)
{
    const double u1 = (static_cast<double>(nextRandomBits(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0); // (0, 1]
    const double u2 = static_cast<double>(nextRandomBits(state) >> 11) * (1.0 / 9007199254740992.0);
    const double r = std::sqrt(-2.0 * std::log(u1));
    a = r * std::cos(2.0 * M_PI * u2);
    b = r * std::sin(2.0 * M_PI * u2);
}

} // namespace headbench
