#pragma once
/// \file Hash.h
#include <cstdint>
#include <string>
#include <string_view>

namespace headbench {

/// 64-bit FNV-1a of a byte string (feature hashing, cache keys).
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);

/// Content hash of a file as "fnv1a64:<16 hex digits>"; throws headbench::Error when unreadable.
std::string hashFile(const std::string& path);

} // namespace headbench
