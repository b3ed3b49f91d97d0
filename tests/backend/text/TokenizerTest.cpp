// Tokenizers against ids worked out from the tokenizer rules (tools/make_tokenizer_fixtures.py),
// plus the cases a user would trip over: truncation, huge inputs, broken files.
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/text/Tokenizer.h>
#include <headbench/text/TokenizerSteps.h>
#include "TestUtil.h"
#include <headbench/core/Unicode.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace headbench;

namespace {

const std::string kData = HEADBENCH_TEST_DATA "/tokenizers/";

nlohmann::json readJson(const std::string& path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

void checkFixtures(const std::string& tokenizerFile, const std::string& expectedFile, const std::string& kind)
{
    const auto tok = loadTokenizer(kData + tokenizerFile);
    EXPECT_EQ(tok->kind(), kind);
    const auto expected = readJson(kData + expectedFile);
    ASSERT_GE(expected.at("cases").size(), 10u);
    for (const auto& c : expected.at("cases")) {
        const std::string text = c.at("text");
        const auto want = c.at("ids").get<std::vector<std::int64_t>>();
        EXPECT_EQ(tok->encode(text, c.at("max_length").get<int>()), want) << kind << " case " << c.at("name");
        for (std::int64_t id : want)
            EXPECT_LT(id, tok->vocabSize());
    }
}

} // namespace

// Ids (and, for the BERT normaliser, the normalised text) that the real Hugging Face tokenizers
// library gives for the same tokenizer.json files (tools/make_tokenizer_fixtures_hf.js): the
// texts of expected.json plus the characters where BERT's rules are easy to get wrong.
TEST(Tokenizer, ByteLevelBpeMatchesHuggingFace) { checkFixtures("bpe/tokenizer.json", "bpe/expected_hf.json", "bpe"); }
TEST(Tokenizer, WordPieceMatchesHuggingFace)
{
    checkFixtures("wordpiece/tokenizer.json", "wordpiece/expected_hf.json", "wordpiece");
}
TEST(Tokenizer, BertNormalizerMatchesHuggingFace)
{
    const auto config = readJson(kData + "wordpiece/tokenizer.json");
    const auto normalizer = tokenizer::makeNormalizer(config.at("normalizer"), "wordpiece/tokenizer.json");
    ASSERT_NE(normalizer, nullptr);
    const auto expected = readJson(kData + "wordpiece/expected_hf.json");
    int checked = 0;
    for (const auto& c : expected.at("cases")) {
        std::u32string text = unicode::decodeUtf8(c.at("text").get<std::string>());
        normalizer->apply(text);
        EXPECT_EQ(unicode::encodeUtf8(text), c.at("normalized").get<std::string>()) << "case " << c.at("name");
        ++checked;
    }
    EXPECT_GE(checked, 30);
}

TEST(Tokenizer, ByteLevelBpeMatchesFixtures) { checkFixtures("bpe/tokenizer.json", "bpe/expected.json", "bpe"); }
TEST(Tokenizer, WordPieceMatchesFixtures) { checkFixtures("wordpiece/tokenizer.json", "wordpiece/expected.json", "wordpiece"); }
TEST(Tokenizer, SentencePieceMatchesFixtures)
{
    checkFixtures("sentencepiece/tokenizer.model", "sentencepiece/expected.json", "sentencepiece");
}

TEST(Tokenizer, TemplatesWrapEveryTextAndTruncationKeepsThem)
{
    const auto bpe = loadTokenizer(kData + "bpe/tokenizer.json");
    EXPECT_EQ(bpe->encode("", 0), (std::vector<std::int64_t>{0, 2})); // <s> </s>
    EXPECT_EQ(bpe->padId(), 1);                                        // <pad>
    const auto wp = loadTokenizer(kData + "wordpiece/tokenizer.json");
    EXPECT_EQ(wp->encode("", 0), (std::vector<std::int64_t>{2, 3})); // [CLS] [SEP]
    EXPECT_EQ(wp->padId(), 0);
    const auto sp = loadTokenizer(kData + "sentencepiece/tokenizer.model");
    EXPECT_EQ(sp->encode("", 0), (std::vector<std::int64_t>{1})); // BOS only, no EOS
    for (const auto* tok : {bpe.get(), wp.get(), sp.get()}) {
        const std::string code = "int f(int a, int b) { return a * b + 42; }";
        const auto full = tok->encode(code, 0);
        for (int max : {4, 7, 16}) {
            const auto cut = tok->encode(code, max);
            ASSERT_EQ(cut.size(), static_cast<std::size_t>(max)) << tok->kind();
            EXPECT_EQ(cut.front(), full.front());
            if (tok->kind() != "sentencepiece")
                EXPECT_EQ(cut.back(), full.back()) << "the closing special token survives truncation";
        }
    }
}

TEST(Tokenizer, WordPieceGivesUnknownForOverlongAndUnseenWords)
{
    const auto wp = loadTokenizer(kData + "wordpiece/tokenizer.json");
    const auto ids = wp->encode(std::string(150, 'a'), 0);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 1, 3})) << "a word over 100 characters is one [UNK]";
}

