// What the model sees of a long text: head, tail or windows (encodeLong), and where the cut falls (seenSpan).
#include <headbench/core/Error.h>
#include <headbench/text/Tokenizer.h>
#include <headbench/text/TokenizerSteps.h>
#include "TestUtil.h"
#include <headbench/core/Unicode.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace headbench;

namespace {

const std::string kData = HEADBENCH_TEST_DATA "/tokenizers/";

using Seqs = std::vector<std::vector<std::int64_t>>;

std::string longCode()
{
    std::string code;
    for (int i = 0; i < 40; ++i)
        code += "int value" + std::to_string(i) + " = read_input(buffer, " + std::to_string(i) + ");\n";
    return code;
}

} // namespace

TEST(LongText, HeadTailAndWindowsCoverTheTextAsSpecified)
{
    for (const char* file : {"bpe/tokenizer.json", "wordpiece/tokenizer.json", "sentencepiece/tokenizer.model"}) {
        SCOPED_TRACE(file);
        const auto tok = loadTokenizer(kData + file);
        const std::string code = longCode();
        const auto before = tok->prefixIds(), after = tok->suffixIds();
        const auto body = tok->encodeBody(code);
        // The body with the template is what encode gives without a cut.
        std::vector<std::int64_t> whole = before;
        whole.insert(whole.end(), body.begin(), body.end());
        whole.insert(whole.end(), after.begin(), after.end());
        EXPECT_EQ(tok->encode(code, 0), whole);

        const int maxLength = 24;
        const auto length = static_cast<std::size_t>(contentLength(*tok, maxLength));
        ASSERT_EQ(length, maxLength - before.size() - after.size());
        ASSERT_GT(body.size(), 4 * length);
        const auto wrapped = [&](std::size_t from, std::size_t n) {
            std::vector<std::int64_t> ids = before;
            ids.insert(ids.end(), body.begin() + static_cast<std::ptrdiff_t>(from),
                       body.begin() + static_cast<std::ptrdiff_t>(from + n));
            ids.insert(ids.end(), after.begin(), after.end());
            return ids;
        };
        EXPECT_EQ(encodeLong(*tok, code, maxLength, LongMode::Head), Seqs{tok->encode(code, maxLength)});
        EXPECT_EQ(encodeLong(*tok, code, maxLength, LongMode::Head).front(), wrapped(0, length));
        EXPECT_EQ(encodeLong(*tok, code, maxLength, LongMode::Tail), Seqs{wrapped(body.size() - length, length)});

        // Windows: starts 0, s, 2s ... while the window ends before the text, then one at the end.
        for (const std::int64_t stride : {std::int64_t(0), std::int64_t(5)}) {
            const std::size_t s = stride > 0 ? static_cast<std::size_t>(stride) : std::max<std::size_t>(1, length / 2);
            std::vector<std::vector<std::int64_t>> expected;
            for (std::size_t start = 0; start + length < body.size(); start += s)
                expected.push_back(wrapped(start, length));
            expected.push_back(wrapped(body.size() - length, length));
            const auto windows = encodeLong(*tok, code, maxLength, LongMode::Windows, stride);
            EXPECT_EQ(windows, expected);
            for (const auto& w : windows)
                EXPECT_LE(w.size(), static_cast<std::size_t>(maxLength));
        }
        // A text that fits is one sequence whatever the mode.
        const std::string shortCode = "int x;";
        for (LongMode mode : {LongMode::Head, LongMode::Tail, LongMode::Windows})
            EXPECT_EQ(encodeLong(*tok, shortCode, maxLength, mode), Seqs{tok->encode(shortCode, 0)});
    }
}

TEST(LongText, SeenSpanEndsWhereTheWindowDoes)
{
    const auto tok = loadTokenizer(kData + "bpe/tokenizer.json");
    const std::string code = longCode();
    const int maxLength = 40;
    const auto length = static_cast<std::size_t>(contentLength(*tok, maxLength));

    const SeenSpan head = seenSpan(*tok, code, maxLength, LongMode::Head);
    ASSERT_TRUE(head.cut);
    EXPECT_EQ(head.begin, 0u);
    // The seen prefix fits the window; one more character no longer does.
    EXPECT_LE(tok->encodeBody(code.substr(0, head.end)).size(), length);
    EXPECT_GT(tok->encodeBody(code.substr(0, head.end + 1)).size(), length);

    const SeenSpan tail = seenSpan(*tok, code, maxLength, LongMode::Tail);
    ASSERT_TRUE(tail.cut);
    EXPECT_EQ(tail.end, code.size());
    EXPECT_LE(tok->encodeBody(code.substr(tail.begin)).size(), length);
    EXPECT_GT(tok->encodeBody(code.substr(tail.begin - 1)).size(), length);

    EXPECT_FALSE(seenSpan(*tok, code, maxLength, LongMode::Windows).cut);
    EXPECT_FALSE(seenSpan(*tok, "int x;", maxLength, LongMode::Head).cut);
    // Multi-byte characters: the cut never falls inside one.
    std::string utf8;
    for (int i = 0; i < 60; ++i)
        utf8 += "é = ü + ß; ";
    const SeenSpan u = seenSpan(*tok, utf8, 12, LongMode::Head);
    ASSERT_TRUE(u.cut);
    EXPECT_NE(static_cast<unsigned char>(utf8[u.end]) & 0xC0, 0x80);

    EXPECT_THROW(parseLongMode("middle"), Error);
    EXPECT_STREQ(longModeName(parseLongMode("windows")), "windows");
}
