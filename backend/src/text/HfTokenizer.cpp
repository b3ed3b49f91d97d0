// tokenizer.json (Hugging Face `tokenizers` format): normalizers, pre-tokenizers, the BPE and
// WordPiece models, added tokens and the single-sequence post-processor templates. Only what
// encoding one text needs; offsets, pairs and decoding are left out.
#include <headbench/text/Tokenizer.h>

#include <headbench/core/Error.h>
#include "core/JsonErrors.h"
#include <headbench/core/Unicode.h>
#include <headbench/text/TokenizerSteps.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <queue>
#include <unordered_map>

namespace headbench {
namespace {

using Ids = std::vector<std::int64_t>;
namespace uc = unicode;
using namespace tokenizer;

// --- models --------------------------------------------------------------------------------

using Vocab = std::unordered_map<std::string, std::int64_t>;

Vocab readVocab(const json& j, const std::string& source)
{
    if (!j.is_object() || j.empty())
        fail(source, "model.vocab must be a non-empty object of token -> id");
    Vocab v;
    v.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
        v.emplace(it.key(), tokenIdOf(it.value(), source + ": model.vocab['" + it.key() + "']"));
    }
    return v;
}

std::int64_t lookupOr(const Vocab& v, const std::string& token, std::int64_t fallback)
{
    const auto it = v.find(token);
    return it == v.end() ? fallback : it->second;
}

class Model {
public:
    virtual ~Model() = default;
    virtual void encodeWord(const std::u32string& word, Ids& out) const = 0;
    const Vocab& vocab() const { return m_vocab; }

protected:
    Vocab m_vocab;
};

class BpeModel : public Model {
public:
    BpeModel(const json& j, const std::string& source)
    {
        m_vocab = readVocab(j.at("vocab"), source);
        if (j.contains("unk_token") && j["unk_token"].is_string()) {
            const std::string unk = j["unk_token"];
            m_unk = lookupOr(m_vocab, unk, -1);
            if (m_unk < 0)
                fail(source, "the BPE unk_token '" + unk + "' is not in the vocabulary");
        }
        if (j.contains("continuing_subword_prefix") && j["continuing_subword_prefix"].is_string())
            m_prefix = j["continuing_subword_prefix"];
        if (j.contains("end_of_word_suffix") && j["end_of_word_suffix"].is_string())
            m_suffix = j["end_of_word_suffix"];
        m_byteFallback = boolOr(j, "byte_fallback", false);
        m_fuseUnk = boolOr(j, "fuse_unk", false);
        const json& merges = j.at("merges");
        if (!merges.is_array())
            fail(source, "model.merges must be an array");
        std::int64_t rank = 0;
        for (const json& m : merges) {
            std::string a, b;
            if (m.is_string()) {
                const std::string s = m;
                const auto space = s.find(' ', 1);
                if (space == std::string::npos)
                    fail(source, "merge #" + std::to_string(rank) + " '" + s + "' is not two tokens separated by a space");
                a = s.substr(0, space);
                b = s.substr(space + 1);
            } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
                a = m[0];
                b = m[1];
            } else {
                fail(source, "merge #" + std::to_string(rank) + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            const std::int64_t ia = lookupOr(m_vocab, a, -1), ib = lookupOr(m_vocab, b, -1);
            const std::string merged = a + (!m_prefix.empty() && b.rfind(m_prefix, 0) == 0 ? b.substr(m_prefix.size()) : b);
            const std::int64_t im = lookupOr(m_vocab, merged, -1);
            if (ia < 0 || ib < 0 || im < 0)
                fail(source, "merge #" + std::to_string(rank) + " ('" + a + "' + '" + b + "') uses a token missing from the vocabulary");
            m_merges.emplace(key(ia, ib), Merge{rank, im});
            ++rank;
        }
    }

    void encodeWord(const std::u32string& word, Ids& out) const override
    {
        // Initial symbols: one per character (or per byte with byte fallback).
        std::vector<std::int64_t> ids;
        ids.reserve(word.size());
        bool lastUnk = false;
        for (std::size_t i = 0; i < word.size(); ++i) {
            std::string s;
            if (i > 0)
                s = m_prefix;
            uc::appendUtf8(s, word[i]);
            if (i + 1 == word.size())
                s += m_suffix;
            const auto it = m_vocab.find(s);
            if (it != m_vocab.end()) {
                ids.push_back(it->second);
                lastUnk = false;
                continue;
            }
            if (m_byteFallback) {
                std::string bytes;
                uc::appendUtf8(bytes, word[i]);
                bool all = true;
                std::vector<std::int64_t> fb;
                for (unsigned char b : bytes) {
                    char name[8];
                    std::snprintf(name, sizeof name, "<0x%02X>", b);
                    const std::int64_t id = lookupOr(m_vocab, name, -1);
                    if (id < 0) { all = false; break; }
                    fb.push_back(id);
                }
                if (all) {
                    ids.insert(ids.end(), fb.begin(), fb.end());
                    lastUnk = false;
                    continue;
                }
            }
            if (m_unk >= 0 && !(m_fuseUnk && lastUnk))
                ids.push_back(m_unk);
            lastUnk = m_unk >= 0;
        }
        mergeSymbols(ids);
        out.insert(out.end(), ids.begin(), ids.end());
    }

private:
    struct Merge {
        std::int64_t rank;
        std::int64_t id;
    };
    static std::uint64_t key(std::int64_t a, std::int64_t b)
    {
        return (static_cast<std::uint64_t>(a) << 32) ^ static_cast<std::uint64_t>(b);
    }
    const Merge* findMerge(std::int64_t a, std::int64_t b) const
    {
        const auto it = m_merges.find(key(a, b));
        return it == m_merges.end() ? nullptr : &it->second;
    }

    /// Applies merges lowest rank first (leftmost among equal ranks) with a heap over the
    /// candidate pairs: O(n log n), so a 100,000-character identifier stays fast.
    void mergeSymbols(std::vector<std::int64_t>& ids) const
    {
        const std::size_t n = ids.size();
        if (n < 2)
            return;
        std::vector<std::int64_t> prev(n), next(n);
        std::vector<char> alive(n, 1);
        for (std::size_t i = 0; i < n; ++i) {
            prev[i] = static_cast<std::int64_t>(i) - 1;
            next[i] = i + 1 < n ? static_cast<std::int64_t>(i + 1) : -1;
        }
        struct Cand {
            std::int64_t rank, pos, left, right;
            bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
        };
        std::priority_queue<Cand, std::vector<Cand>, std::greater<>> heap;
        auto push = [&](std::int64_t pos) {
            if (pos < 0 || next[static_cast<std::size_t>(pos)] < 0)
                return;
            const std::int64_t r = next[static_cast<std::size_t>(pos)];
            if (const Merge* m = findMerge(ids[static_cast<std::size_t>(pos)], ids[static_cast<std::size_t>(r)]))
                heap.push({m->rank, pos, ids[static_cast<std::size_t>(pos)], ids[static_cast<std::size_t>(r)]});
        };
        for (std::size_t i = 0; i + 1 < n; ++i)
            push(static_cast<std::int64_t>(i));
        while (!heap.empty()) {
            const Cand c = heap.top();
            heap.pop();
            const auto p = static_cast<std::size_t>(c.pos);
            if (!alive[p] || next[p] < 0)
                continue;
            const auto r = static_cast<std::size_t>(next[p]);
            if (ids[p] != c.left || ids[r] != c.right)
                continue; // stale: one side was merged since
            ids[p] = findMerge(c.left, c.right)->id;
            alive[r] = 0;
            next[p] = next[r];
            if (next[r] >= 0)
                prev[static_cast<std::size_t>(next[r])] = c.pos;
            push(prev[p]);
            push(c.pos);
        }
        std::size_t w = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (alive[i])
                ids[w++] = ids[i];
        ids.resize(w);
    }

    std::unordered_map<std::uint64_t, Merge> m_merges;
    std::int64_t m_unk = -1;
    std::string m_prefix, m_suffix;
    bool m_byteFallback = false, m_fuseUnk = false;
};

class WordPieceModel : public Model {
public:
    WordPieceModel(const json& j, const std::string& source)
    {
        m_vocab = readVocab(j.at("vocab"), source);
        const std::string unk = j.value("unk_token", "[UNK]");
        m_unk = lookupOr(m_vocab, unk, -1);
        if (m_unk < 0)
            fail(source, "the WordPiece unk_token '" + unk + "' is not in the vocabulary");
        m_prefix = j.value("continuing_subword_prefix", "##");
        m_maxChars = static_cast<std::size_t>(std::max<std::int64_t>(0, intOr(j, "max_input_chars_per_word", 100, source)));
    }