TEST(Tokenizer, HugeSnippetIsTruncatedQuicklyAndInvalidUtf8DoesNotThrow)
{
    std::string huge;
    for (int i = 0; i < 200000; ++i)
        huge += "x = y + " + std::to_string(i) + ";\n";
    huge += std::string(1 << 20, 'q'); // a megabyte-long identifier
    huge += "\xff\xfe\xc3(";
    for (const char* file : {"bpe/tokenizer.json", "wordpiece/tokenizer.json", "sentencepiece/tokenizer.model"}) {
        const auto tok = loadTokenizer(kData + file);
        EXPECT_EQ(tok->encode(huge, 512).size(), 512u) << file;
        EXPECT_NO_THROW(tok->encode("ok \xff\xfe\xc3( done", 0)) << file;
    }
    const auto bpe = loadTokenizer(kData + "bpe/tokenizer.json");
    EXPECT_GT(bpe->encode(std::string(100000, 'q'), 0).size(), 2u) << "a long identifier is merged, not dropped";
}

TEST(Tokenizer, BrokenFilesGiveClearMessages)
{
    test::TempDir dir;
    auto expectError = [&](const std::string& name, const std::string& content, const std::string& fragment) {
        const std::string path = dir.file(name);
        test::writeFile(path, content);
        try {
            loadTokenizer(path);
            ADD_FAILURE() << name << " loaded";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(path), std::string::npos) << msg;
            EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
        }
    };
    expectError("empty.json", "", "empty");
    expectError("truncated.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {", "not valid JSON");
    expectError("nomodel.json", "{\"version\": \"1.0\"}", "no \"model\"");
    expectError("unigram.json", R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})", "Unigram");
    expectError("badmerge.json", R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})",
                "missing from the vocabulary");
    expectError("badnorm.json",
                R"({"normalizer": {"type": "Precompiled"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}})",
                "Precompiled");
    expectError("random.model", std::string("\x01\x02garbage\xff\xfe", 12), "neither a tokenizer.json nor a SentencePiece");
    expectError("missing-unk.json", R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"a": 0}}})",
                "[UNK]");
    EXPECT_THROW(loadTokenizer(dir.file("does-not-exist.json")), Error);
}

