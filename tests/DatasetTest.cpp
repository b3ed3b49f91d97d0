#include "Dataset.h"
#include "Error.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace headbench;

namespace {

Dataset jsonl(const std::string& text, const FieldMap& fields = {})
{
    std::istringstream in(text);
    return parseJsonl(in, "data.jsonl", fields);
}

Dataset csv(const std::string& text, const FieldMap& fields = {})
{
    std::istringstream in(text);
    return parseCsv(in, "data.csv", fields);
}

/// The message of the headbench::Error thrown by f, or "" when none is thrown.
template <typename F> std::string errorOf(F&& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST(Dataset, ReadsDevignStyleJsonl)
{
    const auto d = jsonl(R"({"idx": 7, "func": "int f() { return 0; }", "target": 0}
{"idx": 8, "func": "void g(char *s) { strcpy(b, s); }", "target": 1}
)");
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.ids[0], "7");
    EXPECT_EQ(d.texts[1], "void g(char *s) { strcpy(b, s); }");
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"0", "1"}));
}

TEST(Dataset, FieldNamesCanBeOverridden)
{
    const auto d = jsonl(R"({"code": "a", "y": "bad", "name": "x"}
{"code": "b", "y": "good", "name": "z"})",
                         {.text = "code", .label = "y", .id = "name"});
    EXPECT_EQ(d.ids, (std::vector<std::string>{"x", "z"}));
    // String labels become classes in sorted order, names kept.
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"bad", "good"}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1}));
}

TEST(Dataset, NonContiguousIntegerLabelsAreMappedAndNamed)
{
    const auto d = jsonl("{\"func\":\"a\",\"target\":-1}\n{\"func\":\"b\",\"target\":5}\n{\"func\":\"c\",\"target\":2}\n");
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"-1", "2", "5"}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 2, 1}));
}

TEST(Dataset, MissingIdsUseTheRowNumberAndBlankLinesAreSkipped)
{
    const auto d = jsonl("{\"func\":\"a\",\"target\":true}\n\n{\"func\":\"b\",\"target\":false}\n");
    EXPECT_EQ(d.ids, (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0}));
}

TEST(Dataset, CsvWithBomCrlfAndQuotedNewlines)
{
    const auto d = csv("\xEF\xBB\xBFidx,func,target\r\n1,\"int f() {\r\n  return \"\"x\"\", 0;\r\n}\",vulnerable\r\n2,plain,safe\r\n");
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.texts[0], "int f() {\r\n  return \"x\", 0;\r\n}");
    EXPECT_EQ(d.ids[0], "1");
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"safe", "vulnerable"}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{1, 0}));
}

TEST(Dataset, CsvIntegerLabelsAreNumbers)
{
    const auto d = csv("func,target\na,10\nb,2\n");
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"2", "10"})); // numeric, not string, order
}

TEST(Dataset, BadJsonlNamesFileLineAndProblem)
{
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{not json\n"); }).rfind("data.jsonl:2: not valid JSON", 0), 0u);
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{\"target\":1}\n"); }),
              "data.jsonl:2: missing text field 'func'");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\"}\n"); }), "data.jsonl:1: missing label field 'target'");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"   \",\"target\":0}\n"); }), "data.jsonl:1: the text is empty");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":{\"x\":1}}\n"); }),
              "data.jsonl:1: label field 'target' is object, expected an integer or a string");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0.5}\n"); }), "data.jsonl:1: label 0.5 is not an integer class");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{\"func\":\"b\",\"target\":\"bad\"}\n"); }),
              "data.jsonl:2: label 'bad' is a string but earlier labels are numbers");
    EXPECT_EQ(errorOf([] { jsonl("[1,2]\n"); }), "data.jsonl:1: expected a JSON object, found array");
    EXPECT_EQ(errorOf([] { jsonl(""); }), "data.jsonl: no samples (the file is empty)");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":1}\n{\"func\":\"b\",\"target\":1}\n"); }),
              "data.jsonl: only one class ('1') in 2 samples; a classifier needs two or more");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":12,\"target\":1}\n"); }),
              "data.jsonl:1: text field 'func' is a number, expected a string");
}

TEST(Dataset, BadCsvNamesRowAndProblem)
{
    EXPECT_EQ(errorOf([] { csv("code,target\na,1\n"); }),
              "data.csv: line 1: missing column 'func' in the header (columns: code, target)");
    EXPECT_EQ(errorOf([] { csv("func,target\na,1\nb\n"); }), "data.csv: row 2 (line 3): 1 fields, the header has 2");
    EXPECT_EQ(errorOf([] { csv("func,target\n\"a,1\n"); }), "data.csv: line 2: a quoted field is never closed");
    EXPECT_EQ(errorOf([] { csv("func,target\na,\n"); }), "data.csv: row 1 (line 2): label column 'target' is empty");
}

TEST(Dataset, LoadDatasetPicksTheParserAndRejectsUnknownFiles)
{
    test::TempDir dir;
    test::writeFile(dir.file("d.csv"), "func,target\nx,0\ny,1\n");
    EXPECT_EQ(loadDataset(dir.file("d.csv")).size(), 2u);
    test::writeFile(dir.file("d.txt"), "x");
    EXPECT_NE(errorOf([&] { loadDataset(dir.file("d.txt")); }).find("unknown dataset format '.txt'"), std::string::npos);
    EXPECT_NE(errorOf([&] { loadDataset(dir.file("missing.jsonl")); }).find("missing.jsonl: cannot be opened"),
              std::string::npos);
}

TEST(Dataset, WriteJsonlRoundTrips)
{
    test::TempDir dir;
    Dataset d;
    d.texts = {"int a;\n\"quoted\"", "b"};
    d.ids = {"x1", "x2"};
    d.labels = {1, 0};
    d.labelNames = {"safe", "vulnerable"};
    writeJsonl(d, dir.file("out.jsonl"));
    const auto back = loadDataset(dir.file("out.jsonl"));
    EXPECT_EQ(back.texts, d.texts);
    EXPECT_EQ(back.ids, d.ids);
    EXPECT_EQ(back.labels, d.labels);
    EXPECT_EQ(back.labelNames, d.labelNames);
}

// Found by fuzz/fuzz_jsonl: a number too large for a double made nlohmann::json throw
// out_of_range, which escaped as an uncaught exception instead of a message.
TEST(Dataset, FuzzFindingHugeNumberIsAMessage)
{
    std::istringstream in("{\"func\": \"a\", \"target\": 0}\n222e22222244\n");
    try {
        parseJsonl(in, "huge.jsonl");
        ADD_FAILURE() << "parsed";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("huge.jsonl:2: not valid JSON"), std::string::npos) << e.what();
    }
}

// Found by fuzz/fuzz_jsonl in CI: a label too large for any integer type was cast to one
// (undefined behaviour); such labels are refused with the line.
TEST(Dataset, FuzzFindingHugeLabelIsRefused)
{
    for (const char* label : {"55555555555555555555555555555557", "18446744073709551615", "1e300", "2.5"}) {
        std::istringstream in(std::string("{\"func\": \"a\", \"target\": 0}\n{\"func\": \"b\", \"target\": ") + label + "}\n");
        try {
            parseJsonl(in, "labels.jsonl");
            ADD_FAILURE() << label << " accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("labels.jsonl:2: label"), std::string::npos) << e.what();
        }
    }
}
