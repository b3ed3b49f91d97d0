#pragma once
/// \file CLexer.h
/// A small C/C++ lexer for the built-in backbone: it drops comments and whitespace and
/// normalises literals, so that formatting and constants do not change the features.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

/// Splits C/C++ source into normalised tokens:
/// - identifiers and keywords as written;
/// - numbers as `<num>`, except 0 and 1, which carry meaning in bounds (`n - 1`, `i = 0`);
/// - string literals as `<str>`, or `<fmt>` when they contain a `%` conversion;
/// - character literals as `<chr>`;
/// - operators and punctuation, longest match first (`<<=`, `->`, `++`, ...).
/// Never throws: unterminated literals or comments end at the end of the text.
std::vector<std::string> lexC(std::string_view source);

/// Calls `emit` with each token of `source` as written (literals kept, comments and whitespace
/// dropped), without allocating: the views point into `source`.
void forEachCToken(std::string_view source, const std::function<void(std::string_view)>& emit);

/// The text with comments dropped and whitespace between tokens made one space: two functions
/// that differ only in layout and comments have the same normalised code. Used to find exact
/// duplicates.
std::string normalizedCode(std::string_view source);

} // namespace headbench
