#include <headbench/core/Hash.h>

#include <headbench/core/Error.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace headbench {

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed)
{
    std::uint64_t h = seed;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string hashFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot be opened for reading");
    std::uint64_t h = 0xcbf29ce484222325ULL;
    std::array<char, 1 << 16> buffer{};
    while (in) {
        in.read(buffer.data(), buffer.size());
        h = fnv1a64(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())), h);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string("fnv1a64:") + hex;
}

} // namespace headbench
