#include <headbench/core/CsvReader.h>
#include <headbench/core/Error.h>

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

using namespace headbench;

namespace {

// A stream that hands out its bytes `chunk` at a time, as a pipe or a slow disk can: the reader
// must give the same records however the bytes arrive.
class TrickleBuffer : public std::streambuf {
public:
    TrickleBuffer(std::string data, std::size_t chunk) : m_data(std::move(data)), m_chunk(chunk) {}

protected:
    int_type underflow() override
    {
        if (m_pos >= m_data.size())
            return traits_type::eof();
        const std::size_t n = std::min(m_chunk, m_data.size() - m_pos);
        char* begin = m_data.data() + m_pos;
        setg(begin, begin, begin + n);
        m_pos += n;
        return traits_type::to_int_type(*begin);
    }

private:
    std::string m_data;
    std::size_t m_chunk;
    std::size_t m_pos = 0;
};

std::vector<std::vector<std::string>> readAll(std::istream& in, std::vector<std::size_t>* lines = nullptr)
{
    CsvReader reader(in, "t.csv");
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::size_t line = 0;
    while (reader.next(record, line)) {
        records.push_back(record);
        if (lines)
            lines->push_back(line);
    }
    return records;
}

std::vector<std::vector<std::string>> readTrickled(const std::string& text, std::size_t chunk)
{
    TrickleBuffer buffer(text, chunk);
    std::istream in(&buffer);
    return readAll(in);
}

} // namespace

// Property: records written with quote() read back field for field, whatever the fields hold
// (commas, quotes, CR, LF, bytes >= 0x80) and however the stream delivers its bytes.
TEST(CsvReader, QuotedRecordsReadBackWhateverTheChunking)
{
    std::mt19937 rng(11);
    const std::string alphabet = "ab,\"\r\n x\xC3\xA9\xEF\xBB\xBF";
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<std::vector<std::string>> written;
        const std::size_t width = 1 + rng() % 4;
        const std::size_t rows = 1 + rng() % 6;
        std::string text;
        for (std::size_t r = 0; r < rows; ++r) {
            std::vector<std::string> record;
            for (std::size_t f = 0; f < width; ++f) {
                std::string field;
                const std::size_t length = rng() % 7;
                for (std::size_t k = 0; k < length; ++k)
                    field += alphabet[rng() % alphabet.size()];
                // An unquoted empty single-field record is a blank line, which the reader skips.
                if (width == 1 && field.empty())
                    field = "e";
                record.push_back(field);
                text += (f ? "," : "") + CsvReader::quote(field);
            }
            text += (rng() % 2) ? "\r\n" : "\n";
            written.push_back(record);
        }
        if (text.rfind("\xEF\xBB\xBF", 0) == 0)
            continue; // a leading mark is dropped by design
        for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{4096}})
            ASSERT_EQ(readTrickled(text, chunk), written) << "trial " << trial << ", chunk " << chunk;
    }
}

TEST(CsvReader, ByteOrderMarkIsDroppedOnlyWhenWhole)
{
    EXPECT_EQ(readTrickled("\xEF\xBB\xBF" "a,b\n", 1), (std::vector<std::vector<std::string>>{{"a", "b"}}));
    // Two bytes of a mark are data, and so is a file shorter than a mark.
    EXPECT_EQ(readTrickled("\xEF\xBBx\n", 1), (std::vector<std::vector<std::string>>{{"\xEF\xBBx"}}));
    EXPECT_EQ(readTrickled("a", 1), (std::vector<std::vector<std::string>>{{"a"}}));
    EXPECT_TRUE(readTrickled("", 1).empty());
    EXPECT_TRUE(readTrickled("\xEF\xBB\xBF", 1).empty());
}

TEST(CsvReader, LinesCountQuotedNewlinesAndBlankLines)
{
    std::istringstream in("h\n\n\"two\nlines\"\r\n\r\nlast\n");
    std::vector<std::size_t> lines;
    const auto records = readAll(in, &lines);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[1], std::vector<std::string>{"two\nlines"});
    EXPECT_EQ(lines, (std::vector<std::size_t>{1, 3, 6}));
}

TEST(CsvReader, UnclosedQuoteNamesTheFileAndLine)
{
    std::istringstream in("a\n\"open,\nstill\n");
    try {
        readAll(in);
        FAIL() << "an unclosed quote was accepted";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "t.csv: line 2: a quoted field is never closed");
    }
}
