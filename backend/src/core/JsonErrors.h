#pragma once
/// \file JsonErrors.h
/// One form for every "this is not valid JSON" message: a single location, file:line:column,
/// never nlohmann's own "at line L, column C" after ours.
#include <string>

namespace headbench {

/// The message for nlohmann::json's exception text `what` raised while parsing the text found
/// at `where`: "where:L:C: not valid JSON: <reason>". `oneLine`: the text was one line of a
/// file and `where` already ends with that line's number, so only the column is added. Errors
/// without a position (a number too large) keep `where` alone.
std::string jsonParseMessage(const std::string& where, const std::string& what, bool oneLine = false);

} // namespace headbench
