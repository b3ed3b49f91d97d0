// TorchScript backbones (small models written by tools/make_test_backbones.py): pooling against
// a direct computation, extraction end to end, resume, cache reuse, shards and merge, and every
// broken-file case.
#include <headbench/core/Error.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include "TestUtil.h"
#include <headbench/extract/ModelBackbone.h>
#include <headbench/text/Tokenizer.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace headbench;

namespace {

const std::string kModels = HEADBENCH_TEST_MODELS "/";
const std::string kTok = HEADBENCH_TEST_DATA "/tokenizers/";

ModelBackboneOptions options(const std::string& model, const std::string& tokenizer, Pooling pooling = Pooling::Mean)
{
    ModelBackboneOptions o;
    o.modelPath = kModels + model;
    o.tokenizerPath = kTok + tokenizer;
    o.pooling = pooling;
    o.maxLength = 64;
    return o;
}

const std::vector<std::string> kTexts = {
    "int f(void) { return 0; }",
    "x",
    "static int parse_header(const unsigned char *data, size_t len) { for (size_t i = 0; i <= len; i++) sum += data[i]; return sum; }",
    "",
    "char buf[16];\n\tstrcpy(buf, src); // \u00fcn\u00efc\u00f6d\u00e9",
};

class StopAfterChunks : public ExtractionObserver {
public:
    explicit StopAfterChunks(std::int64_t rows) : m_rows(rows) {}
    void onProgress(std::int64_t done, std::int64_t) override { m_done = done; }
    bool shouldStop() override { return m_done >= m_rows; }

private:
    std::int64_t m_rows, m_done = 0;
};

void expectClose(const FeatureMatrix& a, const FeatureMatrix& b, float tol, const std::string& what)
{
    ASSERT_EQ(a.size(), b.size()) << what;
    float worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(a[i] - b[i]));
    EXPECT_LE(worst, tol) << what;
}

} // namespace

TEST(TorchScriptBackbone, EachPoolingMatchesADirectComputation)
{
    // lookup.pt returns embedding(input_ids); lookup.f32 is that table, so each pooling can be
    // computed here by hand. Padding ids have huge embeddings: any leak shows.
    std::vector<float> table(1000 * 8);
    std::ifstream(kModels + "lookup.f32", std::ios::binary).read(reinterpret_cast<char*>(table.data()), 1000 * 8 * 4);
    for (const char* tokFile : {"bpe/tokenizer.json", "wordpiece/tokenizer.json", "sentencepiece/tokenizer.model"}) {
        const auto tokenizer = loadTokenizer(kTok + tokFile);
        for (Pooling pooling : {Pooling::Cls, Pooling::Mean, Pooling::Last, Pooling::Max}) {
            for (bool normalize : {false, true}) {
                auto o = options("lookup.pt", tokFile, pooling);
                o.normalize = normalize;
                auto backbone = loadModelBackbone(o);
                ASSERT_EQ(backbone->dim(), 8);
                std::vector<float> got(kTexts.size() * 8);
                backbone->encode(kTexts, got.data()); // one batch: short texts are padded
                for (std::size_t i = 0; i < kTexts.size(); ++i) {
                    const auto ids = tokenizer->encode(kTexts[i], o.maxLength);
                    std::vector<double> want(8, 0.0);
                    for (int j = 0; j < 8; ++j) {
                        auto at = [&](std::size_t t) { return static_cast<double>(table[static_cast<std::size_t>(ids[t]) * 8 + j]); };
                        switch (pooling) {
                        case Pooling::Cls: want[j] = at(0); break;
                        case Pooling::Last: want[j] = at(ids.size() - 1); break;
                        case Pooling::Mean:
                            for (std::size_t t = 0; t < ids.size(); ++t) want[j] += at(t) / static_cast<double>(ids.size());
                            break;
                        case Pooling::Max:
                            want[j] = -1e30;
                            for (std::size_t t = 0; t < ids.size(); ++t) want[j] = std::max(want[j], at(t));
                            break;
                        }
                    }
                    if (normalize) {
                        double norm = 0;
                        for (double v : want) norm += v * v;
                        for (double& v : want) v /= std::sqrt(norm);
                    }
                    for (int j = 0; j < 8; ++j)
                        EXPECT_NEAR(got[i * 8 + j], want[j], 1e-4)
                            << tokFile << " " << poolingName(pooling) << (normalize ? " normalized" : "") << " text " << i;
                }
            }
        }
    }
}