    void encodeWord(const std::u32string& word, Ids& out) const override
    {
        if (word.size() > m_maxChars) {
            out.push_back(m_unk);
            return;
        }
        Ids pieces;
        std::size_t start = 0;
        while (start < word.size()) {
            std::size_t end = word.size();
            std::int64_t found = -1;
            while (end > start) {
                std::string s = start > 0 ? m_prefix : std::string();
                s += uc::encodeUtf8(std::u32string_view(word).substr(start, end - start));
                found = lookupOr(m_vocab, s, -1);
                if (found >= 0)
                    break;
                --end;
            }
            if (found < 0) {
                out.push_back(m_unk);
                return;
            }
            pieces.push_back(found);
            start = end;
        }
        out.insert(out.end(), pieces.begin(), pieces.end());
    }

private:
    std::int64_t m_unk = -1;
    std::string m_prefix;
    std::size_t m_maxChars = 100;
};

// --- the tokenizer -------------------------------------------------------------------------

struct AddedToken {
    std::string content;
    std::int64_t id = 0;
    bool lstrip = false, rstrip = false;
};

class HfTokenizer : public Tokenizer {
public:
    HfTokenizer(const json& doc, const std::string& source)
    {
        if (!doc.is_object() || !doc.contains("model"))
            fail(source, "not a tokenizer.json (no \"model\" object)");
        const json& model = doc.at("model");
        std::string type = model.value("type", "");
        if (type.empty()) // older files leave the type out; the fields tell
            type = model.contains("merges") ? "BPE" : model.contains("max_input_chars_per_word") ? "WordPiece" : "";
        if (type == "BPE") {
            m_model = std::make_unique<BpeModel>(model, source);
            m_kind = "bpe";
        } else if (type == "WordPiece") {
            m_model = std::make_unique<WordPieceModel>(model, source);
            m_kind = "wordpiece";
        } else {
            fail(source, "tokenizer model '" + type + "' is not supported (BPE and WordPiece are)");
        }
        m_normalizer = makeNormalizer(doc.value("normalizer", json()), source);
        m_preTokenizer = makePreTokenizer(doc.value("pre_tokenizer", json()), source);
        for (const auto& [tok, id] : m_model->vocab())
            m_vocabSize = std::max(m_vocabSize, id + 1);
        if (doc.contains("added_tokens") && doc["added_tokens"].is_array()) {
            for (const json& t : doc["added_tokens"]) {
                AddedToken a;
                a.content = t.value("content", "");
                a.id = t.contains("id") ? tokenIdOf(t["id"], source) : -1;
                a.lstrip = boolOr(t, "lstrip", false);
                a.rstrip = boolOr(t, "rstrip", false);
                if (a.content.empty() || a.id < 0)
                    fail(source, "an added token has no content or a negative id");
                m_vocabSize = std::max(m_vocabSize, a.id + 1);
                m_added.push_back(std::move(a));
            }
            // Longest first, so "<|endoftext|>" wins over "<|end".
            std::stable_sort(m_added.begin(), m_added.end(),
                             [](const AddedToken& x, const AddedToken& y) { return x.content.size() > y.content.size(); });
        }
        readPostProcessor(doc.value("post_processor", json()), source);
        for (const Ids* ids : {&m_before, &m_after})
            for (std::int64_t id : *ids) {
                if (id < 0)
                    fail(source, "the post-processor adds a negative token id " + std::to_string(id));
                m_vocabSize = std::max(m_vocabSize, id + 1);
            }
        m_padId = tokenId("<pad>", tokenId("[PAD]", 0));
        if (doc.contains("padding") && doc["padding"].is_object())
            m_padId = intOr(doc["padding"], "pad_id", m_padId, source);
        if (m_padId < 0)
            fail(source, "padding.pad_id is negative");
        m_vocabSize = std::max(m_vocabSize, m_padId + 1);
        // A map, not a vector: ids may be sparse (up to 2^40) in a hostile file.
        m_tokens.reserve(m_model->vocab().size() + m_added.size());
        for (const auto& [tok, id] : m_model->vocab())
            m_tokens.emplace(id, tok);
        for (const AddedToken& a : m_added)
            m_tokens[a.id] = a.content;
    }