// Found by fuzz/fuzz_tokenizer_json: a float where a token id belongs was cast to an integer
// (undefined behaviour for 2.6e19); ids must be whole numbers in range, and every id the
// tokenizer can emit counts towards its vocabulary size.
TEST(Tokenizer, FuzzFindingsIdsMustBeWholeNumbersInRange)
{
    const std::string base = R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}}, )";
    EXPECT_THROW(parseHfTokenizer(base + R"("post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 2.55556e19], "sep": ["[SEP]", 3]}})", "t.json"), Error);
    EXPECT_THROW(parseHfTokenizer(base + R"("post_processor": {"type": "BertProcessing", "cls": ["[CLS]", -2], "sep": ["[SEP]", 3]}})", "t.json"), Error);
    EXPECT_THROW(parseHfTokenizer(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0.5}}})", "t.json"), Error);
    EXPECT_THROW(parseHfTokenizer(base + R"("padding": {"pad_id": 1.5}})", "t.json"), Error);
    // An unsigned number above INT64_MAX is refused, not wrapped to -1 or to a small id.
    EXPECT_THROW(parseHfTokenizer(base + R"("padding": {"pad_id": 18446744073709551615}})", "t.json"), Error);
    EXPECT_THROW(parseHfTokenizer(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 18446744073709551617}}})", "t.json"), Error);
    const auto tok = parseHfTokenizer(base + R"("post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 7], "sep": ["[SEP]", 9]}})", "t.json");
    EXPECT_EQ(tok->encode("a", 0), (std::vector<std::int64_t>{7, 1, 9}));
    EXPECT_EQ(tok->vocabSize(), 10) << "the template's ids count, so the embedding check covers them";
}

// --- the "slow" files: vocab.json + merges.txt, vocab.txt ---------------------------------------

// Ids the Hugging Face library gives reading the slow files itself
// (tools/make_slow_tokenizer_fixtures_hf.js); the CLI test also runs the config variants.
TEST(Tokenizer, SlowBpeFilesMatchHuggingFace)
{
    checkFixtures("bpe_slow/vocab.json", "bpe_slow/expected_hf.json", "bpe");
}
TEST(Tokenizer, SlowWordPieceFileMatchesHuggingFace)
{
    checkFixtures("wordpiece_slow/vocab.txt", "wordpiece_slow/expected_hf.json", "wordpiece");
}

// The slow files were cut from the fixture tokenizer.json files: the same tokenizer, token for token.
TEST(Tokenizer, SlowFilesAreTheTokenizerJsonTheyCameFrom)
{
    for (const auto& [slow, fast] : {std::pair{"bpe_slow/vocab.json", "bpe/tokenizer.json"},
                                     std::pair{"wordpiece_slow/vocab.txt", "wordpiece/tokenizer.json"}}) {
        const auto a = loadTokenizer(kData + slow), b = loadTokenizer(kData + fast);
        EXPECT_EQ(a->kind(), b->kind()) << slow;
        EXPECT_EQ(a->vocabSize(), b->vocabSize()) << slow;
        EXPECT_EQ(a->padId(), b->padId()) << slow;
        EXPECT_EQ(a->prefixIds(), b->prefixIds()) << slow;
        EXPECT_EQ(a->suffixIds(), b->suffixIds()) << slow;
        for (std::int64_t id = 0; id < b->vocabSize(); ++id)
            EXPECT_EQ(a->tokenText(id), b->tokenText(id)) << slow << " id " << id;
    }
}

namespace {

/// A folder holding a copy of the bpe_slow or wordpiece_slow fixture files.
void copySlow(const test::TempDir& dir, const std::string& kind)
{
    for (const auto& entry : std::filesystem::directory_iterator(kData + kind))
        if (entry.path().filename() != "expected_hf.json")
            std::filesystem::copy_file(entry.path(), dir.path() / entry.path().filename());
}

} // namespace

