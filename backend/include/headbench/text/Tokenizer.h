#pragma once
/// \file Tokenizer.h
/// Text to token ids, as the model hubs ship tokenizers: `tokenizer.json` (byte-level BPE or
/// WordPiece) and SentencePiece `tokenizer.model`.
#include <cstdint>
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
};

/// Loads `tokenizer.json` (BPE or WordPiece model) or a SentencePiece model file. Throws
/// headbench::Error naming the file and the problem (unreadable, not a tokenizer, a model type
/// or component HeadBench does not support).
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path);

/// Parses a `tokenizer.json` document held in memory (`source` names it in messages).
std::unique_ptr<Tokenizer> parseHfTokenizer(std::string_view json, const std::string& source);

} // namespace headbench
