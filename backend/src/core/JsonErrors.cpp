#include "core/JsonErrors.h"

#include <regex>

namespace headbench {

std::string jsonParseMessage(const std::string& where, const std::string& what, bool oneLine)
{
    std::string reason = what;
    // "[json.exception.parse_error.101] " is nlohmann's, of no use to whoever fixes the file.
    if (reason.rfind("[json.exception.", 0) == 0)
        if (const auto close = reason.find("] "); close != std::string::npos)
            reason.erase(0, close + 2);
    std::string location = where;
    static const std::regex at(R"(^parse error at line (\d+), column (\d+): ([\s\S]*)$)");
    if (std::smatch m; std::regex_match(reason, m, at)) {
        location += oneLine ? ":" + m[2].str() : ":" + m[1].str() + ":" + m[2].str();
        reason = m[3].str();
    }
    if (reason.size() > 160)
        reason = reason.substr(0, 160) + "…";
    return location + ": not valid JSON: " + reason;
}

} // namespace headbench
