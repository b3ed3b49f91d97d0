// tokenizer.json (Hugging Face `tokenizers` format): normalizers, pre-tokenizers, the BPE and
// WordPiece models, added tokens and the single-sequence post-processor templates. Only what
// encoding one text needs; offsets, pairs and decoding are left out.
#include <headbench/text/Tokenizer.h>

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include "core/JsonErrors.h"
#include <headbench/core/Unicode.h>
#include <headbench/text/TokenizerSteps.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <unordered_map>

namespace headbench {
namespace {

using Ids = std::vector<std::int64_t>;
namespace fs = std::filesystem;
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

namespace {

std::unique_ptr<Tokenizer> fromDocument(const json& doc, const std::string& source)
{
    try {
        return std::make_unique<HfTokenizer>(doc, source);
    } catch (const json::exception& e) {
        throw Error(source + ": malformed tokenizer.json (" + e.what() + ")");
    }
}

json parseJson(std::string_view text, const std::string& source)
{
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw Error(jsonParseMessage(source, e.what()));
    }
}

// --- slow tokenizer files ------------------------------------------------------------------
//
// A folder without tokenizer.json: vocab.json + merges.txt (RoBERTa) or vocab.txt (BERT), with
// special_tokens_map.json, tokenizer_config.json and added_tokens.json. They become the
// tokenizer.json document transformers' RobertaConverter / BertConverter (convert_slow_tokenizer)
// would write, read by the parser above.

enum class SlowKind { None, Bpe, WordPiece };

const char* const kSidecars[] = {"special_tokens_map.json", "tokenizer_config.json", "added_tokens.json"};

bool isFile(const fs::path& p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

std::string readText(const fs::path& path, const char* what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot open " + what);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw Error(path.string() + ": read error");
    return buffer.str();
}

/// An optional JSON object beside the vocabulary: {} when the file is absent.
json readSidecar(const fs::path& path)
{
    if (!isFile(path))
        return json::object();
    const std::string where = path.string();
    json j = parseJson(readText(path, "the tokenizer file"), where);
    if (!j.is_object())
        fail(where, "expected a JSON object");
    return j;
}

/// The lines of a text file, '\n'-separated, a trailing '\r' dropped; the empty piece after a
/// final newline is not a line.
std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        out.push_back(std::move(line));
        start = end + 1;
    }
    return out;
}

bool validUtf8(const std::string& s)
{
    return uc::encodeUtf8(uc::decodeUtf8(s)) == s;
}

struct SlowToken {
    std::string content;
    bool lstrip = false, rstrip = false;
};

/// A special token's value in tokenizer_config.json / special_tokens_map.json: a string or an
/// AddedToken object {"content", "lstrip", "rstrip", ...}; nothing for null.
std::optional<SlowToken> slowToken(const json& v, const std::string& where, bool lstripIfString)
{
    if (v.is_null())
        return std::nullopt;
    if (v.is_string())
        return SlowToken{v.get<std::string>(), lstripIfString, false};
    if (v.is_object() && v.contains("content") && v["content"].is_string())
        return SlowToken{v["content"].get<std::string>(), boolOr(v, "lstrip", false), boolOr(v, "rstrip", false)};
    fail(where, "a special token is neither a string nor {\"content\": ...}: " + v.dump());
}

/// The tokenizer class the files were saved with (tokenizer_config.json's tokenizer_class, else
/// config.json's model_type beside them), checked against the families whose template this
/// conversion writes. Nothing known: accepted.
void checkFamily(const fs::path& dir, const json& config, SlowKind kind)
{
    const bool bpe = kind == SlowKind::Bpe;
    const char* files = bpe ? "vocab.json + merges.txt" : "vocab.txt";
    const char* family = bpe ? "RoBERTa's byte-level BPE (Roberta, Bart, Longformer)" : "BERT's WordPiece (Bert, DistilBert, Electra)";
    if (const auto it = config.find("tokenizer_class"); it != config.end() && it->is_string()) {
        std::string name = *it;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, "Fast") == 0)
            name.resize(name.size() - 4);
        static const std::set<std::string> bpeClasses{"RobertaTokenizer", "BartTokenizer", "LongformerTokenizer"};
        static const std::set<std::string> wpClasses{"BertTokenizer", "DistilBertTokenizer", "ElectraTokenizer"};
        if (!(bpe ? bpeClasses : wpClasses).contains(name))
            fail((dir / "tokenizer_config.json").string(),
                 "tokenizer_class " + it->get<std::string>() + ": HeadBench reads " + files + " as " + family +
                     " only; give this model's tokenizer.json");
        return;
    }
    const fs::path modelConfig = dir / "config.json";
    if (!isFile(modelConfig))
        return;
    json model;
    try {
        model = json::parse(readText(modelConfig, "config.json"));
    } catch (const std::exception&) {
        return; // the model's loader reports a broken config.json
    }
    if (!model.is_object() || !model.contains("model_type") || !model["model_type"].is_string())
        return;
    const std::string type = model["model_type"];
    static const std::set<std::string> bpeTypes{"roberta", "bart", "longformer"};
    static const std::set<std::string> wpTypes{"bert", "distilbert", "electra"};
    if (!(bpe ? bpeTypes : wpTypes).contains(type))
        fail(modelConfig.string(), "model_type " + type + " without a tokenizer.json: HeadBench reads " + files + " as " +
                                       family + " only; give this model's tokenizer.json");
}

