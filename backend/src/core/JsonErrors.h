#pragma once
/// \file JsonErrors.h
/// One form for every "this is not valid JSON" message: a single location, file:line:column,
/// never nlohmann's own "at line L, column C" after ours; and one form for a JSON file the
/// backend wrote that no longer reads back (headbench::DamagedFile).
#include <headbench/core/Error.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace headbench {

/// The message for nlohmann::json's exception text `what` raised while parsing the text found
/// at `where`: "where:L:C: not valid JSON: <reason>". `oneLine`: the text was one line of a
/// file and `where` already ends with that line's number, so only the column is added. Errors
/// without a position (a number too large) keep `where` alone.
std::string jsonParseMessage(const std::string& where, const std::string& what, bool oneLine = false);

/// What nlohmann::json's exception text `what` says is wrong with a file, in a few plain words:
/// "empty", "cut short at line 2, column 1" (the parser stopped at the file's end: a full disk,
/// an interrupted copy), "not valid JSON at line 3, column 7: <reason>", or a field's problem
/// without the library's "[json.exception…]" tag. `errorByte` is the parse error's byte
/// position and `fileBytes` the file's size, when known.
std::string jsonProblem(const std::string& what, std::optional<std::size_t> errorByte = std::nullopt,
                        std::optional<std::uintmax_t> fileBytes = std::nullopt);

/// A field that parses but cannot be right ("threshold 1.5 is not a probability in (0, 1)"):
/// thrown inside readingJsonFile, reported as DamagedFile(path, what()).
struct JsonFieldProblem : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `read()`, with any JSON error it raises (parsing `path`, a missing field, a field of the
/// wrong kind, a JsonFieldProblem) reported as DamagedFile(path, jsonProblem(...)).
template <class Read>
auto readingJsonFile(const std::string& path, Read&& read) -> decltype(read())
{
    try {
        return read();
    } catch (const nlohmann::json::parse_error& e) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        throw DamagedFile(path, jsonProblem(e.what(), e.byte, ec ? std::nullopt : std::optional<std::uintmax_t>(size)));
    } catch (const nlohmann::json::exception& e) {
        throw DamagedFile(path, jsonProblem(e.what()));
    } catch (const JsonFieldProblem& e) {
        throw DamagedFile(path, e.what());
    }
}

} // namespace headbench
