#pragma once
/// \file JsonNumbers.h
/// Reading whole numbers from parsed JSON without a silent cast: every importer and parser
/// (datasets, head specs, tokenizer.json, run files) goes through here, so 4294967808 never
/// becomes 512, 2^64 - 1 never becomes -1 and 3.3e27 is never cast to an integer (undefined
/// behaviour that nlohmann's own get<long long>() would commit).
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace headbench {

/// A JSON number as a T when it is whole and fits: integers in T's range, and floats with no
/// fraction below 2^53 in magnitude (what a Python writer may produce for a count); nothing
/// otherwise, so the caller decides what a wrong value means.
template <class T, class Json>
std::optional<T> wholeNumberAs(const Json& v)
{
    static_assert(std::is_integral_v<T>);
    constexpr double kExact = 9007199254740992.0; // 2^53
    if (v.is_number_float()) {
        const double d = v.template get<double>();
        if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > kExact)
            return std::nullopt;
        if (d < static_cast<double>(std::numeric_limits<T>::lowest()) || d > static_cast<double>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(d);
    }
    if (!v.is_number_integer())
        return std::nullopt;
    if (v.is_number_unsigned()) {
        const auto u = v.template get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            return std::nullopt;
        return static_cast<T>(u);
    }
    const auto x = v.template get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
        if (x < 0 || static_cast<std::uint64_t>(x) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
            return std::nullopt;
    } else if (x < static_cast<std::int64_t>(std::numeric_limits<T>::lowest()) || x > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
        return std::nullopt;
    }
    return static_cast<T>(x);
}

/// The value of an integer JSON number when it lies in [lo, hi]; nothing for floats (even
/// whole ones), other types and numbers outside the range (including unsigned ones above
/// INT64_MAX). For formats whose writers never write a count as a float.
template <class Json>
std::optional<std::int64_t> wholeNumberIn(const Json& v, std::int64_t lo, std::int64_t hi)
{
    if (!v.is_number_integer())
        return std::nullopt;
    const auto x = wholeNumberAs<std::int64_t>(v);
    if (!x || *x < lo || *x > hi)
        return std::nullopt;
    return x;
}

/// A JSON value that must be a whole number of type T; throws the JSON library's type_error
/// naming `what` otherwise, so readers that already turn JSON errors into "file damaged"
/// messages report it the same way.
template <class T, class Json>
T wholeNumber(const Json& v, const std::string& what)
{
    if (const auto x = wholeNumberAs<T>(v))
        return *x;
    throw Json::type_error::create(302, what + " must be a whole number in range, not " + v.dump(), &v);
}

/// obj[key] as a whole number of type T, or `fallback` when the key is absent or null.
template <class T, class Json>
T wholeValue(const Json& obj, const char* key, T fallback)
{
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return fallback;
    return wholeNumber<T>(*it, std::string("\"") + key + "\"");
}

} // namespace headbench