/// The added tokens of a slow tokenizer and their ids, as PreTrainedTokenizerFast adds them:
/// tokenizer_config.json's added_tokens_decoder and added_tokens.json with their ids, then the
/// special tokens (bos, eos, unk, sep, pad, cls, mask, additional) not among them, each with its
/// vocabulary id or, when the vocabulary lacks it, the next free id.
class SlowSpecials {
public:
    SlowSpecials(const fs::path& dir, const json& vocab, const json& config, const json& map, SlowKind kind)
    {
        for (auto it = vocab.begin(); it != vocab.end(); ++it)
            m_next = std::max(m_next, it.value().get<std::int64_t>() + 1);
        const std::string configFile = (dir / "tokenizer_config.json").string();
        if (const auto it = config.find("added_tokens_decoder"); it != config.end() && it->is_object()) {
            // Ordered by id, as transformers adds them.
            std::vector<std::pair<std::int64_t, SlowToken>> byId;
            for (auto t = it->begin(); t != it->end(); ++t) {
                std::int64_t id = -1;
                try {
                    std::size_t used = 0;
                    id = std::stoll(t.key(), &used);
                    if (used != t.key().size())
                        id = -1;
                } catch (const std::exception&) {
                }
                if (id < 0 || id > (std::int64_t{1} << 40))
                    fail(configFile, "added_tokens_decoder key '" + t.key() + "' is not a token id");
                const auto token = slowToken(t.value(), configFile, false);
                if (token)
                    byId.emplace_back(id, *token);
            }
            std::sort(byId.begin(), byId.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [id, token] : byId)
                add(token, id);
        }
        const fs::path addedFile = dir / "added_tokens.json";
        const json added = readSidecar(addedFile);
        std::vector<std::pair<std::int64_t, std::string>> addedById;
        for (auto it = added.begin(); it != added.end(); ++it)
            addedById.emplace_back(tokenIdOf(it.value(), addedFile.string() + ": '" + it.key() + "'"), it.key());
        std::sort(addedById.begin(), addedById.end());
        for (const auto& [id, content] : addedById)
            add(SlowToken{content}, id);

        const bool bpe = kind == SlowKind::Bpe;
        const std::string mapFile = (dir / "special_tokens_map.json").string();
        // special_tokens_map.json wins over tokenizer_config.json, as in from_pretrained.
        auto value = [&](const char* key, const char* fallback) -> std::optional<SlowToken> {
            const bool lstrip = bpe && std::string_view(key) == "mask_token"; // RoBERTa's <mask> takes the space before it
            if (const auto it = map.find(key); it != map.end())
                return slowToken(*it, mapFile, lstrip);
            if (const auto it = config.find(key); it != config.end())
                return slowToken(*it, configFile, lstrip);
            if (!fallback)
                return std::nullopt;
            return SlowToken{fallback, lstrip, false};
        };
        struct Key {
            const char* name;
            const char* bpeDefault;
            const char* wpDefault;
        };
        static const Key keys[] = {{"bos_token", "<s>", nullptr},    {"eos_token", "</s>", nullptr},
                                   {"unk_token", "<unk>", "[UNK]"},  {"sep_token", "</s>", "[SEP]"},
                                   {"pad_token", "<pad>", "[PAD]"},  {"cls_token", "<s>", "[CLS]"},
                                   {"mask_token", "<mask>", "[MASK]"}};
        for (const Key& k : keys) {
            const auto token = value(k.name, bpe ? k.bpeDefault : k.wpDefault);
            if (token) {
                m_named[k.name] = token->content;
                add(*token, vocabId(vocab, token->content));
            }
        }
        for (const auto* source : {&map, &config}) {
            const auto it = source->find("additional_special_tokens");
            if (it == source->end())
                continue;
            if (!it->is_array())
                fail(source == &map ? mapFile : configFile, "additional_special_tokens must be a list");
            for (const json& v : *it)
                if (const auto token = slowToken(v, source == &map ? mapFile : configFile, false))
                    add(*token, vocabId(vocab, token->content));
            break; // the map's list replaces the config's
        }
    }