TEST(Tokenizer, SlowTokenizerHashCoversMergesAndConfigFiles)
{
    // One-file tokenizers keep the file's own hash, as feature files recorded it before.
    EXPECT_EQ(tokenizerHash(kData + "bpe/tokenizer.json"), hashFile(kData + "bpe/tokenizer.json"));
    EXPECT_EQ(tokenizerFiles(kData + "sentencepiece/tokenizer.model"),
              std::vector<std::string>{kData + "sentencepiece/tokenizer.model"});

    test::TempDir dir;
    copySlow(dir, "bpe_slow");
    const std::string vocab = dir.file("vocab.json");
    EXPECT_EQ(tokenizerFiles(vocab), (std::vector<std::string>{vocab, dir.file("merges.txt"), dir.file("special_tokens_map.json"),
                                                                dir.file("tokenizer_config.json")}));
    std::set<std::string> seen{tokenizerHash(vocab)};
    EXPECT_EQ(tokenizerHash(vocab), tokenizerHash(vocab));
    EXPECT_EQ(tokenizerHash(vocab).rfind("files:", 0), 0u);
    auto changed = [&](const std::string& what) {
        EXPECT_TRUE(seen.insert(tokenizerHash(vocab)).second) << what << " left the hash unchanged";
    };
    std::ofstream(dir.file("merges.txt"), std::ios::app) << "Ġ Ġ\n"; // a repeated merge: same tokenizer, new bytes
    changed("merges.txt");
    test::writeFile(dir.file("tokenizer_config.json"), R"({"add_prefix_space": true})");
    changed("tokenizer_config.json");
    test::writeFile(dir.file("special_tokens_map.json"), R"({"mask_token": "<mask>"})");
    changed("special_tokens_map.json");
    const std::string withoutAdded = tokenizerHash(vocab);
    test::writeFile(dir.file("added_tokens.json"), R"({"<extra>": 605})");
    changed("added_tokens.json");
    std::filesystem::remove(dir.file("added_tokens.json"));
    EXPECT_EQ(tokenizerHash(vocab), withoutAdded); // the same files again

    test::TempDir wp;
    copySlow(wp, "wordpiece_slow");
    const std::string txt = wp.file("vocab.txt");
    EXPECT_EQ(tokenizerFiles(txt), (std::vector<std::string>{txt, wp.file("tokenizer_config.json")}));
    const std::string before = tokenizerHash(txt);
    test::writeFile(wp.file("tokenizer_config.json"), R"({"do_lower_case": false})");
    EXPECT_NE(tokenizerHash(txt), before);
}

TEST(Tokenizer, SlowFilesSpecialTokensAndTheirIds)
{
    test::TempDir dir;
    copySlow(dir, "bpe_slow");
    const std::string vocab = dir.file("vocab.json");
    // added_tokens_decoder (transformers >= 4.34 writes it) gives the added tokens' ids; a special
    // token named in special_tokens_map.json but missing from the vocabulary gets the next id.
    test::writeFile(dir.file("tokenizer_config.json"), R"({"tokenizer_class": "RobertaTokenizerFast",
        "added_tokens_decoder": {"0": {"content": "<s>", "special": true},
                                 "700": {"content": "<mask>", "lstrip": true, "special": true}}})");
    test::writeFile(dir.file("special_tokens_map.json"),
                    R"({"cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>", "additional_special_tokens": ["<fim>"]})");
    auto tok = loadTokenizer(vocab);
    EXPECT_EQ(tok->encode("a <mask> b", 0).at(2), 700);
    EXPECT_EQ(tok->encode("<fim>", 0), (std::vector<std::int64_t>{0, 701, 2}));
    EXPECT_EQ(tok->vocabSize(), 702);
    // RoBERTa's defaults when the configs say nothing; a <mask> given as a plain string still
    // takes the space before it (RobertaTokenizerFast makes it lstrip).
    std::filesystem::remove(dir.file("tokenizer_config.json"));
    test::writeFile(dir.file("special_tokens_map.json"), R"({"mask_token": "<mask>"})");
    tok = loadTokenizer(vocab);
    EXPECT_EQ(tok->encode("a <mask>", 0), loadTokenizer(kData + "bpe/tokenizer.json")->encode("a <mask>", 0));
    EXPECT_EQ(tok->encode("", 0), (std::vector<std::int64_t>{0, 2}));
    // Another cls/sep pair from tokenizer_config.json; special_tokens_map.json wins over it.
    test::writeFile(dir.file("tokenizer_config.json"), R"({"cls_token": "<pad>", "sep_token": "<unk>"})");
    EXPECT_EQ(loadTokenizer(vocab)->encode("", 0), (std::vector<std::int64_t>{1, 3}));
    test::writeFile(dir.file("special_tokens_map.json"), R"({"cls_token": "</s>"})");
    EXPECT_EQ(loadTokenizer(vocab)->encode("", 0), (std::vector<std::int64_t>{2, 3}));

    // A vocab.txt as BERT's: [CLS] ... [SEP], lower case by default; do_lower_case false keeps case.
    test::TempDir wp;
    copySlow(wp, "wordpiece_slow");
    std::filesystem::remove(wp.file("tokenizer_config.json"));
    const auto uncased = loadTokenizer(wp.file("vocab.txt"));
    const auto fast = loadTokenizer(kData + "wordpiece/tokenizer.json");
    EXPECT_EQ(uncased->encode("Int MAIN", 0), fast->encode("Int MAIN", 0));
    test::writeFile(wp.file("tokenizer_config.json"), R"({"do_lower_case": false})");
    EXPECT_NE(loadTokenizer(wp.file("vocab.txt"))->encode("Int MAIN", 0), fast->encode("Int MAIN", 0));
}

