#include <headbench/text/CLexer.h>

#include <array>
#include <cctype>
#include <functional>

namespace headbench {
namespace {

// ASCII classes inline: <cctype>'s are calls through the locale (a tenth of the text leakage
// check), and bytes above 0x7f are identifier characters here whatever the locale says.
constexpr bool isAsciiAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool isAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool isAsciiAlnum(unsigned char c) { return isAsciiAlpha(c) || isAsciiDigit(c); }
constexpr bool isAsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool isIdentStart(char c) { return isAsciiAlpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
bool isIdentChar(char c) { return isIdentStart(c) || isAsciiDigit(static_cast<unsigned char>(c)); }

// Punctuators, longest first so that greedy matching picks `<<=` over `<<` over `<`.
constexpr std::array<std::string_view, 48> kPunctuators = {
    "<<=", ">>=", "...", "->*", "::", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
    "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##", ".*",
    "+", "-", "*", "/", "%", "<", ">", "=", "!", "&", "|", "^", "~", "?", ":", ";", ",", ".",
    "(", ")", "[", "]"};

/// The lexer proper: calls `emit` with each token (a view into `s`, or a static placeholder
/// for a normalised literal).
template <typename Emit> void lex(std::string_view s, bool keepLiterals, Emit&& emit)
{
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const char c = s[i];
        if (isAsciiSpace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\n')
                ++i;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            const auto end = s.find("*/", i + 2);
            i = end == std::string_view::npos ? n : end + 2;
        } else if (isIdentStart(c)) {
            const std::size_t start = i;
            while (i < n && isIdentChar(s[i]))
                ++i;
            // String prefixes such as L"..." or u8"..." belong to the literal.
            if (i < n && (s[i] == '"' || s[i] == '\'') && i - start <= 2)
                continue;
            emit(s.substr(start, i - start));
        } else if (isAsciiDigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < n && isAsciiDigit(static_cast<unsigned char>(s[i + 1])))) {
            const std::size_t start = i;
            while (i < n && (isAsciiAlnum(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '\'' ||
                             ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E' ||
                                                               s[i - 1] == 'p' || s[i - 1] == 'P'))))
                ++i;
            const std::string_view number = s.substr(start, i - start);
            emit(keepLiterals || number == "0" || number == "1" ? number : std::string_view("<num>"));
        } else if (c == '"' || c == '\'') {
            bool hasFormat = false;
            const std::size_t start = i;
            ++i;
            while (i < n && s[i] != c && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < n) {
                    i += 2;
                    continue;
                }
                if (s[i] == '%' && i + 1 < n && s[i + 1] != '%')
                    hasFormat = true;
                ++i;
            }
            if (i < n && s[i] == c)
                ++i;
            emit(keepLiterals ? s.substr(start, i - start)
                              : std::string_view(c == '\'' ? "<chr>" : hasFormat ? "<fmt>" : "<str>"));
        } else {
            bool matched = false;
            for (std::string_view p : kPunctuators) {
                // The first character first: comparing every punctuator's bytes (a memcmp call
                // each) was a quarter of the text leakage check on 149,000 functions.
                if (p[0] == c && s.substr(i, p.size()) == p) {
                    emit(p);
                    i += p.size();
                    matched = true;
                    break;
                }
            }
            if (!matched) { // '{', '}', '#', and anything unusual: one character each
                emit(s.substr(i, 1));
                ++i;
            }
        }
    }
}

} // namespace

std::vector<std::string> lexC(std::string_view s)
{
    std::vector<std::string> tokens;
    lex(s, false, [&](std::string_view t) { tokens.emplace_back(t); });
    return tokens;
}

void forEachCToken(std::string_view source, const std::function<void(std::string_view)>& emit)
{
    lex(source, true, emit);
}

std::string normalizedCode(std::string_view source)
{
    std::string out;
    out.reserve(source.size());
    lex(source, true, [&](std::string_view t) {
        if (!out.empty())
            out += ' ';
        out += t;
    });
    return out;
}

} // namespace headbench