TEST(TorchScriptBackbone, EncoderDecoderAndDictModelsReadTheirHiddenSize)
{
    auto bert = loadModelBackbone(options("bert_like.pt", "bpe/tokenizer.json"));
    EXPECT_EQ(bert->dim(), 32);
    EXPECT_EQ(bert->name(), "bert_like.pt");
    EXPECT_EQ(bert->attributes().at("pooling"), "mean");
    EXPECT_EQ(bert->attributes().at("max_length"), "64");
    EXPECT_EQ(bert->attributes().at("backbone_hash").rfind("xxh3_64:", 0), 0u);
    auto decoder = loadModelBackbone(options("decoder_like.pt", "sentencepiece/tokenizer.model", Pooling::Last));
    EXPECT_EQ(decoder->dim(), 24) << "hidden size read from the tuple's first entry";
    auto dict = loadModelBackbone(options("dict_output.pt", "wordpiece/tokenizer.json", Pooling::Cls));
    EXPECT_EQ(dict->dim(), 16);

    // A text's features do not depend on what else is in its batch (padding is masked).
    for (Backbone* b : {bert.get(), decoder.get(), dict.get()}) {
        std::vector<float> alone(static_cast<std::size_t>(b->dim())), together(kTexts.size() * static_cast<std::size_t>(b->dim()));
        b->encode(std::span<const std::string>(kTexts).subspan(1, 1), alone.data());
        b->encode(kTexts, together.data());
        for (std::int64_t j = 0; j < b->dim(); ++j)
            EXPECT_NEAR(alone[static_cast<std::size_t>(j)], together[static_cast<std::size_t>(b->dim() + j)], 1e-4) << b->name();
        EXPECT_GT(std::abs(together[0] - together[static_cast<std::size_t>(b->dim())]) +
                      std::abs(together[1] - together[static_cast<std::size_t>(b->dim()) + 1]), 1e-6)
            << "different texts, different features";
    }
}

TEST(TorchScriptBackbone, ExtractsResumesAndReusesTheCache)
{
    test::TempDir dir;
    const Dataset data = generateDemoDataset(150, 5);
    auto backbone = loadModelBackbone(options("bert_like.pt", "bpe/tokenizer.json"));
    const ExtractOptions eo{.batchSize = 8, .chunkRows = 16};

    const auto whole = extractFeatures(data, *backbone, dir.file("whole.h5"), nullptr, eo);
    ASSERT_EQ(whole.status, ExtractionResult::Completed);
    const FeatureSet ref = readFeatureFile(dir.file("whole.h5"));
    EXPECT_EQ(ref.rows, 150);
    EXPECT_EQ(ref.dim, 32);
    EXPECT_EQ(ref.texts, data.texts);
    EXPECT_EQ(ref.attributes.at("pooling"), "mean");
    EXPECT_EQ(ref.attributes.at("backbone_file"), "bert_like.pt");
    EXPECT_EQ(ref.attributes.at("cache_key"), extractionKey(data, *backbone));

    // Interrupted after 3 chunks: no output file, the chunks are kept...
    StopAfterChunks stop(48);
    EXPECT_EQ(extractFeatures(data, *backbone, dir.file("resumed.h5"), &stop, eo).status, ExtractionResult::Cancelled);
    EXPECT_FALSE(std::filesystem::exists(dir.file("resumed.h5")));
    // ...and the next run continues from them and gives the same features.
    const auto resumed = extractFeatures(data, *backbone, dir.file("resumed.h5"), nullptr, eo);
    EXPECT_EQ(resumed.status, ExtractionResult::Completed);
    EXPECT_EQ(resumed.resumedRows, 48);
    expectClose(readFeatureFile(dir.file("resumed.h5")).features, ref.features, 0.0f, "resumed vs whole");
    EXPECT_FALSE(std::filesystem::exists(dir.file("resumed.h5.partial")));

    // The same extraction again is a cache hit; another pooling is not.
    EXPECT_EQ(extractFeatures(data, *backbone, dir.file("whole.h5"), nullptr, eo).status, ExtractionResult::Reused);
    auto maxBackbone = loadModelBackbone(options("bert_like.pt", "bpe/tokenizer.json", Pooling::Max));
    EXPECT_EQ(extractFeatures(data, *maxBackbone, dir.file("whole.h5"), nullptr, eo).status, ExtractionResult::Completed);
    EXPECT_EQ(readFeatureFile(dir.file("whole.h5")).attributes.at("pooling"), "max");
    // Chunks left by a different extraction are not taken for this one's.
    StopAfterChunks stop2(32);
    extractFeatures(data, *maxBackbone, dir.file("other.h5"), &stop2, eo);
    const auto fresh = extractFeatures(data, *backbone, dir.file("other.h5"), nullptr, eo);
    EXPECT_EQ(fresh.resumedRows, 0);
    expectClose(readFeatureFile(dir.file("other.h5")).features, ref.features, 0.0f, "after foreign chunks");
}