TEST(Tokenizer, BrokenSlowFilesGiveClearMessages)
{
    auto expectError = [](const std::string& path, const std::string& fragment) {
        try {
            loadTokenizer(path);
            ADD_FAILURE() << path << " loaded";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        }
    };
    test::TempDir dir;
    copySlow(dir, "bpe_slow");
    const std::string vocab = dir.file("vocab.json");
    std::filesystem::rename(dir.file("merges.txt"), dir.file("merges.bak"));
    expectError(vocab, "merges.txt");
    test::writeFile(dir.file("merges.txt"), "#version: 0.2\nĠ Ġ\nzz qq\n");
    expectError(vocab, "missing from the vocabulary");
    test::writeFile(dir.file("merges.txt"), "#version: 0.2\nĠĠ\n");
    expectError(vocab, "merges.txt:2");
    std::filesystem::rename(dir.file("merges.bak"), dir.file("merges.txt"));
    test::writeFile(dir.file("special_tokens_map.json"), "{\"cls_token\": ");
    expectError(vocab, "special_tokens_map.json");
    test::writeFile(dir.file("special_tokens_map.json"), R"({"cls_token": 5})");
    expectError(vocab, "special_tokens_map.json");
    test::writeFile(dir.file("special_tokens_map.json"), R"({"cls_token": null})");
    expectError(vocab, "cls_token");
    test::writeFile(dir.file("special_tokens_map.json"), "{}");
    test::writeFile(dir.file("tokenizer_config.json"), R"({"tokenizer_class": "CodeGenTokenizer"})");
    expectError(vocab, "CodeGenTokenizer");
    std::filesystem::remove(dir.file("tokenizer_config.json"));
    test::writeFile(dir.file("config.json"), R"({"model_type": "gpt2"})");
    expectError(vocab, "gpt2");
    test::writeFile(dir.file("config.json"), R"({"model_type": "roberta"})");
    EXPECT_NO_THROW(loadTokenizer(vocab));
    test::writeFile(dir.file("vocab.json"), R"({"a": 0.5})");
    expectError(vocab, "vocab.json");

    test::TempDir wp;
    test::writeFile(wp.file("vocab.txt"), "[CLS]\n[SEP]\na\n");
    expectError(wp.file("vocab.txt"), "[UNK]");
    test::writeFile(wp.file("vocab.txt"), "[UNK]\n[CLS]\n[SEP]\n\xff\xfe\n");
    expectError(wp.file("vocab.txt") + "", "vocab.txt:4");
    test::writeFile(wp.file("vocab.txt"), "");
    expectError(wp.file("vocab.txt"), "empty");
    test::writeFile(wp.file("vocab.txt"), "[UNK]\n[CLS]\n[SEP]\na\n");
    test::writeFile(wp.file("tokenizer_config.json"), R"({"tokenizer_class": "XLNetTokenizer"})");
    expectError(wp.file("vocab.txt"), "XLNetTokenizer");
}
