#include "core/JsonErrors.h"

#include <regex>

namespace headbench {

namespace {

/// nlohmann's text without its "[json.exception.parse_error.101] " tag, of no use to whoever
/// fixes the file.
std::string untagged(const std::string& what)
{
    std::string reason = what;
    if (reason.rfind("[json.exception.", 0) == 0)
        if (const auto close = reason.find("] "); close != std::string::npos)
            reason.erase(0, close + 2);
    return reason;
}

std::string shortened(std::string reason)
{
    if (reason.size() > 160)
        reason = reason.substr(0, 160) + "…";
    return reason;
}

const std::regex& parseErrorAt()
{
    static const std::regex at(R"(^parse error at line (\d+), column (\d+): ([\s\S]*)$)");
    return at;
}

} // namespace

std::string jsonParseMessage(const std::string& where, const std::string& what, bool oneLine)
{
    std::string reason = untagged(what);
    std::string location = where;
    if (std::smatch m; std::regex_match(reason, m, parseErrorAt())) {
        location += oneLine ? ":" + m[2].str() : ":" + m[1].str() + ":" + m[2].str();
        reason = m[3].str();
    }
    return location + ": not valid JSON: " + shortened(reason);
}

std::string jsonProblem(const std::string& what, std::optional<std::size_t> errorByte, std::optional<std::uintmax_t> fileBytes)
{
    const std::string reason = untagged(what);
    if (fileBytes && *fileBytes == 0)
        return "empty";
    std::smatch m;
    // A field looked up in something that is not an object (a run.json holding null): say what
    // the file holds, not how the library was called.
    static const std::regex lookupIn(R"(cannot use (?:at|operator\[\]|value)\(\) with (\w+))");
    if (std::regex_search(reason, m, lookupIn))
        return "holds " + (m[1].str() == "null" ? std::string("null") : "a" + std::string(m[1].str()[0] == 'a' ? "n " : " ") + m[1].str()) +
               " where an object of named fields is expected";
    if (!std::regex_match(reason, m, parseErrorAt()))
        return shortened(reason);
    const std::string at = "line " + m[1].str() + ", column " + m[2].str();
    // The parser ran into the end: of the file when its size is known (a string or a number
    // cut in two reads as "missing closing quote" or "invalid number", not as end of input).
    const bool atEnd = errorByte && fileBytes ? *errorByte >= *fileBytes : m[3].str().find("unexpected end of input") != std::string::npos;
    if (atEnd)
        return "cut short at " + at;
    return "not valid JSON at " + at + ": " + shortened(m[3].str());
}

} // namespace headbench
