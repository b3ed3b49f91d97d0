// The safetensors header reader: random files read back exactly (any header padding, so data
// that is not aligned too), and every kind of damage a download or a disk produces is refused
// with the file and the tensor named; random corruption never gets past the checks unnoticed.
#include <headbench/core/Error.h>
#include <headbench/core/Safetensors.h>
#include "TestUtil.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace headbench;
using nlohmann::json;

namespace {

struct Entry {
    std::string name, dtype;
    std::vector<std::int64_t> shape;
};

/// A safetensors file of `entries` laid out one after another, the header padded with
/// `padding` spaces; returns the file's bytes.
std::string makeFile(const std::vector<Entry>& entries, std::size_t padding, json* headerOut = nullptr)
{
    json header = json::object();
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t offset = 0;
    std::string data;
    for (const Entry& e : entries) {
        std::uint64_t n = 1;
        for (auto d : e.shape)
            n *= static_cast<std::uint64_t>(d);
        const std::uint64_t bytes = n * safetensorsDtypeSize(e.dtype);
        header[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytes}}};
        for (std::uint64_t i = 0; i < bytes; ++i)
            data.push_back(static_cast<char>((offset + i) * 31 + 7));
        offset += bytes;
    }
    std::string text = header.dump() + std::string(padding, ' ');
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i)
        file[static_cast<std::size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    if (headerOut)
        *headerOut = header;
    return file + text + data;
}

std::string errorOf(const std::string& path)
{
    try {
        readSafetensorsHeader(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(Safetensors, RandomFilesReadBackExactly)
{
    test::TempDir dir;
    std::mt19937_64 rng(7);
    const char* dtypes[] = {"F32", "F16", "BF16", "I64", "U8", "F64"};
    for (int round = 0; round < 200; ++round) {
        std::vector<Entry> entries;
        const int count = static_cast<int>(rng() % 6);
        for (int i = 0; i < count; ++i) {
            Entry e{"t" + std::to_string(i) + ".weight", dtypes[rng() % 6], {}};
            const int rank = static_cast<int>(rng() % 4);
            for (int d = 0; d < rank; ++d)
                e.shape.push_back(static_cast<std::int64_t>(rng() % 5));
            entries.push_back(e);
        }
        const std::string path = dir.file("r.safetensors");
        const std::size_t padding = rng() % 9; // 0..8: data often starts off an 8-byte boundary
        test::writeFile(path, makeFile(entries, padding));
        const SafetensorsHeader h = readSafetensorsHeader(path);
        ASSERT_EQ(h.tensors.size(), entries.size());
        EXPECT_EQ(h.metadata.at("format"), "pt");
        std::uint64_t end = 0;
        for (const Entry& e : entries) {
            const SafetensorsTensor* t = h.find(e.name);
            ASSERT_NE(t, nullptr) << e.name;
            EXPECT_EQ(t->dtype, e.dtype);
            EXPECT_EQ(t->shape, e.shape);
            EXPECT_EQ(t->begin, end);
            end = t->end;
        }
        EXPECT_EQ(h.dataSize, end);
        EXPECT_EQ(h.dataOffset + h.dataSize, static_cast<std::uint64_t>(std::filesystem::file_size(path)));
    }
}

TEST(Safetensors, DamageIsRefusedNamingTheFileAndTheTensor)
{
    test::TempDir dir;
    const std::vector<Entry> entries{{"a.weight", "F32", {2, 3}}, {"b.bias", "BF16", {3}}};
    json header;
    const std::string good = makeFile(entries, 0, &header);
    const std::string path = dir.file("model.safetensors");
    auto withHeader = [&](const json& h, const std::string& data) {
        const std::string text = h.dump();
        std::string file(8, '\0');
        for (int i = 0; i < 8; ++i)
            file[static_cast<std::size_t>(i)] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
        test::writeFile(path, file + text + data);
    };
    const std::string data = good.substr(good.size() - 30);

    // Truncated: the last tensor ends past the data.
    test::writeFile(path, good.substr(0, good.size() - 4));
    EXPECT_NE(errorOf(path).find("b.bias"), std::string::npos) << errorOf(path);
    EXPECT_NE(errorOf(path).find("truncated"), std::string::npos) << errorOf(path);
    // The span does not match dtype x shape.
    json h = header;
    h["a.weight"]["shape"] = {2, 2};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("a.weight"), std::string::npos) << errorOf(path);
    EXPECT_NE(errorOf(path).find("needs 16 bytes"), std::string::npos) << errorOf(path);
    // Overlapping spans.
    h = header;
    h["b.bias"]["data_offsets"] = {20, 26};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("overlap"), std::string::npos) << errorOf(path);
    // Unknown dtype, negative dimension, offsets backwards, metadata not strings.
    h = header;
    h["a.weight"]["dtype"] = "Q4";
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("unknown dtype 'Q4'"), std::string::npos) << errorOf(path);
    h = header;
    h["a.weight"]["shape"] = {-2, 3};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("non-negative"), std::string::npos) << errorOf(path);
    h = header;
    h["a.weight"]["data_offsets"] = {24, 0};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("a.weight"), std::string::npos) << errorOf(path);
    h = header;
    h["__metadata__"] = {{"format", 3}};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("__metadata__"), std::string::npos) << errorOf(path);
    // Shapes whose element count overflows 64 bits.
    h = header;
    h["a.weight"]["shape"] = {std::int64_t{1} << 40, std::int64_t{1} << 40};
    withHeader(h, data);
    EXPECT_NE(errorOf(path).find("too large"), std::string::npos) << errorOf(path);
    // The length prefix: above the limit, beyond the file, a file shorter than 8 bytes.
    std::string huge = good;
    huge[5] = 1; // 2^40
    test::writeFile(path, huge);
    EXPECT_NE(errorOf(path).find("more than the 100000000"), std::string::npos) << errorOf(path);
    std::string longer = good;
    longer[2] = 1; // 65536 + the real length: past the end
    test::writeFile(path, longer);
    EXPECT_NE(errorOf(path).find("truncated"), std::string::npos) << errorOf(path);
    test::writeFile(path, "abc");
    EXPECT_NE(errorOf(path).find("too short"), std::string::npos) << errorOf(path);
    // Not JSON: the message says where.
    std::string notJson = good;
    notJson[8] = 'x';
    test::writeFile(path, notJson);
    EXPECT_NE(errorOf(path).find("not valid JSON"), std::string::npos) << errorOf(path);
    for (const std::string& message : {errorOf(path)})
        EXPECT_EQ(message.rfind(path, 0), 0u) << message;
}

