#include <headbench/core/Shard.h>

#include <headbench/core/Error.h>

namespace headbench {

Shard parseShard(const std::string& text, const std::string& flag)
{
    const auto slash = text.find('/');
    try {
        if (slash != std::string::npos) {
            std::size_t a = 0, b = 0;
            const int i = std::stoi(text.substr(0, slash), &a);
            const int n = std::stoi(text.substr(slash + 1), &b);
            if (a == slash && b == text.size() - slash - 1 && n >= 1 && i >= 0 && i < n)
                return {i, n};
        }
    } catch (const std::exception&) {
    }
    throw Error(flag + " " + text + ": expected I/N with 0 <= I < N, e.g. 3/16");
}

} // namespace headbench
