#pragma once
/// \file Hash.h
#include <cstdint>
#include <string>
#include <string_view>

namespace headbench {

/// 64-bit FNV-1a of a byte string (feature hashing, cache keys).
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);

/// XXH3-64 of a byte string as 16 hex digits (identities derived from text, e.g. a sweep id).
std::string hashTextHex(std::string_view bytes);

/// XXH3 of bytes in memory: keys for grouping equal rows (~10x faster than FNV-1a, which takes
/// a byte at a time: 0.4 s over a 614 MB matrix).
std::uint64_t hash64(std::string_view bytes);

/// Content hash of a file as "xxh3_64:<16 hex digits>" (xxHash's XXH3, read in 1 MiB blocks);
/// throws headbench::Error when unreadable.
std::string hashFile(const std::string& path);

/// hashFile, remembered by the file's identity (device, inode, size and modification time to the
/// nanosecond, as stat gives them): an unchanged file is read once per process (a run records
/// its feature file's hash in running.json and run.json, and keys the leakage cache with it).
/// With `cacheDir` (a workspace's `.cache/hashes`), the hash is also kept there, one small file
/// per identity, so other processes (a sweep's job array tasks) skip the pass too. A file that
/// changes while it is hashed is hashed again. Throws like hashFile.
std::string hashFileCached(const std::string& path, const std::string& cacheDir = {});

/// Whether the file's content has the hash `recorded`, computed the way it was recorded:
/// "xxh3_64:..." or, for runs saved before, "fnv1a64:...". Throws like hashFile.
bool fileHasHash(const std::string& path, const std::string& recorded);

} // namespace headbench
