// Extraction into a feature file: everything written, and a cancel leaves no file.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include "TestUtil.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using namespace headbench;

namespace {
class StopAfter : public ExtractionObserver {
public:
    explicit StopAfter(std::int64_t rows) : m_rows(rows) {}
    void onProgress(std::int64_t done, std::int64_t total) override
    {
        m_done = done;
        EXPECT_EQ(total, 200);
    }
    bool shouldStop() override { return m_done >= m_rows; }
    std::int64_t m_done = 0;

private:
    std::int64_t m_rows;
};
} // namespace

TEST(Extraction, WritesEverythingAndCancelLeavesNoFile)
{
    test::TempDir dir;
    const Dataset data = generateDemoDataset(200, 1);
    HashedNgramBackbone backbone(64);
    StopAfter never(1000);
    ASSERT_TRUE(extractFeatures(data, backbone, dir.file("all.h5"), &never, {.batchSize = 32}));
    EXPECT_EQ(never.m_done, 200);
    const FeatureSet set = readFeatureFile(dir.file("all.h5"));
    EXPECT_EQ(set.rows, 200);
    EXPECT_EQ(set.dim, 64);
    EXPECT_EQ(set.texts, data.texts);
    EXPECT_EQ(set.ids, data.ids);
    EXPECT_EQ(set.labelNames, data.labelNames);
    EXPECT_EQ(set.backbone, "hashed-ngram");
    std::vector<float> row(64);
    backbone.encodeOne(data.texts[17], row.data());
    EXPECT_TRUE(std::equal(row.begin(), row.end(), set.features.begin() + 17 * 64));

    StopAfter early(64);
    EXPECT_FALSE(extractFeatures(data, backbone, dir.file("cut.h5"), &early, {.batchSize = 32}));
    EXPECT_EQ(early.m_done, 64);
    EXPECT_FALSE(std::filesystem::exists(dir.file("cut.h5")));
    EXPECT_FALSE(std::filesystem::exists(dir.file("all.h5.partial"))) << "a finished extraction cleans up";
    EXPECT_TRUE(std::filesystem::is_directory(dir.file("cut.h5.partial"))) << "a cancelled one keeps its chunks";
    EXPECT_EQ(readFeatureAttributes(dir.file("cut.h5")).size(), 0u);
}
