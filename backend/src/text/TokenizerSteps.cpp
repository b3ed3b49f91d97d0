// The normalisers and pre-tokenizers of tokenizer.json (Hugging Face `tokenizers` format),
// and the field readers the tokenizer's parser shares with them.
#include <headbench/text/TokenizerSteps.h>

#include <headbench/core/Error.h>
#include "core/JsonNumbers.h"

#include <array>
#include <limits>

namespace headbench::tokenizer {

namespace uc = unicode;

[[noreturn]] void fail(const std::string& source, const std::string& what)
{
    throw Error(source + ": " + what);
}

// --- normalizers ---------------------------------------------------------------------------

std::u32string stripAccents(const std::u32string& text)
{
    std::u32string out;
    for (char32_t c : uc::normalize(text, "NFD"))
        if (!uc::isMark(c))
            out.push_back(c);
    return out;
}

class BertNormalizer : public Normalizer {
public:
    BertNormalizer(bool clean, bool chinese, bool strip, bool lower)
        : m_clean(clean), m_chinese(chinese), m_strip(strip), m_lower(lower) {}
    void apply(std::u32string& text) const override
    {
        if (m_clean) {
            std::u32string out;
            out.reserve(text.size());
            for (char32_t c : text) {
                // Controls go first: U+000B, U+000C and U+0085 are whitespace too but are deleted.
                if (c == 0 || c == 0xFFFD || uc::isBertControl(c))
                    continue;
                const bool ws = c == U'\t' || c == U'\n' || c == U'\r' || uc::isWhitespace(c);
                out.push_back(ws ? U' ' : c);
            }
            text.swap(out);
        }
        if (m_chinese) {
            std::u32string out;
            for (char32_t c : text) {
                if (uc::isCjk(c)) {
                    out.push_back(U' ');
                    out.push_back(c);
                    out.push_back(U' ');
                } else {
                    out.push_back(c);
                }
            }
            text.swap(out);
        }
        if (m_strip)
            text = stripAccents(text);
        if (m_lower)
            text = uc::toLower(text);
    }

private:
    bool m_clean, m_chinese, m_strip, m_lower;
};

class FunctionNormalizer : public Normalizer {
public:
    explicit FunctionNormalizer(std::u32string (*f)(const std::u32string&)) : m_f(f) {}
    void apply(std::u32string& text) const override { text = m_f(text); }

private:
    std::u32string (*m_f)(const std::u32string&);
};

class FormNormalizer : public Normalizer {
public:
    explicit FormNormalizer(std::string form) : m_form(std::move(form)) {}
    void apply(std::u32string& text) const override { text = uc::normalize(text, m_form); }

private:
    std::string m_form;
};

class StripNormalizer : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    void apply(std::u32string& text) const override
    {
        std::size_t b = 0, e = text.size();
        if (m_left)
            while (b < e && uc::isWhitespace(text[b])) ++b;
        if (m_right)
            while (e > b && uc::isWhitespace(text[e - 1])) --e;
        text = text.substr(b, e - b);
    }

private:
    bool m_left, m_right;
};

class ReplaceNormalizer : public Normalizer {
public:
    ReplaceNormalizer(std::u32string from, std::u32string to) : m_from(std::move(from)), m_to(std::move(to)) {}
    void apply(std::u32string& text) const override
    {
        if (m_from.empty())
            return;
        std::u32string out;
        std::size_t i = 0;
        for (std::size_t hit; (hit = text.find(m_from, i)) != std::u32string::npos; i = hit + m_from.size())
            out.append(text, i, hit - i).append(m_to);
        out.append(text, i);
        text.swap(out);
    }

private:
    std::u32string m_from, m_to;
};

class PrependNormalizer : public Normalizer {
public:
    explicit PrependNormalizer(std::u32string p) : m_p(std::move(p)) {}
    void apply(std::u32string& text) const override
    {
        if (!text.empty())
            text.insert(0, m_p);
    }

private:
    std::u32string m_p;
};

class SequenceNormalizer : public Normalizer {
public:
    std::vector<std::unique_ptr<Normalizer>> steps;
    void apply(std::u32string& text) const override
    {
        for (const auto& s : steps)
            s->apply(text);
    }
};

