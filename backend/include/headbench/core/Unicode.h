#pragma once
/// \file Unicode.h
/// UTF-8 decoding and the Unicode character classes the tokenizers need (from ICU).
#include <string>
#include <string_view>

namespace headbench::unicode {

/// Decodes UTF-8; each invalid byte becomes U+FFFD, as the tokenizers of the hubs read it.
std::u32string decodeUtf8(std::string_view text);
void appendUtf8(std::string& out, char32_t cp);
/// The offset of the first byte that is not well-formed UTF-8, or std::string_view::npos.
std::size_t firstInvalidUtf8(std::string_view text);
std::string encodeUtf8(std::u32string_view text);

bool isLetter(char32_t cp);      ///< general category L*
bool isNumber(char32_t cp);      ///< general category N*
bool isWhitespace(char32_t cp);  ///< White_Space property
bool isPunctuation(char32_t cp); ///< general category P*
/// What BERT's clean-text step deletes, as Hugging Face tokenizers has it: control (Cc, but not
/// tab, newline, carriage return), format (Cf) and private-use (Co) characters. Unassigned code
/// points and noncharacters (Cn) are kept, and so are the few Cf characters newer than HF's tables.
bool isBertControl(char32_t cp);
bool isMark(char32_t cp);        ///< general category Mn (non-spacing mark)
bool isCjk(char32_t cp);         ///< the CJK ideograph ranges BERT pads with spaces, as HF has them

/// Unicode normalisation forms: "NFC", "NFD", "NFKC", "NFKD".
std::u32string normalize(std::u32string_view text, std::string_view form);
/// Lower case character by character, without context (as HF tokenizers does).
std::u32string toLower(std::u32string_view text);

} // namespace headbench::unicode