    /// The content of a named special token ("cls_token"); empty when there is none.
    std::string named(const std::string& key) const
    {
        const auto it = m_named.find(key);
        return it == m_named.end() ? std::string() : it->second;
    }
    /// The id of an added token's content; -1 when it is not one.
    std::int64_t idOf(const std::string& content) const
    {
        for (const auto& [token, id] : m_tokens)
            if (token.content == content)
                return id;
        return -1;
    }

    json addedTokensJson() const
    {
        json out = json::array();
        for (const auto& [token, id] : m_tokens)
            out.push_back({{"id", id}, {"content", token.content}, {"single_word", false}, {"lstrip", token.lstrip},
                           {"rstrip", token.rstrip}, {"normalized", false}, {"special", true}});
        return out;
    }

private:
    static std::int64_t vocabId(const json& vocab, const std::string& content)
    {
        const auto it = vocab.find(content);
        return it == vocab.end() ? -1 : it->get<std::int64_t>();
    }
    void add(const SlowToken& token, std::int64_t id)
    {
        if (token.content.empty() || idOf(token.content) >= 0)
            return;
        if (id < 0)
            id = m_next;
        m_next = std::max(m_next, id + 1);
        m_tokens.emplace_back(token, id);
    }

    std::vector<std::pair<SlowToken, std::int64_t>> m_tokens;
    std::map<std::string, std::string> m_named;
    std::int64_t m_next = 0;
};

/// The post-processor's [token, id] for a named special token, which must exist.
json templateToken(const SlowSpecials& specials, const char* key, const std::string& source)
{
    const std::string content = specials.named(key);
    if (content.empty())
        fail(source, std::string("the tokenizer has no ") + key + ", which its template needs");
    return json::array({content, specials.idOf(content)});
}

/// vocab.json (already parsed) + merges.txt beside it: RobertaConverter's tokenizer.json.
json slowBpeDocument(const fs::path& vocabPath, json vocab)
{
    const std::string source = vocabPath.string();
    const fs::path dir = vocabPath.parent_path();
    if (!vocab.is_object() || vocab.empty())
        fail(source, "a vocab.json must be a non-empty object of token -> id");
    for (auto it = vocab.begin(); it != vocab.end(); ++it)
        it.value() = tokenIdOf(it.value(), source + ": '" + it.key() + "'");
    const fs::path mergesPath = dir / "merges.txt";
    json merges = json::array();
    const std::vector<std::string> mergeLines = lines(readText(mergesPath, "merges.txt"));
    for (std::size_t i = 0; i < mergeLines.size(); ++i) {
        const std::string& line = mergeLines[i];
        // The header "#version: 0.2" is no merge (the tokenizers library skips it wherever it is).
        if (line.empty() || line.rfind("#version", 0) == 0)
            continue;
        const auto space = line.find(' ');
        if (space == 0 || space == std::string::npos || space + 1 == line.size() || line.find(' ', space + 1) != std::string::npos)
            fail(mergesPath.string() + ":" + std::to_string(i + 1), "a merge must be two tokens separated by one space");
        if (!validUtf8(line))
            fail(mergesPath.string() + ":" + std::to_string(i + 1), "not UTF-8");
        merges.push_back(json::array({line.substr(0, space), line.substr(space + 1)}));
    }
    const json config = readSidecar(dir / "tokenizer_config.json");
    const json map = readSidecar(dir / "special_tokens_map.json");
    checkFamily(dir, config, SlowKind::Bpe);
    const SlowSpecials specials(dir, vocab, config, map, SlowKind::Bpe);
    const bool prefixSpace = boolOr(config, "add_prefix_space", false);
    json doc = {
        {"version", "1.0"},
        {"added_tokens", specials.addedTokensJson()},
        {"normalizer", nullptr},
        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", prefixSpace}, {"trim_offsets", true}, {"use_regex", true}}},
        {"post_processor", {{"type", "RobertaProcessing"},
                            {"sep", templateToken(specials, "sep_token", source)},
                            {"cls", templateToken(specials, "cls_token", source)},
                            {"trim_offsets", true},
                            {"add_prefix_space", prefixSpace}}},
        {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", ""},
                   {"end_of_word_suffix", ""}, {"fuse_unk", false}, {"byte_fallback", false}}},
    };
    if (const std::int64_t pad = specials.idOf(specials.named("pad_token")); pad >= 0)
        doc["padding"] = {{"pad_id", pad}};
    doc["model"]["vocab"] = std::move(vocab);
    doc["model"]["merges"] = std::move(merges);
    return doc;
}

