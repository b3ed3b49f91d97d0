#include <headbench/core/Hash.h>

#include <headbench/core/Error.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include <xxhash.h>

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

namespace {

std::string hex16(std::uint64_t h)
{
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

/// Reads the file in 1 MiB blocks into `consume`.
template <class Consume>
void readBlocks(const std::string& path, Consume consume)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot be opened for reading");
    std::vector<char> buffer(std::size_t{1} << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        consume(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad())
        throw Error(path + ": read error");
}

std::string xxh3File(const std::string& path)
{
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
    if (!state || XXH3_64bits_reset(state.get()) != XXH_OK)
        throw Error(path + ": cannot hash (out of memory)");
    readBlocks(path, [&](const char* data, std::size_t n) { XXH3_64bits_update(state.get(), data, n); });
    return "xxh3_64:" + hex16(XXH3_64bits_digest(state.get()));
}

std::string fnvFile(const std::string& path)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    readBlocks(path, [&](const char* data, std::size_t n) { h = fnv1a64(std::string_view(data, n), h); });
    return "fnv1a64:" + hex16(h);
}

} // namespace

std::string hashTextHex(std::string_view bytes)
{
    return hex16(XXH3_64bits(bytes.data(), bytes.size()));
}

std::string hashFile(const std::string& path)
{
    return xxh3File(path);
}

bool fileHasHash(const std::string& path, const std::string& recorded)
{
    // Runs saved before xxHash recorded FNV-1a: their files are checked the way they were hashed.
    if (recorded.rfind("fnv1a64:", 0) == 0)
        return fnvFile(path) == recorded;
    return xxh3File(path) == recorded;
}

} // namespace headbench
