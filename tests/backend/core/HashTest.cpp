#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace headbench;

// Feature files are hashed with xxHash now; runs saved before recorded FNV-1a and must still be
// found unchanged (or changed) by their own hash.
TEST(Hash, NewHashesAreXxh3AndOldFnvHashesStillCheck)
{
    test::TempDir dir;
    const std::string path = dir.file("f.bin");
    std::string content(3 << 20, '\0'); // three 1 MiB blocks and a bit: the streaming path
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i * 2654435761u >> 13);
    content += "tail";
    test::writeFile(path, content);
    const std::string h = hashFile(path);
    EXPECT_EQ(h.rfind("xxh3_64:", 0), 0u);
    EXPECT_EQ(h.size(), 8u + 16u);
    EXPECT_TRUE(fileHasHash(path, h));
    char legacy[40];
    std::snprintf(legacy, sizeof legacy, "fnv1a64:%016llx", static_cast<unsigned long long>(fnv1a64(content)));
    EXPECT_TRUE(fileHasHash(path, legacy));
    test::writeFile(path, content + "!");
    EXPECT_FALSE(fileHasHash(path, h));
    EXPECT_FALSE(fileHasHash(path, legacy));
    EXPECT_NE(hashFile(path), h);
    EXPECT_THROW(hashFile(dir.file("missing")), Error);
}

TEST(Hash, ACachedHashFollowsTheFileAndIsSharedThroughTheCacheFolder)
{
    namespace fs = std::filesystem;
    headbench::test::TempDir dir;
    const std::string path = dir.file("features.h5");
    const std::string cache = dir.file("ws/.cache/hashes");
    std::ofstream(path, std::ios::binary) << std::string(3 << 20, 'a');
    const std::string first = hashFileCached(path, cache);
    EXPECT_EQ(first, hashFile(path));
    // Kept for other processes: one file per identity, holding the hash.
    ASSERT_TRUE(fs::is_directory(cache));
    const std::vector<fs::path> kept{fs::directory_iterator(cache), fs::directory_iterator()};
    ASSERT_EQ(kept.size(), 1u);
    std::string line;
    std::getline(std::ifstream(kept[0]), line);
    EXPECT_EQ(line, first);

    // Same size, new content and a new modification time: hashed again, not the cached value.
    std::ofstream(path, std::ios::binary) << std::string(3 << 20, 'b');
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
    const std::string second = hashFileCached(path, cache);
    EXPECT_NE(second, first);
    EXPECT_EQ(second, hashFile(path));
    EXPECT_TRUE(fileHasHash(path, second));
    EXPECT_FALSE(fileHasHash(path, first));

    // Each identity has its entry: the changed file added a second one.
    EXPECT_EQ(std::distance(fs::directory_iterator(cache), fs::directory_iterator()), 2);
    EXPECT_THROW(hashFileCached(dir.file("missing.h5"), cache), Error); // named, as hashFile does
}
