#include <headbench/core/Safetensors.h>

#include <headbench/core/Error.h>

#include "JsonErrors.h"
#include "JsonNumbers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace headbench {
namespace {

using nlohmann::json;


SafetensorsTensor readEntry(const std::string& name, const json& entry, std::uint64_t dataSize, const std::string& path)
{
    const std::string where = path + ": tensor '" + name + "'";
    if (!entry.is_object())
        throw Error(where + ": expected an object with dtype, shape and data_offsets");
    SafetensorsTensor t;
    t.name = name;
    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        throw Error(where + ": no dtype");
    t.dtype = dtype->get<std::string>();
    const std::size_t size = safetensorsDtypeSize(t.dtype);
    if (size == 0)
        throw Error(where + ": unknown dtype '" + t.dtype + "'");
    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        throw Error(where + ": no shape (a list of dimensions)");
    // The element count, kept below 2^62 so that count x size cannot overflow.
    std::uint64_t count = 1;
    for (const auto& d : *shape) {
        const auto dim = wholeNumberIn(d, 0, std::numeric_limits<std::int64_t>::max());
        if (!dim)
            throw Error(where + ": shape " + shape->dump() + " is not a list of non-negative whole numbers");
        t.shape.push_back(*dim);
        if (*dim != 0 && count > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(*dim))
            throw Error(where + ": shape " + shape->dump() + " is too large");
        count *= static_cast<std::uint64_t>(*dim);
    }
    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2)
        throw Error(where + ": no data_offsets [begin, end]");
    const auto begin = wholeNumberIn((*offsets)[0], 0, std::numeric_limits<std::int64_t>::max());
    const auto end = wholeNumberIn((*offsets)[1], 0, std::numeric_limits<std::int64_t>::max());
    if (!begin || !end || *begin > *end)
        throw Error(where + ": data_offsets " + offsets->dump() + " is not a byte span [begin, end]");
    t.begin = static_cast<std::uint64_t>(*begin);
    t.end = static_cast<std::uint64_t>(*end);
    if (t.end - t.begin != count * size)
        throw Error(where + ": " + t.dtype + " " + shapeText(t.shape) + " needs " + std::to_string(count * size) +
                    " bytes, but data_offsets " + offsets->dump() + " span " + std::to_string(t.end - t.begin));
    if (t.end > dataSize)
        throw Error(where + " ends at byte " + std::to_string(t.end) + " of the data, which holds only " +
                    std::to_string(dataSize) + " bytes: the file is truncated or damaged");
    return t;
}

} // namespace

std::string shapeText(const std::vector<std::int64_t>& shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::int64_t SafetensorsTensor::elements() const
{
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

const SafetensorsTensor* SafetensorsHeader::find(std::string_view name) const
{
    for (const auto& t : tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

std::size_t safetensorsDtypeSize(std::string_view dtype)
{
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
    if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
    return 0;
}

SafetensorsHeader parseSafetensorsHeader(std::string_view text, std::uint64_t dataSize, const std::string& path)
{
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw Error(jsonParseMessage(path + " (safetensors header)", e.what()));
    }
    if (!doc.is_object())
        throw Error(path + ": the safetensors header is not a JSON object");
    SafetensorsHeader h;
    h.path = path;
    h.dataSize = dataSize;
    for (const auto& [name, entry] : doc.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object())
                throw Error(path + ": __metadata__ is not an object of strings");
            for (const auto& [k, v] : entry.items()) {
                if (!v.is_string())
                    throw Error(path + ": __metadata__ entry '" + k + "' is not a string");
                h.metadata[k] = v.get<std::string>();
            }
            continue;
        }
        h.tensors.push_back(readEntry(name, entry, dataSize, path));
    }
    std::sort(h.tensors.begin(), h.tensors.end(), [](const auto& a, const auto& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    for (std::size_t i = 1; i < h.tensors.size(); ++i) {
        const auto& prev = h.tensors[i - 1];
        const auto& t = h.tensors[i];
        if (t.begin < prev.end)
            throw Error(path + ": tensors '" + prev.name + "' (bytes " + std::to_string(prev.begin) + ".." +
                        std::to_string(prev.end) + ") and '" + t.name + "' (bytes " + std::to_string(t.begin) + ".." +
                        std::to_string(t.end) + ") overlap");
    }
    return h;
}

SafetensorsHeader readSafetensorsHeader(const std::string& path)
{
    std::error_code ec;
    const auto fileSize = std::filesystem::file_size(path, ec);
    if (ec)
        throw Error(path + ": cannot read (" + ec.message() + ")");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open");
    unsigned char lengthBytes[8] = {};
    if (fileSize < 8 || !in.read(reinterpret_cast<char*>(lengthBytes), 8))
        throw Error(path + ": " + std::to_string(fileSize) + " bytes, too short for a safetensors file (an 8-byte "
                    "header length, then the header)");
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
        length = (length << 8) | lengthBytes[i];
    if (length > kSafetensorsMaxHeader)
        throw Error(path + ": the safetensors header says it is " + std::to_string(length) + " bytes long, more than the " +
                    std::to_string(kSafetensorsMaxHeader) + " a header may take: not a safetensors file, or damaged");
    if (length > fileSize - 8)
        throw Error(path + ": the safetensors header says it is " + std::to_string(length) + " bytes long, but the file "
                    "holds only " + std::to_string(fileSize - 8) + " after its length: the file is truncated");
    std::string text(static_cast<std::size_t>(length), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(length)))
        throw Error(path + ": cannot read the safetensors header");
    SafetensorsHeader h = parseSafetensorsHeader(text, fileSize - 8 - length, path);
    h.dataOffset = 8 + length;
    return h;
}

MappedFile::MappedFile(const std::string& path)
    : m_path(path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(path + ": cannot read its size (" + std::strerror(err) + ")");
    }
    m_size = static_cast<std::uint64_t>(st.st_size);
    if (m_size > 0) {
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw Error(path + ": cannot map into memory (" + std::strerror(err) + ")");
        }
        m_data = static_cast<const std::byte*>(p);
    }
    ::close(fd);
}

MappedFile::~MappedFile()
{
    if (m_data)
        ::munmap(const_cast<std::byte*>(m_data), m_size);
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const
{
    if (!m_data || offset >= m_size)
        return;
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // Whole pages inside the span only: a page shared with a neighbour still to be read stays.
    const std::uint64_t first = (offset + page - 1) / page * page;
    const std::uint64_t last = std::min(offset + length, m_size) / page * page;
    if (last > first)
        ::madvise(const_cast<std::byte*>(m_data) + first, last - first, MADV_DONTNEED);
}

} // namespace headbench
