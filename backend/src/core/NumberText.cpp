#include <headbench/core/NumberText.h>

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace headbench {
namespace {

template <typename T>
std::string shortest(T v)
{
    std::array<char, 64> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
    return ec == std::errc() ? std::string(buffer.data(), end) : std::string("nan");
}

/// from_chars reports a value out of the type's range without telling which end: the text's
/// exponent does. A negative one means the value underflowed towards zero.
bool underflows(std::string_view text)
{
    const auto e = text.find_first_of("eE");
    return e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-';
}

template <typename T>
std::optional<T> parseReal(std::string_view text)
{
    if (text.empty())
        return std::nullopt;
    std::string_view body = text;
    // from_chars takes no leading '+'; a written number never has one, but a hand-edited file may.
    if (body.front() == '+')
        body.remove_prefix(1);
    T value{};
    const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (end != body.data() + body.size())
        return std::nullopt;
    if (ec == std::errc::result_out_of_range) {
        if (!underflows(body))
            return std::nullopt;
        return body.front() == '-' ? -T(0) : T(0);
    }
    if (ec != std::errc())
        return std::nullopt;
    return value;
}

} // namespace

std::string formatFloat(float v) { return shortest(v); }
std::string formatDouble(double v) { return shortest(v); }

std::optional<float> parseFloat(std::string_view text) { return parseReal<float>(text); }
std::optional<double> parseDouble(std::string_view text) { return parseReal<double>(text); }

std::optional<std::int64_t> parseInteger(std::string_view text)
{
    std::int64_t value = 0;
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace headbench
