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
#include <limits>
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

TEST(Extraction, WorkIsTheBatchesCostLongestFirstAndAResumeStartsWithItsChunks)
{
    // Texts of very different lengths: the work of the first rows (the longest, encoded first)
    // is most of the job, so the time left must not be estimated from rows.
    Dataset data = generateDemoDataset(120, 3);
    for (std::size_t i = 0; i < data.size(); i += 10)
        data.texts[i] = std::string(4000, 'x') + data.texts[i];
    HashedNgramBackbone backbone(16);
    struct Recorder : ExtractionObserver {
        std::vector<std::pair<double, std::int64_t>> work; // (work done, rows done)
        double total = 0;
        std::int64_t rows = 0;
        std::int64_t stopAt = 1 << 30;
        void onWork(double done, double t) override
        {
            work.emplace_back(done, -1);
            total = t;
        }
        void onProgress(std::int64_t done, std::int64_t) override
        {
            rows = done;
            if (!work.empty())
                work.back().second = done;
        }
        bool shouldStop() override { return rows >= stopAt; }
    };
    // The expected total, from the definition: batches of 8 rows in order of decreasing length,
    // each costing its rows times its longest row (the default batchCost).
    std::vector<std::int64_t> lengths = backbone.lengths(data.texts);
    std::sort(lengths.rbegin(), lengths.rend());
    double expected = 0;
    for (std::size_t b = 0; b < lengths.size(); b += 8)
        expected += static_cast<double>(std::min<std::size_t>(8, lengths.size() - b)) * static_cast<double>(lengths[b]);

    test::TempDir dir;
    Recorder all;
    ASSERT_TRUE(extractFeatures(data, backbone, dir.file("all.h5"), &all, {.batchSize = 8, .chunkRows = 40}));
    EXPECT_DOUBLE_EQ(all.total, expected);
    ASSERT_FALSE(all.work.empty());
    EXPECT_DOUBLE_EQ(all.work.back().first, expected);
    for (std::size_t i = 1; i < all.work.size(); ++i)
        EXPECT_GE(all.work[i].first, all.work[i - 1].first);
    // The twelve long texts are in the first two batches: after 16 of 120 rows, most of the work.
    const auto after16 = std::find_if(all.work.begin(), all.work.end(), [](const auto& w) { return w.second >= 16; });
    ASSERT_NE(after16, all.work.end());
    EXPECT_GT(after16->first / expected, 0.5);

    // Cancelled after the first chunk, then resumed: the resumed job's first report already
    // counts the chunk it recovered.
    Recorder cut;
    cut.stopAt = 40;
    EXPECT_FALSE(extractFeatures(data, backbone, dir.file("again.h5"), &cut, {.batchSize = 8, .chunkRows = 40}));
    Recorder resumed;
    ASSERT_TRUE(extractFeatures(data, backbone, dir.file("again.h5"), &resumed, {.batchSize = 8, .chunkRows = 40, .resume = true}));
    ASSERT_FALSE(resumed.work.empty());
    EXPECT_GE(resumed.work.front().first, cut.work.back().first);
    EXPECT_DOUBLE_EQ(resumed.work.back().first, expected);

    // A finished chunk changed on disk (NaN in it) is encoded again, not assembled into a file
    // that every reader refuses (and that a later extraction would then reuse as done).
    Recorder cutAgain;
    cutAgain.stopAt = 80;
    EXPECT_FALSE(extractFeatures(data, backbone, dir.file("third.h5"), &cutAgain, {.batchSize = 8, .chunkRows = 40}));
    const std::string chunk = dir.file("third.h5.partial/chunk-000001.f32");
    ASSERT_TRUE(std::filesystem::exists(chunk));
    {
        std::fstream f(chunk, std::ios::in | std::ios::out | std::ios::binary);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        f.write(reinterpret_cast<const char*>(&nan), sizeof nan);
    }
    Recorder redone;
    ASSERT_TRUE(extractFeatures(data, backbone, dir.file("third.h5"), &redone, {.batchSize = 8, .chunkRows = 40, .resume = true}));
    const FeatureSet third = readFeatureFile(dir.file("third.h5"));
    const FeatureSet whole = readFeatureFile(dir.file("all.h5"));
    EXPECT_EQ(std::vector<float>(third.features.begin(), third.features.end()),
              std::vector<float>(whole.features.begin(), whole.features.end()));
}
