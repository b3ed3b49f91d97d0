#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cstdio>

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