/// An integer field; a float, a string or a number out of range is an error, never a cast.
std::int64_t intOr(const json& j, const char* key, std::int64_t fallback, const std::string& source)
{
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    const auto value = wholeNumberIn(*it, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    if (!value)
        fail(source, std::string("\"") + key + "\" must be an integer");
    return *value;
}

std::int64_t tokenIdOf(const json& v, const std::string& source)
{
    const auto id = wholeNumberIn(v, 0, std::int64_t{1} << 40);
    if (!id)
        fail(source, "token id " + v.dump() + " is not an integer in 0..2^40");
    return *id;
}

bool boolOr(const json& j, const char* key, bool fallback)
{
    const auto it = j.find(key);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::unique_ptr<Normalizer> makeNormalizer(const json& j, const std::string& source)
{
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    if (type == "BertNormalizer") {
        const bool lower = boolOr(j, "lowercase", true);
        return std::make_unique<BertNormalizer>(boolOr(j, "clean_text", true), boolOr(j, "handle_chinese_chars", true),
                                                boolOr(j, "strip_accents", lower), lower);
    }
    if (type == "Lowercase")
        return std::make_unique<FunctionNormalizer>([](const std::u32string& t) { return uc::toLower(t); });
    if (type == "StripAccents")
        return std::make_unique<FunctionNormalizer>(&stripAccents);
    if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
        return std::make_unique<FormNormalizer>(type);
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(boolOr(j, "strip_left", true), boolOr(j, "strip_right", true));
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(uc::decodeUtf8(j.value("prepend", "")));
    if (type == "Replace") {
        const json& pattern = j.at("pattern");
        if (!pattern.contains("String"))
            fail(source, "the Replace normaliser with a regex pattern is not supported");
        return std::make_unique<ReplaceNormalizer>(uc::decodeUtf8(pattern.at("String").get<std::string>()),
                                                   uc::decodeUtf8(j.value("content", "")));
    }
    if (type == "Sequence") {
        auto seq = std::make_unique<SequenceNormalizer>();
        for (const json& step : j.at("normalizers"))
            if (auto n = makeNormalizer(step, source))
                seq->steps.push_back(std::move(n));
        return seq;
    }
    fail(source, "normaliser '" + type + "' is not supported");
}

// --- pre-tokenizers ------------------------------------------------------------------------

/// GPT-2's pattern, 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+,
/// matched by hand: the first character decides the branch.
void splitGpt2(const std::u32string& t, Pieces& out)
{
    const std::size_t n = t.size();
    auto isOtherChar = [](char32_t c) { return !uc::isWhitespace(c) && !uc::isLetter(c) && !uc::isNumber(c); };
    std::size_t i = 0;
    while (i < n) {
        const char32_t c = t[i];
        std::size_t end = i;
        if (c == U'\'' && i + 1 < n) {
            const char32_t a = t[i + 1];
            const char32_t b = i + 2 < n ? t[i + 2] : 0;
            if (a == U's' || a == U't' || a == U'm' || a == U'd')
                end = i + 2;
            else if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l'))
                end = i + 3;
        }
        if (end == i) {
            const std::size_t j = (c == U' ' && i + 1 < n) ? i + 1 : i;
            const char32_t d = t[j];
            bool (*cls)(char32_t) = nullptr;
            if (uc::isLetter(d)) cls = [](char32_t x) { return uc::isLetter(x); };
            else if (uc::isNumber(d)) cls = [](char32_t x) { return uc::isNumber(x); };
            else if (isOtherChar(d)) cls = [](char32_t x) { return !uc::isWhitespace(x) && !uc::isLetter(x) && !uc::isNumber(x); };
            if (cls) {
                end = j;
                while (end < n && cls(t[end])) ++end;
            }
        }
        if (end == i) { // whitespace run: \s+(?!\S), else \s+
            std::size_t k = i;
            while (k < n && uc::isWhitespace(t[k])) ++k;
            if (k == n || k - i == 1)
                end = k;
            else
                end = k - 1;
        }
        out.push_back(t.substr(i, end - i));
        i = end;
    }
}

/// The byte-to-character table of byte-level BPE: printable bytes stand for themselves, the
/// others are shifted to U+0100 and up.
const std::array<char32_t, 256>& byteChars()
{
    static const std::array<char32_t, 256> table = [] {
        std::array<char32_t, 256> t{};
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            t[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
        }
        return t;
    }();
    return table;
}

class ByteLevelPreTokenizer : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool prefixSpace, bool useRegex) : m_prefix(prefixSpace), m_regex(useRegex) {}
    void split(Pieces& pieces) const override
    {
        Pieces out;
        for (std::u32string& p : pieces) {
            if (m_prefix && (p.empty() || p[0] != U' '))
                p.insert(p.begin(), U' ');
            Pieces words;
            if (m_regex)
                splitGpt2(p, words);
            else
                words.push_back(p);
            for (const std::u32string& w : words) {
                std::u32string mapped;
                for (unsigned char b : uc::encodeUtf8(w))
                    mapped.push_back(byteChars()[b]);
                out.push_back(std::move(mapped));
            }
        }
        pieces.swap(out);
    }

private:
    bool m_prefix, m_regex;
};

