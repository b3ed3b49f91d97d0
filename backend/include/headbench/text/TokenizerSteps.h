#pragma once
/// \file TokenizerSteps.h
/// Internal to the tokenizer.json parser (HfTokenizer.cpp): the normalisers and pre-tokenizers
/// a pipeline is made of, built from their JSON, and the checked field readers both share.
#include <headbench/core/Unicode.h>
#include <headbench/text/Tokenizer.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace headbench::tokenizer {

using json = nlohmann::json;

/// Throws headbench::Error("source: what").
[[noreturn]] void fail(const std::string& source, const std::string& what);
/// An integer field; a float, a string or a number out of range is an error, never a cast.
std::int64_t intOr(const json& j, const char* key, std::int64_t fallback, const std::string& source);
/// A token id: a whole number in 0..2^40.
std::int64_t tokenIdOf(const json& v, const std::string& source);
bool boolOr(const json& j, const char* key, bool fallback);

/// Rewrites a text before it is split (Unicode forms, lower case, accents, BERT's cleaning).
class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void apply(std::u32string& text) const = 0;
};
/// Null for a JSON null; throws headbench::Error for a type HeadBench does not support.
std::unique_ptr<Normalizer> makeNormalizer(const json& j, const std::string& source);

using Pieces = std::vector<std::u32string>;

/// Splits the pieces of a text further (GPT-2's regex and byte mapping, BERT's punctuation).
class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    virtual void split(Pieces& pieces) const = 0;
};
std::unique_ptr<PreTokenizer> makePreTokenizer(const json& j, const std::string& source);

/// loadTokenizer's reader of Hugging Face files (HfTokenizer.cpp): `bytes`, the content of `path`,
/// as a tokenizer.json, a slow vocab.json (with merges.txt beside it) or vocab.txt; null when the
/// file is none of them (a SentencePiece model is tried then).
std::unique_ptr<Tokenizer> loadHfTokenizerFile(const std::string& path, const std::string& bytes);

} // namespace headbench::tokenizer
