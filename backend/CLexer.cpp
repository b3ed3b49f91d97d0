#include "CLexer.h"

#include <array>
#include <cctype>

namespace headbench {
namespace {

bool isIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
bool isIdentChar(char c) { return isIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Punctuators, longest first so that greedy matching picks `<<=` over `<<` over `<`.
constexpr std::array<std::string_view, 48> kPunctuators = {
    "<<=", ">>=", "...", "->*", "::", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
    "||", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##", ".*",
    "+", "-", "*", "/", "%", "<", ">", "=", "!", "&", "|", "^", "~", "?", ":", ";", ",", ".",
    "(", ")", "[", "]"};

} // namespace

std::vector<std::string> lexC(std::string_view s)
{
    std::vector<std::string> tokens;
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
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
            tokens.emplace_back(s.substr(start, i - start));
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
            const std::size_t start = i;
            while (i < n && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '\'' ||
                             ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E' ||
                                                               s[i - 1] == 'p' || s[i - 1] == 'P'))))
                ++i;
            const std::string_view number = s.substr(start, i - start);
            tokens.emplace_back(number == "0" || number == "1" ? std::string(number) : std::string("<num>"));
        } else if (c == '"' || c == '\'') {
            bool hasFormat = false;
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
            tokens.emplace_back(c == '\'' ? "<chr>" : hasFormat ? "<fmt>" : "<str>");
        } else {
            bool matched = false;
            for (std::string_view p : kPunctuators) {
                if (s.substr(i, p.size()) == p) {
                    tokens.emplace_back(p);
                    i += p.size();
                    matched = true;
                    break;
                }
            }
            if (!matched) { // '{', '}', '#', and anything unusual: one character each
                tokens.emplace_back(1, c);
                ++i;
            }
        }
    }
    return tokens;
}

} // namespace headbench
