#include <headbench/core/Hash.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <sys/stat.h>

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

std::uint64_t hash64(std::string_view bytes)
{
    return XXH3_64bits(bytes.data(), bytes.size());
}

std::string hashTextHex(std::string_view bytes)
{
    return hex16(XXH3_64bits(bytes.data(), bytes.size()));
}

std::string hashFile(const std::string& path)
{
    return xxh3File(path);
}

namespace {

/// What identifies a file's content without reading it; empty when it cannot be stat'ed.
std::string identityOf(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return {};
    char text[160];
    std::snprintf(text, sizeof text, "%llu:%llu:%lld:%lld.%09ld", static_cast<unsigned long long>(st.st_dev),
                  static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec), static_cast<long>(st.st_mtim.tv_nsec));
    return text;
}

} // namespace

std::string hashFileCached(const std::string& path, const std::string& cacheDir)
{
    static std::mutex mutex;
    static std::map<std::string, std::string> known; // path + identity -> hash
    const std::string before = identityOf(path);
    if (before.empty())
        return xxh3File(path); // throws, naming the file
    const std::string key = path + "\n" + before;
    {
        const std::lock_guard lock(mutex);
        if (const auto it = known.find(key); it != known.end())
            return it->second;
    }
    const std::string stored =
        cacheDir.empty() ? std::string() : (std::filesystem::path(cacheDir) / (hashTextHex(key) + ".txt")).string();
    if (!stored.empty()) {
        std::ifstream in(stored);
        std::string line;
        if (in && std::getline(in, line) && line.rfind("xxh3_64:", 0) == 0 && line.size() == 24) {
            const std::lock_guard lock(mutex);
            known[key] = line;
            return line;
        }
    }
    const std::string hash = xxh3File(path);
    if (identityOf(path) != before) // changed while it was read: this hash is of no fixed content
        return hash;
    {
        const std::lock_guard lock(mutex);
        known[key] = hash;
    }
    if (!stored.empty()) {
        try {
            std::error_code ec;
            std::filesystem::create_directories(cacheDir, ec);
            writeFileAtomically(stored, hash + "\n");
        } catch (const Error&) { // an unwritable cache only costs the next process a pass
        }
    }
    return hash;
}

bool fileHasHash(const std::string& path, const std::string& recorded)
{
    // Runs saved before xxHash recorded FNV-1a: their files are checked the way they were hashed.
    if (recorded.rfind("fnv1a64:", 0) == 0)
        return fnvFile(path) == recorded;
    return hashFileCached(path) == recorded;
}

} // namespace headbench
