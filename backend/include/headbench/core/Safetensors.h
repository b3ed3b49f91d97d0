#pragma once
/// \file Safetensors.h
/// The safetensors format as the Hugging Face Hub ships weights: a little-endian u64 header
/// length, a JSON header naming each tensor's dtype, shape and byte span, then the bytes.
/// Reading the header is torch-free (a fuzz target exercises it); converting the bytes to
/// tensors is the model loader's job.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

/// One tensor of a safetensors file.
struct SafetensorsTensor {
    std::string name;
    std::string dtype;                 ///< as stored: "F32", "F16", "BF16", "I64", ...
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;  ///< byte span within the data section (after the header)
    std::int64_t elements() const;
};

/// A file's header: where its data section starts and what it holds.
struct SafetensorsHeader {
    std::string path;
    std::uint64_t dataOffset = 0;      ///< 8 + the header's length
    std::uint64_t dataSize = 0;        ///< bytes after the header
    std::map<std::string, std::string> metadata; ///< "__metadata__"
    std::vector<SafetensorsTensor> tensors;      ///< in order of their data
    const SafetensorsTensor* find(std::string_view name) const;
};

/// The largest header accepted (the safetensors library's limit too): 100 MB.
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;

/// A shape as messages spell it: "[768, 3072]".
std::string shapeText(const std::vector<std::int64_t>& shape);

/// Bytes per element of a safetensors dtype; 0 for an unknown one.
std::size_t safetensorsDtypeSize(std::string_view dtype);

/// Parses the JSON header of a file whose data section holds `dataSize` bytes and checks every
/// tensor: a known dtype, non-negative dimensions, a byte span that matches dtype x shape and
/// lies inside the data, no two spans overlapping. Throws headbench::Error naming `path`, the
/// tensor and the problem.
SafetensorsHeader parseSafetensorsHeader(std::string_view json, std::uint64_t dataSize, const std::string& path);

/// Reads and checks the header of a .safetensors file (its length within the limit and the
/// file, JSON, the spans within the file: a truncated file is named as such).
SafetensorsHeader readSafetensorsHeader(const std::string& path);

/// A file mapped read-only into memory. Pages already copied out can be dropped from the
/// process's resident memory with release().
class MappedFile {
public:
    explicit MappedFile(const std::string& path); ///< throws headbench::Error naming the file
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    const std::byte* data() const { return m_data; }
    std::uint64_t size() const { return m_size; }
    /// Tells the kernel the bytes [offset, offset + length) are no longer needed.
    void release(std::uint64_t offset, std::uint64_t length) const;

private:
    std::string m_path;
    const std::byte* m_data = nullptr;
    std::uint64_t m_size = 0;
};

} // namespace headbench
