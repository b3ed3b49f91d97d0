#pragma once
/// \file Tokenizer.h
/// Text to token ids, as the model hubs ship tokenizers: `tokenizer.json` (byte-level BPE or
/// WordPiece), SentencePiece `tokenizer.model`, and the older `vocab.json` + `merges.txt` and
/// `vocab.txt`.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

/// Turns one text into the ids a backbone's embedding takes, special tokens included.
class Tokenizer {
public:
    virtual ~Tokenizer() = default;
    /// `bpe`, `wordpiece` or `sentencepiece`.
    virtual std::string kind() const = 0;
    /// Ids of `text` with the special tokens of the tokenizer's template (`<s> ... </s>`,
    /// `[CLS] ... [SEP]`, BOS). With maxLength > 0 the text's tokens are cut so that the whole
    /// sequence, special tokens included, is at most maxLength long.
    virtual std::vector<std::int64_t> encode(std::string_view text, int maxLength) const = 0;
    /// One more than the largest id this tokenizer can produce.
    virtual std::int64_t vocabSize() const = 0;
    /// The id used to pad a batch (masked out, so only its range matters).
    virtual std::int64_t padId() const = 0;
    /// The token an id stands for, spelt as the tokenizer's vocabulary has it (`Ġmain`, `##ing`,
    /// `[CLS]`); empty when the tokenizer cannot tell (SentencePiece through its plugin) or the id
    /// is unknown. For showing what the model saw (`headbench-cli tokenize`).
    virtual std::string tokenText(std::int64_t id) const { return {}; }
    /// Ids of `text` alone: no special tokens, no cut.
    virtual std::vector<std::int64_t> encodeBody(std::string_view text) const = 0;
    /// The special tokens the template puts before and after a text's ids.
    virtual std::vector<std::int64_t> prefixIds() const = 0;
    virtual std::vector<std::int64_t> suffixIds() const = 0;
};

/// What a backbone does with a text longer than its window (`extract --long`).
enum class LongMode {
    Head,    ///< keep the first tokens (the text's end is cut)
    Tail,    ///< keep the last tokens (the text's start is cut)
    Windows, ///< overlapping windows over the whole text, their vectors pooled
};
/// "head", "tail" or "windows"; throws headbench::Error naming `--long` for anything else.
LongMode parseLongMode(const std::string& name);
const char* longModeName(LongMode mode);

/// Text tokens a sequence of maxLength holds beside the template's special tokens (at least 1).
std::int64_t contentLength(const Tokenizer& tokenizer, int maxLength);
/// Windows' default stride: half the content length, at least 1.
std::int64_t defaultWindowStride(const Tokenizer& tokenizer, int maxLength);

/// The id sequences a model sees for one text under `mode`, each at most maxLength long with its
/// special tokens: one for head and tail; for windows, body windows of contentLength() starting
/// at 0, stride, 2*stride ... while they end before the text does, then one ending at the text's
/// end (one window when the text fits). maxLength 0: the whole text, one sequence.
std::vector<std::vector<std::int64_t>> encodeLong(const Tokenizer& tokenizer, std::string_view text, int maxLength,
                                                  LongMode mode, std::int64_t stride = 0);

/// The part of a text the model saw, as UTF-8 byte offsets [begin, end): all of it unless head
/// or tail cut it (windows see everything). Found by encoding prefixes (or suffixes), so the
/// boundary is exact to the token that crosses it.
struct SeenSpan {
    std::size_t begin = 0, end = 0;
    bool cut = false;
};
SeenSpan seenSpan(const Tokenizer& tokenizer, std::string_view text, int maxLength, LongMode mode);

/// The tokenizer a feature file was extracted with, from its attributes: `tokenizer_path` when
/// that file still exists, else `tokenizer_file` beside the feature file; empty when neither is
/// there (or the file has no tokenizer).
std::string findTokenizer(const std::map<std::string, std::string>& attributes, const std::string& featureFile);

/// Loads `tokenizer.json` (BPE or WordPiece model), a SentencePiece model file, or Hugging Face's
/// "slow" tokenizer files that folders without a tokenizer.json ship:
///  - `vocab.json` with `merges.txt` beside it: RoBERTa's byte-level BPE, as transformers'
///    RobertaTokenizerFast converts it (ByteLevel pre-tokenizer with tokenizer_config.json's
///    add_prefix_space, default false; `<s> ... </s>`; `<mask>` strips the space before it).
///    Any JSON file other than one named tokenizer.json that has no "model" object is read so.
///  - `vocab.txt` (any `*.txt`): BERT's WordPiece, as BertTokenizerFast converts it (BertNormalizer
///    lowercasing per do_lower_case, default true, accents stripped per strip_accents, default
///    following lowercase; `[CLS] ... [SEP]`; `##` pieces; words over 100 characters `[UNK]`).
/// Their special tokens come from special_tokens_map.json over tokenizer_config.json (with
/// RoBERTa's or BERT's defaults), their ids from tokenizer_config.json's added_tokens_decoder,
/// added_tokens.json or the vocabulary, new ones numbered after it. Files whose
/// tokenizer_class (or config.json's model_type) is not RoBERTa-like (Roberta, Bart, Longformer)
/// resp. BERT-like (Bert, DistilBert, Electra) are refused: their template differs.
/// Throws headbench::Error naming the file and the problem (unreadable, not a tokenizer, a model
/// type or component HeadBench does not support).
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path);

/// The files a tokenizer at `path` is read from: `path` itself and, for slow files (a `*.txt`
/// vocabulary, or a `*.json` not named tokenizer.json with merges.txt beside it), the ones of
/// merges.txt, special_tokens_map.json, tokenizer_config.json and added_tokens.json beside it
/// that exist.
std::vector<std::string> tokenizerFiles(const std::string& path);

/// Content hash of a tokenizer, as feature files record it (`tokenizer_hash`): hashFile(path)
/// for a one-file tokenizer (tokenizer.json, tokenizer.model), so hashes recorded before stay
/// valid; for slow files "files:<16 hex digits>" over the names and hashes of every file of
/// tokenizerFiles(), so editing merges.txt or a config file changes it. Throws like hashFile.
std::string tokenizerHash(const std::string& path);

/// Parses a `tokenizer.json` document held in memory (`source` names it in messages).
std::unique_ptr<Tokenizer> parseHfTokenizer(std::string_view json, const std::string& source);

} // namespace headbench