/// vocab.txt: BertConverter's tokenizer.json with BertTokenizerFast's settings.
json slowWordPieceDocument(const fs::path& vocabPath, const std::string& bytes)
{
    const std::string source = vocabPath.string();
    const fs::path dir = vocabPath.parent_path();
    json vocab = json::object();
    const std::vector<std::string> tokens = lines(bytes);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!validUtf8(tokens[i]))
            fail(source + ":" + std::to_string(i + 1), "not UTF-8");
        vocab[tokens[i]] = static_cast<std::int64_t>(i); // a repeated token keeps its last line, as in transformers
    }
    if (vocab.empty())
        fail(source, "the vocabulary is empty");
    const json config = readSidecar(dir / "tokenizer_config.json");
    const json map = readSidecar(dir / "special_tokens_map.json");
    checkFamily(dir, config, SlowKind::WordPiece);
    const SlowSpecials specials(dir, vocab, config, map, SlowKind::WordPiece);
    const bool lower = boolOr(config, "do_lower_case", true);
    json stripAccents = nullptr; // null: follow lowercase
    if (const auto it = config.find("strip_accents"); it != config.end() && it->is_boolean())
        stripAccents = *it;
    const std::string unk = specials.named("unk_token");
    if (unk.empty())
        fail(source, "the tokenizer has no unk_token, which WordPiece needs");
    json doc = {
        {"version", "1.0"},
        {"added_tokens", specials.addedTokensJson()},
        {"normalizer", {{"type", "BertNormalizer"}, {"clean_text", true},
                        {"handle_chinese_chars", boolOr(config, "tokenize_chinese_chars", true)},
                        {"strip_accents", stripAccents}, {"lowercase", lower}}},
        {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
        {"post_processor", {{"type", "BertProcessing"},
                            {"sep", templateToken(specials, "sep_token", source)},
                            {"cls", templateToken(specials, "cls_token", source)}}},
        {"model", {{"type", "WordPiece"}, {"unk_token", unk}, {"continuing_subword_prefix", "##"},
                   {"max_input_chars_per_word", 100}}},
    };
    if (const std::int64_t pad = specials.idOf(specials.named("pad_token")); pad >= 0)
        doc["padding"] = {{"pad_id", pad}};
    doc["model"]["vocab"] = std::move(vocab);
    return doc;
}

bool hasExtension(const fs::path& p, const char* ext)
{
    return p.extension() == ext;
}

/// Whether `path` may be a slow tokenizer by its name and neighbours (tokenizerFiles' rule; for
/// a *.json loadTokenizer also checks it has no "model" object).
SlowKind slowKindByName(const fs::path& p)
{
    if (hasExtension(p, ".txt"))
        return SlowKind::WordPiece;
    if (hasExtension(p, ".json") && p.filename() != "tokenizer.json" && isFile(p.parent_path() / "merges.txt"))
        return SlowKind::Bpe;
    return SlowKind::None;
}

} // namespace

std::unique_ptr<Tokenizer> parseHfTokenizer(std::string_view text, const std::string& source)
{
    return fromDocument(parseJson(text, source), source);
}

namespace tokenizer {

std::unique_ptr<Tokenizer> loadHfTokenizerFile(const std::string& path, const std::string& bytes)
{
    const fs::path p(path);
    const auto first = bytes.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && bytes[first] == '{') {
        json doc = parseJson(bytes, path);
        if (!doc.is_object() || doc.contains("model") || p.filename() == "tokenizer.json")
            return fromDocument(doc, path);
        // A JSON object without a model: a slow vocab.json.
        if (!isFile(p.parent_path() / "merges.txt"))
            fail(path, "not a tokenizer.json (no \"model\" object), nor a vocab.json with merges.txt beside it");
        try {
            return fromDocument(slowBpeDocument(p, std::move(doc)), path);
        } catch (const json::exception& e) {
            throw Error(path + ": malformed slow tokenizer files (" + e.what() + ")");
        }
    }
    if (slowKindByName(p) == SlowKind::WordPiece) {
        try {
            return fromDocument(slowWordPieceDocument(p, bytes), path);
        } catch (const json::exception& e) {
            throw Error(path + ": malformed slow tokenizer files (" + e.what() + ")");
        }
    }
    return nullptr;
}

} // namespace tokenizer

std::vector<std::string> tokenizerFiles(const std::string& path)
{
    std::vector<std::string> files{path};
    const fs::path p(path);
    const SlowKind kind = slowKindByName(p);
    if (kind == SlowKind::None)
        return files;
    if (kind == SlowKind::Bpe)
        files.push_back((p.parent_path() / "merges.txt").string());
    for (const char* name : kSidecars)
        if (const fs::path side = p.parent_path() / name; isFile(side))
            files.push_back(side.string());
    return files;
}

std::string tokenizerHash(const std::string& path)
{
    const std::vector<std::string> files = tokenizerFiles(path);
    if (files.size() == 1)
        return hashFile(path);
    std::string all;
    for (const std::string& file : files)
        all += fs::path(file).filename().string() + "=" + hashFile(file) + ";";
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(all)));
    return std::string("files:") + hex;
}

} // namespace headbench