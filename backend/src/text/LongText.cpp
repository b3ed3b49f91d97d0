// What a backbone sees of a text longer than its window: head, tail or overlapping windows
// (extract --long), and which bytes of the text that is (the code viewer's shading).
#include <headbench/text/Tokenizer.h>

#include <headbench/core/Error.h>

#include <algorithm>
#include <filesystem>

namespace headbench {
namespace {

using Ids = std::vector<std::int64_t>;

Ids wrap(const Tokenizer& tokenizer, Ids::const_iterator first, Ids::const_iterator last)
{
    Ids ids = tokenizer.prefixIds();
    ids.insert(ids.end(), first, last);
    const Ids after = tokenizer.suffixIds();
    ids.insert(ids.end(), after.begin(), after.end());
    return ids;
}

/// Moves a byte offset back to the start of the UTF-8 character it falls in.
std::size_t charStart(std::string_view text, std::size_t at)
{
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80)
        --at;
    return at;
}

} // namespace

LongMode parseLongMode(const std::string& name)
{
    if (name == "head")
        return LongMode::Head;
    if (name == "tail")
        return LongMode::Tail;
    if (name == "windows")
        return LongMode::Windows;
    throw Error("--long '" + name + "': expected head, tail or windows");
}

const char* longModeName(LongMode mode)
{
    switch (mode) {
    case LongMode::Tail:
        return "tail";
    case LongMode::Windows:
        return "windows";
    case LongMode::Head:
        break;
    }
    return "head";
}

std::int64_t contentLength(const Tokenizer& tokenizer, int maxLength)
{
    const auto specials = static_cast<std::int64_t>(tokenizer.prefixIds().size() + tokenizer.suffixIds().size());
    return std::max<std::int64_t>(1, maxLength - specials);
}

std::int64_t defaultWindowStride(const Tokenizer& tokenizer, int maxLength)
{
    return std::max<std::int64_t>(1, contentLength(tokenizer, maxLength) / 2);
}

std::vector<Ids> encodeLong(const Tokenizer& tokenizer, std::string_view text, int maxLength, LongMode mode,
                            std::int64_t stride)
{
    if (maxLength <= 0 || mode == LongMode::Head)
        return {tokenizer.encode(text, maxLength)};
    const Ids body = tokenizer.encodeBody(text);
    const std::int64_t n = static_cast<std::int64_t>(body.size());
    const std::int64_t length = contentLength(tokenizer, maxLength);
    if (n <= length)
        return {wrap(tokenizer, body.begin(), body.end())};
    if (mode == LongMode::Tail)
        return {wrap(tokenizer, body.end() - length, body.end())};
    if (stride <= 0)
        stride = defaultWindowStride(tokenizer, maxLength);
    std::vector<Ids> windows;
    std::int64_t start = 0;
    for (; start + length < n; start += stride)
        windows.push_back(wrap(tokenizer, body.begin() + start, body.begin() + start + length));
    if (windows.empty() || start - stride != n - length)
        windows.push_back(wrap(tokenizer, body.end() - length, body.end()));
    return windows;
}

SeenSpan seenSpan(const Tokenizer& tokenizer, std::string_view text, int maxLength, LongMode mode)
{
    SeenSpan span{0, text.size(), false};
    if (maxLength <= 0 || mode == LongMode::Windows)
        return span;
    const auto length = static_cast<std::size_t>(contentLength(tokenizer, maxLength));
    if (tokenizer.encodeBody(text).size() <= length)
        return span;
    span.cut = true;
    // The token count of a prefix (suffix) grows with its length: find the longest one that
    // fits by doubling, then bisecting, so the cost follows the window's length in bytes, not
    // the whole text's (the window calls this on the GUI thread for the selected sample).
    const auto fits = [&](std::size_t n) {
        const std::string_view part = mode == LongMode::Head ? text.substr(0, n) : text.substr(text.size() - n);
        return tokenizer.encodeBody(part).size() <= length;
    };
    std::size_t lo = 0, hi = std::min<std::size_t>(text.size(), 4 * length);
    while (hi < text.size() && fits(hi)) {
        lo = hi;
        hi = std::min(text.size(), 2 * hi);
    }
    // Now lo fits and hi does not (the whole text does not: it was cut).
    while (hi - lo > 1) {
        const std::size_t mid = lo + (hi - lo) / 2;
        (fits(mid) ? lo : hi) = mid;
    }
    if (mode == LongMode::Head) {
        span.end = charStart(text, lo);
    } else {
        std::size_t begin = text.size() - lo;
        while (begin < text.size() && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80)
            ++begin;
        span.begin = begin;
    }
    return span;
}

std::string findTokenizer(const std::map<std::string, std::string>& attributes, const std::string& featureFile)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (const auto it = attributes.find("tokenizer_path"); it != attributes.end() && fs::is_regular_file(it->second, ec))
        return it->second;
    if (const auto it = attributes.find("tokenizer_file"); it != attributes.end() && !it->second.empty()) {
        const fs::path beside = fs::path(featureFile).parent_path() / fs::path(it->second).filename();
        if (fs::is_regular_file(beside, ec))
            return beside.string();
    }
    return {};
}

} // namespace headbench