    std::string kind() const override { return m_kind; }
    std::int64_t vocabSize() const override { return m_vocabSize; }
    std::int64_t padId() const override { return m_padId; }
    std::string tokenText(std::int64_t id) const override
    {
        const auto it = m_tokens.find(id);
        return it == m_tokens.end() ? std::string() : it->second;
    }

    Ids encode(std::string_view text, int maxLength) const override
    {
        const std::size_t specials = m_before.size() + m_after.size();
        const std::size_t budget = maxLength > 0 ? (static_cast<std::size_t>(maxLength) > specials
                                                        ? static_cast<std::size_t>(maxLength) - specials : 0)
                                                 : SIZE_MAX;
        Ids ids = m_before;
        const Ids body = bodyOf(text, budget);
        ids.insert(ids.end(), body.begin(), body.end());
        ids.insert(ids.end(), m_after.begin(), m_after.end());
        return ids;
    }

    Ids encodeBody(std::string_view text) const override { return bodyOf(text, SIZE_MAX); }
    Ids prefixIds() const override { return m_before; }
    Ids suffixIds() const override { return m_after; }

private:
    /// The text's ids without special tokens, at most `budget` of them (tokenising stops there:
    /// a huge snippet cut to a window costs little).
    Ids bodyOf(std::string_view text, std::size_t budget) const
    {
        Ids body;
        forEachSegment(text, [&](std::string_view segment, std::int64_t addedId) {
            if (body.size() >= budget)
                return false;
            if (addedId >= 0) {
                body.push_back(addedId);
                return true;
            }
            std::u32string t = uc::decodeUtf8(segment);
            if (m_normalizer)
                m_normalizer->apply(t);
            if (t.empty())
                return true;
            Pieces pieces{std::move(t)};
            if (m_preTokenizer)
                m_preTokenizer->split(pieces);
            for (const std::u32string& p : pieces) {
                if (body.size() >= budget)
                    return false;
                if (!p.empty())
                    m_model->encodeWord(p, body);
            }
            return true;
        });
        if (body.size() > budget)
            body.resize(budget);
        return body;
    }