// Random byte flips, cuts and insertions in a valid file: each result either reads as a file
// whose spans are consistent with its size or is refused with headbench::Error, never anything else.
TEST(Safetensors, CorruptedFilesAreReadConsistentlyOrRefused)
{
    test::TempDir dir;
    const std::string good = makeFile({{"x", "F32", {4, 4}}, {"y", "F16", {5}}, {"z", "I64", {1, 3}}}, 3);
    const std::string path = dir.file("c.safetensors");
    std::mt19937_64 rng(11);
    int refused = 0, read = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes = good;
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % bytes.size();
            switch (rng() % 3) {
            case 0: bytes[at] = static_cast<char>(rng()); break;
            case 1: bytes.resize(at); break;
            default: bytes.insert(at, 1, static_cast<char>(rng())); break;
            }
            if (bytes.empty())
                break;
        }
        test::writeFile(path, bytes);
        try {
            const SafetensorsHeader h = readSafetensorsHeader(path);
            ++read;
            ASSERT_EQ(h.dataOffset + h.dataSize, bytes.size());
            std::uint64_t previous = 0;
            for (const auto& t : h.tensors) {
                ASSERT_LE(t.end, h.dataSize);
                ASSERT_GE(t.begin, previous);
                ASSERT_EQ(static_cast<std::uint64_t>(t.elements()) * safetensorsDtypeSize(t.dtype), t.end - t.begin);
                previous = t.end;
            }
        } catch (const Error&) {
            ++refused;
        }
    }
    EXPECT_GT(refused, 1000);
    EXPECT_GT(read, 10); // flips in the data section or harmless header bytes
}