/// Splits on whitespace (dropped); with `isolate`, each character for which it returns true
/// becomes a piece of its own; with `group`, runs of word and of non-word characters are split.
class CharClassPreTokenizer : public PreTokenizer {
public:
    enum Mode { WhitespaceOnly, BertPunctuation, WordsAndSymbols };
    explicit CharClassPreTokenizer(Mode mode) : m_mode(mode) {}
    void split(Pieces& pieces) const override
    {
        Pieces out;
        for (const std::u32string& p : pieces) {
            std::u32string cur;
            int curClass = -1;
            auto flush = [&] {
                if (!cur.empty())
                    out.push_back(std::move(cur));
                cur.clear();
            };
            for (char32_t c : p) {
                if (uc::isWhitespace(c)) {
                    flush();
                    curClass = -1;
                    continue;
                }
                if (m_mode == BertPunctuation && isBertPunct(c)) {
                    flush();
                    out.push_back(std::u32string(1, c));
                    continue;
                }
                if (m_mode == WordsAndSymbols) {
                    const int cls = isWordChar(c) ? 1 : 2;
                    if (cls != curClass)
                        flush();
                    curClass = cls;
                }
                cur.push_back(c);
            }
            flush();
        }
        pieces.swap(out);
    }

private:
    static bool isBertPunct(char32_t c)
    {
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
               uc::isPunctuation(c);
    }
    static bool isWordChar(char32_t c) { return c == U'_' || uc::isLetter(c) || uc::isNumber(c) || uc::isMark(c); }
    Mode m_mode;
};

class DigitsPreTokenizer : public PreTokenizer {
public:
    explicit DigitsPreTokenizer(bool individual) : m_individual(individual) {}
    void split(Pieces& pieces) const override
    {
        Pieces out;
        for (const std::u32string& p : pieces) {
            std::u32string cur;
            bool curDigit = false;
            for (char32_t c : p) {
                const bool digit = uc::isNumber(c);
                if (!cur.empty() && (digit != curDigit || (digit && m_individual))) {
                    out.push_back(std::move(cur));
                    cur.clear();
                }
                cur.push_back(c);
                curDigit = digit;
            }
            if (!cur.empty())
                out.push_back(std::move(cur));
        }
        pieces.swap(out);
    }

private:
    bool m_individual;
};

class SequencePreTokenizer : public PreTokenizer {
public:
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    void split(Pieces& pieces) const override
    {
        for (const auto& s : steps)
            s->split(pieces);
    }
};

std::unique_ptr<PreTokenizer> makePreTokenizer(const json& j, const std::string& source)
{
    if (j.is_null())
        return nullptr;
    const std::string type = j.value("type", "");
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(boolOr(j, "add_prefix_space", true), boolOr(j, "use_regex", true));
    if (type == "BertPreTokenizer")
        return std::make_unique<CharClassPreTokenizer>(CharClassPreTokenizer::BertPunctuation);
    if (type == "WhitespaceSplit")
        return std::make_unique<CharClassPreTokenizer>(CharClassPreTokenizer::WhitespaceOnly);
    if (type == "Whitespace")
        return std::make_unique<CharClassPreTokenizer>(CharClassPreTokenizer::WordsAndSymbols);
    if (type == "Digits")
        return std::make_unique<DigitsPreTokenizer>(boolOr(j, "individual_digits", false));
    if (type == "Sequence") {
        auto seq = std::make_unique<SequencePreTokenizer>();
        for (const json& step : j.at("pretokenizers"))
            if (auto p = makePreTokenizer(step, source))
                seq->steps.push_back(std::move(p));
        return seq;
    }
    fail(source, "pre-tokenizer '" + type + "' is not supported");
}


} // namespace headbench::tokenizer
