#include <headbench/core/Unicode.h>

#include <headbench/core/Error.h>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace headbench::unicode {

std::size_t firstInvalidUtf8(std::string_view text)
{
    if (text.size() > static_cast<std::size_t>(INT32_MAX)) // ICU's macros count in int32_t
        throw Error("a text of " + std::to_string(text.size()) + " bytes is too long to check as UTF-8");
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto n = static_cast<int32_t>(text.size());
    for (int32_t i = 0; i < n;) {
        const int32_t at = i;
        UChar32 c = 0;
        U8_NEXT(s, i, n, c);
        if (c < 0)
            return static_cast<std::size_t>(at);
    }
    return std::string_view::npos;
}

std::u32string decodeUtf8(std::string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        if (c < 0x80) {
            out.push_back(c);
            ++i;
            continue;
        }
        int len = 0;
        char32_t cp = 0, min = 0;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        bool ok = len > 0 && i + static_cast<std::size_t>(len) <= n;
        for (int k = 1; ok && k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80)
                ok = false;
            else
                cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        if (ok) {
            out.push_back(cp);
            i += static_cast<std::size_t>(len);
        } else {
            out.push_back(0xFFFD);
            ++i;
        }
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text)
        appendUtf8(out, cp);
    return out;
}

namespace {
std::int32_t categoryMask(char32_t cp)
{
    return U_MASK(u_charType(static_cast<UChar32>(cp)));
}

icu::UnicodeString toIcu(std::u32string_view text)
{
    return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                         static_cast<std::int32_t>(text.size()));
}

std::u32string fromIcu(const icu::UnicodeString& s)
{
    UErrorCode status = U_ZERO_ERROR;
    std::u32string out(static_cast<std::size_t>(s.countChar32()), U'\0');
    s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<std::int32_t>(out.size()), status);
    return out;
}
} // namespace

bool isLetter(char32_t cp) { return (categoryMask(cp) & U_GC_L_MASK) != 0; }
bool isNumber(char32_t cp) { return (categoryMask(cp) & U_GC_N_MASK) != 0; }
bool isWhitespace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }
bool isPunctuation(char32_t cp) { return (categoryMask(cp) & U_GC_P_MASK) != 0; }
bool isBertControl(char32_t cp)
{
    if (cp == U'\t' || cp == U'\n' || cp == U'\r')
        return false;
    const std::int32_t m = categoryMask(cp);
    if ((m & (U_GC_CC_MASK | U_GC_CO_MASK)) != 0)
        return true;
    if ((m & U_GC_CF_MASK) == 0)
        return false;
    // Format characters added to Unicode after the tables HF's Rust code uses (found by running
    // HF's BertNormalizer over every code point): HF keeps them as it keeps unassigned ones.
    const bool newerThanHf = cp == 0x0890 || cp == 0x0891 || cp == 0x08E2 || cp == 0x110CD ||
                             (cp >= 0x13430 && cp <= 0x1343F);
    return !newerThanHf;
}
bool isMark(char32_t cp) { return (categoryMask(cp) & U_GC_MN_MASK) != 0; }

bool isCjk(char32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::u32string normalize(std::u32string_view text, std::string_view form)
{
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = nullptr;
    if (form == "NFC") n = icu::Normalizer2::getNFCInstance(status);
    else if (form == "NFD") n = icu::Normalizer2::getNFDInstance(status);
    else if (form == "NFKC") n = icu::Normalizer2::getNFKCInstance(status);
    else if (form == "NFKD") n = icu::Normalizer2::getNFKDInstance(status);
    else throw Error("unknown Unicode normalisation form '" + std::string(form) + "'");
    if (U_FAILURE(status))
        throw Error("ICU could not load the " + std::string(form) + " normaliser");
    const icu::UnicodeString result = n->normalize(toIcu(text), status);
    if (U_FAILURE(status))
        throw Error("ICU failed to normalise a text to " + std::string(form));
    return fromIcu(result);
}

std::u32string toLower(std::u32string_view text)
{
    // Character by character, as HF tokenizers (Rust's char::to_lowercase) does it: no
    // context, so a final capital sigma becomes σ, not ς. The only unconditional lower-case
    // mapping to more than one character is U+0130 (İ -> i + combining dot above).
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c == 0x0130) {
            out.push_back(U'i');
            out.push_back(0x0307);
        } else {
            out.push_back(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
        }
    }
    return out;
}

} // namespace headbench::unicode