    std::int64_t tokenId(const std::string& token, std::int64_t fallback) const
    {
        for (const AddedToken& a : m_added)
            if (a.content == token)
                return a.id;
        return lookupOr(m_model->vocab(), token, fallback);
    }

    /// Splits the raw text at added tokens (`<s>`, `[MASK]` ... written in the code itself
    /// count as those tokens, as in the hubs' tokenizers) and calls f(segment, -1) for plain
    /// text and f({}, id) for each added token, until f returns false.
    template <typename F> void forEachSegment(std::string_view text, F&& f) const
    {
        std::size_t start = 0, i = 0;
        while (i < text.size()) {
            const AddedToken* hit = nullptr;
            for (const AddedToken& a : m_added)
                if (text.compare(i, a.content.size(), a.content) == 0) {
                    hit = &a;
                    break;
                }
            if (!hit) {
                ++i;
                continue;
            }
            std::size_t segEnd = i;
            if (hit->lstrip)
                while (segEnd > start && std::isspace(static_cast<unsigned char>(text[segEnd - 1]))) --segEnd;
            if (segEnd > start && !f(text.substr(start, segEnd - start), -1))
                return;
            if (!f(std::string_view(), hit->id))
                return;
            i += hit->content.size();
            if (hit->rstrip)
                while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
            start = i;
        }
        if (start < text.size())
            f(text.substr(start), -1);
    }

    void readPostProcessor(const json& j, const std::string& source)
    {
        if (j.is_null())
            return;
        const std::string type = j.value("type", "");
        auto pairId = [&](const char* key) {
            const json& p = j.at(key);
            if (!p.is_array() || p.size() != 2)
                fail(source, std::string("post_processor.") + key + " must be [token, id]");
            return tokenIdOf(p[1], source);
        };
        if (type == "RobertaProcessing" || type == "BertProcessing") {
            m_before = {pairId("cls")};
            m_after = {pairId("sep")};
        } else if (type == "TemplateProcessing") {
            bool seenSequence = false;
            for (const json& piece : j.at("single")) {
                if (piece.contains("Sequence")) {
                    seenSequence = true;
                    continue;
                }
                const std::string name = piece.at("SpecialToken").at("id");
                const json& st = j.at("special_tokens");
                if (!st.contains(name))
                    fail(source, "post_processor template names special token '" + name + "' that it does not define");
                for (const json& id : st.at(name).at("ids"))
                    (seenSequence ? m_after : m_before).push_back(tokenIdOf(id, source));
            }
        } else if (type == "Sequence") {
            for (const json& p : j.at("processors"))
                readPostProcessor(p, source);
        } else if (type != "ByteLevel") {
            fail(source, "post-processor '" + type + "' is not supported");
        }
    }

    std::string m_kind;
    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    std::unique_ptr<Model> m_model;
    std::vector<AddedToken> m_added;
    Ids m_before, m_after;
    std::int64_t m_vocabSize = 0;
    std::unordered_map<std::int64_t, std::string> m_tokens; ///< id -> token (vocabulary and added tokens)
    std::int64_t m_padId = 0;
};

} // namespace

std::unique_ptr<Tokenizer> parseHfTokenizer(std::string_view text, const std::string& source)
{
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(jsonParseMessage(source, e.what()));
    }
    try {
        return std::make_unique<HfTokenizer>(doc, source);
    } catch (const json::exception& e) {
        throw Error(source + ": malformed tokenizer.json (" + e.what() + ")");
    }
}

} // namespace headbench