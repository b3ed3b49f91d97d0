#pragma once
/// \file JsonNumbers.h
/// Reading whole numbers from parsed JSON without a silent cast: every importer and parser
/// (datasets, head specs, tokenizer.json) goes through here, so 4294967808 never becomes 512
/// and 2^64 - 1 never becomes -1.
#include <cstdint>
#include <limits>
#include <optional>

namespace headbench {

/// The value of an integer JSON number when it lies in [lo, hi]; nothing for floats, other
/// types and numbers outside the range (including unsigned ones above INT64_MAX).
template <class Json>
std::optional<std::int64_t> wholeNumberIn(const Json& v, std::int64_t lo, std::int64_t hi)
{
    if (!v.is_number_integer())
        return std::nullopt;
    if (v.is_number_unsigned() && v.template get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    const auto x = v.template get<std::int64_t>();
    if (x < lo || x > hi)
        return std::nullopt;
    return x;
}

} // namespace headbench