TEST(TorchScriptBackbone, ShardsMergeIntoTheSingleExtraction)
{
    test::TempDir dir;
    const Dataset data = generateDemoDataset(100, 9);
    auto backbone = loadModelBackbone(options("decoder_like.pt", "sentencepiece/tokenizer.model", Pooling::Last));
    ASSERT_TRUE(extractFeatures(data, *backbone, dir.file("single.h5"), nullptr, {.batchSize = 8}));
    std::vector<std::string> shards;
    for (int i = 0; i < 3; ++i) {
        shards.push_back(dir.file("shard" + std::to_string(i) + ".h5"));
        const auto r = extractFeatures(data, *backbone, shards.back(), nullptr, {.batchSize = 8, .shardIndex = i, .shardCount = 3});
        ASSERT_EQ(r.status, ExtractionResult::Completed);
        EXPECT_NEAR(static_cast<double>(r.rows), 100.0 / 3, 1.0);
    }
    EXPECT_EQ(mergeShards({shards[2], shards[0], shards[1]}, dir.file("merged.h5")), 100);
    const FeatureSet single = readFeatureFile(dir.file("single.h5"));
    const FeatureSet merged = readFeatureFile(dir.file("merged.h5"));
    expectClose(merged.features, single.features, 1e-5f, "merged vs single");
    EXPECT_EQ(merged.labels, single.labels);
    EXPECT_EQ(merged.texts, single.texts);
    EXPECT_EQ(merged.ids, single.ids);
    EXPECT_TRUE(merged.rowIndex.empty());
    EXPECT_EQ(merged.attributes.at("cache_key"), single.attributes.at("cache_key"));
    EXPECT_EQ(merged.attributes.count("shard_index"), 0u);
    EXPECT_EQ(extractFeatures(data, *backbone, dir.file("merged.h5")).status, ExtractionResult::Reused)
        << "a merged file is the cache entry of the whole extraction";

    auto expectMergeError = [&](const std::vector<std::string>& paths, const std::string& fragment) {
        try {
            mergeShards(paths, dir.file("bad.h5"));
            ADD_FAILURE() << "merged";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(dir.file("bad.h5")));
    };
    expectMergeError({shards[0], shards[2]}, "1 of 3 shards missing (index 1)");
    expectMergeError({shards[0], shards[1], shards[1], shards[2]}, "given twice");
    expectMergeError({shards[0], dir.file("single.h5")}, "not a shard");
    auto meanBackbone = loadModelBackbone(options("decoder_like.pt", "sentencepiece/tokenizer.model", Pooling::Mean));
    ASSERT_TRUE(extractFeatures(data, *meanBackbone, dir.file("mean1.h5"), nullptr, {.shardIndex = 1, .shardCount = 3}));
    expectMergeError({shards[0], dir.file("mean1.h5"), shards[2]}, "not from one extraction");
}

TEST(TorchScriptBackbone, BrokenFilesGiveClearMessages)
{
    auto expectError = [](const ModelBackboneOptions& o, const std::string& nameInMessage, const std::string& fragment) {
        try {
            loadModelBackbone(o);
            ADD_FAILURE() << o.modelPath << " loaded";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(nameInMessage), std::string::npos) << msg;
            EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
        }
    };
    expectError(options("broken_random.pt", "bpe/tokenizer.json"), "broken_random.pt", "not a TorchScript model");
    expectError(options("broken_signature.pt", "bpe/tokenizer.json"), "broken_signature.pt",
                "forward takes 1 inputs; a backbone's forward takes exactly (input_ids, attention_mask)");
    expectError(options("broken_shape.pt", "bpe/tokenizer.json"), "broken_shape.pt", "expected the last hidden states");
    expectError(options("tiny_vocab.pt", "bpe/tokenizer.json"), "tiny_vocab.pt", "does not fit the embedding");
    expectError(options("no_such_model.pt", "bpe/tokenizer.json"), "no_such_model.pt", "no such model file");
    expectError(options("bert_like.pt", "no_such_tokenizer.json"), "no_such_tokenizer.json", "cannot open");
    auto o = options("bert_like.pt", "bpe/tokenizer.json");
    o.maxLength = 1;
    expectError(o, "maximum length", "at least 2");
    EXPECT_THROW(parsePooling("average"), Error);
}
