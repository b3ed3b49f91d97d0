#pragma once
/// \file NumberText.h
/// Numbers as the project's own files write and read them: locale-independent (std::to_chars
/// and std::from_chars), the shortest text that reads back as the same value, and readers that
/// take the whole field or nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace headbench {

/// The shortest decimal text that reads back as exactly `v` (e.g. 0.1f -> "0.1",
/// 7.146622e-43f -> "7.146622e-43"); "nan", "inf" and "-inf" for the non-finite.
std::string formatFloat(float v);
std::string formatDouble(double v);

/// The whole of `text` as a number, or nullopt for empty text, trailing characters or a value
/// too large for the type. A value too small for the type reads as 0 of its sign (underflow is
/// accepted: 1e-46 is 0 as a float, 1e-45 the smallest denormal). "nan" and "inf" parse; the
/// caller decides whether they are allowed.
std::optional<float> parseFloat(std::string_view text);
std::optional<double> parseDouble(std::string_view text);
std::optional<std::int64_t> parseInteger(std::string_view text);

} // namespace headbench
