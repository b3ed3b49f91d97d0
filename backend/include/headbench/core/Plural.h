#pragma once
/// \file Plural.h
/// A count with its noun agreeing, for every message of the CLI and the window: "1 row",
/// "2 rows", "0 rows". HeadBench ships no translations, so Qt's "%n row(s)" would show as is.
#include <string>
#include <string_view>
#include <type_traits>

namespace headbench {

/// `n` and `one` when n is 1, else `many` (default: `one` + "s").
template <class N, class = std::enable_if_t<std::is_integral_v<N>>>
std::string plural(N n, std::string_view one, std::string_view many = {})
{
    std::string out = std::to_string(n);
    out += ' ';
    if (n == 1)
        out += one;
    else if (many.empty())
        (out += one) += 's';
    else
        out += many;
    return out;
}

} // namespace headbench
