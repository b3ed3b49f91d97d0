#include <headbench/core/Error.h>
#include <headbench/data/Dataset.h>
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

TEST(Dataset, AnIdFieldNoRowHasIsRefusedUnlessItIsTheDefault)
{
    // A typo in --id-field numbered the rows without a word; the default 'idx' may be absent.
    const std::string rows = "{\"func\":\"a\",\"target\":0,\"name\":\"x\"}\n{\"func\":\"b\",\"target\":1}\n";
    const auto idField = [](const std::string& name) {
        FieldMap f;
        f.id = name;
        return f;
    };
    const std::string message = errorOf([&] { jsonl(rows, idField("nmae")); });
    EXPECT_NE(message.find("no row has the id field 'nmae'"), std::string::npos) << message;
    EXPECT_EQ(jsonl(rows, idField("name")).ids, (std::vector<std::string>{"x", "1"})); // some rows have it
    EXPECT_EQ(jsonl(rows).ids, (std::vector<std::string>{"0", "1"}));
    const std::string table = "func,target\nx,0\ny,1\n";
    EXPECT_NE(errorOf([&] { csv(table, idField("key")); }).find("no row has the id field 'key'"), std::string::npos);
    EXPECT_EQ(csv(table).size(), 2u);
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

// A CSV's " 1", "1.0" and "1" were three classes (JSONL's 1 and 1.0 were one); spaces around a
// text label made another class too.
TEST(Dataset, CsvLabelsThatSpellOneNumberAreOneClass)
{
    const auto d = csv("func,target\na,0\nb,1\nc,0.0\nd,1.0\ne, 1\nf,1e0\n");
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1, 0, 1, 1, 1}));
    const auto t = csv("func,target\na,safe\nb, vulnerable\nc,safe \n");
    EXPECT_EQ(t.labelNames, (std::vector<std::string>{"safe", "vulnerable"}));
    EXPECT_EQ(t.labels, (std::vector<int32_t>{0, 1, 0}));
    // 1.5 is no class index: text, so the labels are text (three classes, named as written).
    const auto m = csv("func,target\na,1\nb,1.5\nc,2\n");
    EXPECT_EQ(m.labelNames.size(), 3u);
}

// JSONL's parser refuses bytes that are not UTF-8; a CSV's went into the feature file, which
// every reader then refused ("/text row 0 is not valid UTF-8").
TEST(Dataset, CsvThatIsNotUtf8IsRefusedWithItsRow)
{
    const std::string bad = errorOf([] { csv("func,target\n\"int a;\",0\n\"int b\xff;\",1\n"); });
    EXPECT_NE(bad.find("data.csv: row 2 (line 3): column 'func' is not valid UTF-8 (byte 6"), std::string::npos) << bad;
    // Well-formed multi-byte text is fine.
    EXPECT_EQ(csv("func,target\n\"x = \xc3\xa9\xe2\x82\xac;\",0\ny,1\n").texts[0], "x = \xc3\xa9\xe2\x82\xac;");
}

// --label-names on text labels was applied by position: "vuln,safe" on labels safe and vuln
// called every safe row vuln. The labels' own names now order the classes; whole-number labels
// are named; other names for text labels are refused.
TEST(Dataset, ClassNamesOrderTextLabelsAndNameNumbers)
{
    Dataset d = csv("func,target\na,safe\nb,vuln\nc,vuln\n");
    applyClassNames(d, {"vuln", "safe"});
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"vuln", "safe"}));
    for (std::size_t r = 0; r < d.size(); ++r) // each row keeps its label
        EXPECT_EQ(d.labelNames[static_cast<std::size_t>(d.labels[r])], r == 0 ? "safe" : "vuln");
    Dataset n = csv("func,target\na,0\nb,1\n");
    applyClassNames(n, {"safe", "vulnerable"});
    EXPECT_EQ(n.labelNames, (std::vector<std::string>{"safe", "vulnerable"}));
    EXPECT_EQ(n.labels, (std::vector<int32_t>{0, 1}));
    Dataset t = csv("func,target\na,safe\nb,vuln\n");
    const std::string renamed = errorOf([&] { applyClassNames(t, {"x", "y"}); });
    EXPECT_NE(renamed.find("do not match the labels (safe, vuln)"), std::string::npos) << renamed;
    EXPECT_NE(errorOf([&] { applyClassNames(n, {"a", "a"}); }).find("given twice"), std::string::npos);
    const std::string count = errorOf([&] { applyClassNames(n, {"a"}); });
    EXPECT_EQ(count.rfind(n.source + ": 1 class name given for 2 classes (safe, vulnerable, in this order)", 0), 0u) << count;
    EXPECT_EQ(renamed.rfind(t.source + ": class names 'x,y'", 0), 0u) << renamed;
}

// A UTF-16 file (Windows' "Unicode" text) gave "1:1 … invalid literal" with no cause.
TEST(Dataset, Utf16IsNamed)
{
    const std::string bom = "\xFF\xFE";
    EXPECT_NE(errorOf([&] { jsonl(bom + std::string("{\0\"\0", 4)); }).find("data.jsonl: is UTF-16 text"), std::string::npos);
    EXPECT_NE(errorOf([&] { csv(bom + std::string("f\0u\0", 4)); }).find("data.csv: is UTF-16 text"), std::string::npos);
}

TEST(Dataset, BadJsonlNamesFileLineAndProblem)
{
    // One location, file:line:column; nlohmann's own "line 1" would contradict the file's line.
    const std::string bad = errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{not json\n"); });
    EXPECT_EQ(bad.rfind("data.jsonl:2:3: not valid JSON: syntax error", 0), 0u) << bad;
    EXPECT_EQ(bad.find("line"), std::string::npos) << bad;
    EXPECT_EQ(bad.find("[json.exception"), std::string::npos) << bad;
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{\"target\":1}\n"); }),
              "data.jsonl:2: missing text field 'func' (this record has: target)");
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\"}\n"); }), "data.jsonl:1: missing label field 'target' (this record has: func)");
    // A dataset with its own names: the message lists them, to map them with --text-field.
    EXPECT_EQ(errorOf([] { jsonl("{\"code\":\"int f();\",\"vul\":1,\"cwe\":\"CWE-121\"}\n"); }),
              "data.jsonl:1: missing text field 'func' (this record has: code, cwe, vul)");
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
    // Bytes that are not UTF-8 were echoed.
    EXPECT_EQ(errorOf([] { jsonl("{\"func\":\"a\",\"target\":0}\n{\"func\":\"caf\xe9\",\"target\":1}\n"); }),
              "data.jsonl:2:13: not valid UTF-8 (byte 0xe9); save the file as UTF-8");
}

TEST(Dataset, BadCsvNamesRowAndProblem)
{
    EXPECT_EQ(errorOf([] { csv("code,target\na,1\n"); }),
              "data.csv: line 1: missing column 'func' in the header (columns: code, target)");
    EXPECT_EQ(errorOf([] { csv("func,target\na,1\nb\n"); }), "data.csv: row 2 (line 3): 1 fields, the header has 2");
    EXPECT_EQ(errorOf([] { csv("func,target\n\"a,1\n"); }), "data.csv: line 2: a quoted field is never closed");
    EXPECT_EQ(errorOf([] { csv("func,target\na,\n"); }), "data.csv: row 1 (line 2): label column 'target' is empty");
    // The first of two 'target' columns was read, without a word.
    EXPECT_EQ(errorOf([] { csv("func,target,note,target\na,1,x,0\n"); }),
              "data.csv: line 1: the header has two columns named 'target' (columns 2 and 4)");
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
        EXPECT_EQ(std::string(e.what()).rfind("huge.jsonl:2: not valid JSON: number overflow", 0), 0u) << e.what();
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

TEST(DatasetSplits, SplitFieldAcceptsNamesInAnyCaseAndNumbers)
{
    FieldMap fields;
    fields.split = "split";
    const auto d = jsonl(R"({"func": "a", "target": 0, "split": "Train"}
{"func": "b", "target": 1, "split": "training"}
{"func": "c", "target": 0, "split": "VALID"}
{"func": "d", "target": 1, "split": "dev"}
{"func": "e", "target": 0, "split": "val"}
{"func": "f", "target": 1, "split": "validation"}
{"func": "g", "target": 0, "split": "test"}
{"func": "h", "target": 1, "split": 2}
{"func": "i", "target": 1, "split": 0}
)",
                         fields);
    EXPECT_EQ(d.split, (std::vector<std::uint8_t>{0, 0, 1, 1, 1, 1, 2, 2, 0}));
    EXPECT_EQ(d.splitSource, "field 'split'");
    const std::string err = errorOf([&] {
        jsonl(R"({"func": "a", "target": 0, "split": "train"}
{"func": "b", "target": 1, "split": "holdout"}
)",
              fields);
    });
    EXPECT_NE(err.find("data.jsonl:2: split \"holdout\" is not one of train, valid, test"), std::string::npos) << err;
    EXPECT_NE(errorOf([&] { jsonl(R"({"func": "a", "target": 0})" "\n", fields); }).find("missing split field 'split'"),
              std::string::npos);
}

TEST(DatasetSplits, CsvSplitAndGroupColumns)
{
    FieldMap fields;
    fields.split = "part";
    fields.group = "project";
    const auto d = csv("func,target,part,project\na,0,train,x\nb,1,test,y\nc,0,valid,x\n", fields);
    EXPECT_EQ(d.split, (std::vector<std::uint8_t>{0, 2, 1}));
    EXPECT_EQ(d.groups, (std::vector<std::string>{"x", "y", "x"}));
    EXPECT_NE(errorOf([&] { csv("func,target,part,project\na,0,train,\n", fields); }).find("group column 'project' is empty"),
              std::string::npos);
}

TEST(DatasetSplits, GroupsOfNumbersAndStrings)
{
    FieldMap fields;
    fields.group = "pair";
    const auto d = jsonl(R"({"func": "a", "target": 0, "pair": 17}
{"func": "b", "target": 1, "pair": "p-17"}
)",
                         fields);
    EXPECT_EQ(d.groups, (std::vector<std::string>{"17", "p-17"}));
    EXPECT_TRUE(d.split.empty());
}

TEST(DatasetSplits, OneFilePerSplitRowByRow)
{
    test::TempDir dir;
    test::writeFile(dir.file("train.jsonl"), R"({"idx": "t1", "func": "a", "target": 0}
{"idx": "t2", "func": "b", "target": 1}
)");
    test::writeFile(dir.file("valid.jsonl"), R"({"idx": "v1", "func": "c", "target": 1}
)");
    test::writeFile(dir.file("test.csv"), "idx,func,target\ns1,d,0\ns2,e,1\n");
    const auto d = loadDatasets({parseDatasetSource("train=" + dir.file("train.jsonl")),
                                 parseDatasetSource("valid=" + dir.file("valid.jsonl")),
                                 parseDatasetSource("test=" + dir.file("test.csv"))});
    EXPECT_EQ(d.ids, (std::vector<std::string>{"t1", "t2", "v1", "s1", "s2"}));
    EXPECT_EQ(d.split, (std::vector<std::uint8_t>{0, 0, 1, 2, 2}));
    EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 1, 0, 1}));
    EXPECT_EQ(d.splitSource, "files");

    test::writeFile(dir.file("again.jsonl"), R"({"idx": "t2", "func": "x", "target": 0}
)");
    const std::string err = errorOf([&] {
        loadDatasets({{dir.file("train.jsonl"), 0}, {dir.file("again.jsonl"), 2}});
    });
    EXPECT_NE(err.find("again.jsonl:1: id 't2' is also at " + dir.file("train.jsonl") + ":2"), std::string::npos) << err;
    // Within one file too: the second run's leakage flags and label issues went to the first
    // row of a repeated id (the window finds rows by id). Rows without an id are numbered.
    test::writeFile(dir.file("repeats.jsonl"), "{\"idx\": \"a\", \"func\": \"x\", \"target\": 0}\n"
                                               "{\"func\": \"y\", \"target\": 1}\n"
                                               "{\"idx\": \"a\", \"func\": \"z\", \"target\": 1}\n");
    const std::string repeated = errorOf([&] { loadDatasets({{dir.file("repeats.jsonl"), -1}}); });
    EXPECT_NE(repeated.find("repeats.jsonl:3: id 'a' is also at " + dir.file("repeats.jsonl") + ":1; ids must be unique"),
              std::string::npos)
        << repeated;
    test::writeFile(dir.file("repeats.csv"), "idx,func,target\nb,x,0\nc,y,1\nb,z,1\n");
    EXPECT_NE(errorOf([&] { loadDatasets({{dir.file("repeats.csv"), -1}}); }).find("id 'b' is also at"), std::string::npos);
    test::writeFile(dir.file("numbered.jsonl"), "{\"func\": \"x\", \"target\": 0}\n{\"func\": \"y\", \"target\": 1}\n");
    EXPECT_EQ(loadDatasets({{dir.file("numbered.jsonl"), -1}}).ids, (std::vector<std::string>{"0", "1"}));
    EXPECT_NE(errorOf([] { parseDatasetSource("holdout=x.jsonl"); }).find("'holdout' is not a split"), std::string::npos);
    EXPECT_EQ(parseDatasetSource("dev=a=b.jsonl").path, "a=b.jsonl");
    EXPECT_EQ(parseDatasetSource("dev=a.jsonl").split, 1);
}

TEST(DatasetSplits, SkipInvalidCountsRowsAndKeepsTheRest)
{
    const std::string text = R"({"func": "int a;", "target": 0}
{"func": "  \t ", "target": 1}
{"func": "int b;"}
{broken
{"func": "int c;", "target": 2.5}
{"func": "int d;", "target": 1}
)";
    EXPECT_NE(errorOf([&] { jsonl(text); }).find("data.jsonl:2: the text is empty"), std::string::npos);
    std::istringstream in(text);
    const auto d = parseJsonl(in, "data.jsonl", {}, {.skipInvalid = true});
    EXPECT_EQ(d.texts, (std::vector<std::string>{"int a;", "int d;"}));
    EXPECT_EQ(d.skippedRows, 4);
    ASSERT_EQ(d.skippedExamples.size(), 4u);
    EXPECT_NE(d.skippedExamples[1].find("data.jsonl:3: missing label field"), std::string::npos);
    EXPECT_EQ(d.skippedExamples[2].rfind("data.jsonl:4:", 0), 0u) << d.skippedExamples[2];
    EXPECT_NE(d.skippedExamples[2].find(": not valid JSON: "), std::string::npos) << d.skippedExamples[2];
    // The JSON parser's own "line 1" would contradict the file line: only the column is kept.
    EXPECT_EQ(d.skippedExamples[2].find("line 1"), std::string::npos) << d.skippedExamples[2];
}

TEST(DatasetSplits, DedupDropsCopiesWithinALabelAndEveryConflict)
{
    Dataset d;
    d.texts = {"int f(){return 0;}", "int  f() { return 0; } // same", "int g(){}", "/* x */ int g() {}", "int h(){}", "int f(){return 1;}"};
    d.labels = {0, 0, 0, 1, 1, 0};
    d.ids = {"a", "b", "c", "d", "e", "f"};
    d.groups = {"1", "2", "3", "4", "5", "6"};
    d.labelNames = {"0", "1"};
    const DedupReport r = deduplicate(d);
    EXPECT_EQ(r.duplicates, 1);  // b repeats a
    EXPECT_EQ(r.conflicting, 2); // c and d: the same code with two labels
    EXPECT_EQ(d.ids, (std::vector<std::string>{"a", "e", "f"}));
    EXPECT_EQ(d.groups, (std::vector<std::string>{"1", "5", "6"}));
    EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 0}));
}

TEST(DatasetSplits, WrittenJsonlKeepsGroupsAndSplit)
{
    test::TempDir dir;
    Dataset d;
    d.texts = {"a", "b", "c"};
    d.labels = {0, 1, 0};
    d.ids = {"1", "2", "3"};
    d.labelNames = {"0", "1"};
    d.groups = {"p1", "p1", "p2"};
    d.split = {0, 1, 2};
    FieldMap fields;
    fields.group = "pair";
    writeJsonl(d, dir.file("out.jsonl"), fields);
    FieldMap back = fields;
    back.split = "split";
    const auto r = loadDataset(dir.file("out.jsonl"), back);
    EXPECT_EQ(r.groups, d.groups);
    EXPECT_EQ(r.split, d.split);
}

// ---- preview (the import dialog's first rows, read by the dataset's own readers) ----

TEST(DatasetPreview, JsonlKeysInOrderOfFirstAppearanceValuesAsWritten)
{
    test::TempDir dir;
    const std::string path = dir.file("p.jsonl");
    // BOM, blank lines, keys in another order, a key that appears late, numbers, booleans, null.
    test::writeFile(path, "\xEF\xBB\xBF{\"func\": \"int f();\", \"target\": 1, \"idx\": 10}\n\n"
                    "{\"idx\": 99989, \"target\": true, \"func\": \"void g();\"}\n"
                    "   \n{\"func\": \"h\", \"target\": 0, \"idx\": null, \"cwe\": [121, 122]}\n"
                    "{\"func\": \"x\", \"target\": 0}\n");
    const DatasetPreview p = previewDataset(path);
    EXPECT_EQ(p.columns, (std::vector<std::string>{"func", "target", "idx", "cwe"}));
    ASSERT_EQ(p.rows.size(), 4u);
    EXPECT_EQ(p.rows[0], (std::vector<std::string>{"int f();", "1", "10", ""}));
    EXPECT_EQ(p.rows[1], (std::vector<std::string>{"void g();", "true", "99989", ""}));
    EXPECT_EQ(p.rows[2], (std::vector<std::string>{"h", "0", "", "[121,122]"}));
    EXPECT_EQ(p.rows[3], (std::vector<std::string>{"x", "0", "", ""}));
}

TEST(DatasetPreview, StopsAfterTheRowsAskedForSoALaterBrokenLineDoesNotMatter)
{
    test::TempDir dir;
    const std::string path = dir.file("long.jsonl");
    std::string text;
    for (int i = 0; i < 20; ++i)
        text += "{\"func\": \"f" + std::to_string(i) + "\", \"target\": 0}\n";
    test::writeFile(path, text + "{not json\n");
    const DatasetPreview p = previewDataset(path, 8);
    ASSERT_EQ(p.rows.size(), 8u);
    EXPECT_EQ(p.rows[7][0], "f7");
    // Asked for more rows than the good ones, the broken line is reported where it is.
    const std::string e = errorOf([&] { previewDataset(path, 50); });
    EXPECT_NE(e.find(path + ":21:"), std::string::npos) << e;
    EXPECT_EQ(e, errorOf([&] { loadDataset(path); })) << "the preview and the import word the error alike";
}

TEST(DatasetPreview, CsvHeaderAndQuotedCellsAsTheImportReadsThem)
{
    test::TempDir dir;
    const std::string path = dir.file("p.csv");
    test::writeFile(path, "id,func,target\n7,\"int f() {\n  return \"\"a\"\";\n}\",1\n8,short,\n");
    const DatasetPreview p = previewDataset(path);
    EXPECT_EQ(p.columns, (std::vector<std::string>{"id", "func", "target"}));
    ASSERT_EQ(p.rows.size(), 2u);
    EXPECT_EQ(p.rows[0][1], "int f() {\n  return \"a\";\n}");
    EXPECT_EQ(p.rows[1], (std::vector<std::string>{"8", "short", ""}));
}

TEST(DatasetPreview, UnreadableInputNamesTheFile)
{
    test::TempDir dir;
    const std::string empty = dir.file("empty.jsonl");
    test::writeFile(empty, "\n  \n");
    EXPECT_EQ(errorOf([&] { previewDataset(empty); }), empty + ": no samples");
    const std::string array = dir.file("array.jsonl");
    test::writeFile(array, "[1, 2]\n");
    EXPECT_NE(errorOf([&] { previewDataset(array); }).find(array + ":1: expected a JSON object"), std::string::npos);
    const std::string other = dir.file("data.parquet");
    test::writeFile(other, "PAR1");
    EXPECT_NE(errorOf([&] { previewDataset(other); }).find("unknown dataset format"), std::string::npos);
    EXPECT_NE(errorOf([&] { previewDataset(dir.file("missing.csv")); }).find("cannot be opened"), std::string::npos);
}

// A field that is not a label is refused with a message, not read as hundreds of one-row classes.
TEST(Dataset, TheCodeOrAnIdIsNotALabel)
{
    std::string text;
    for (int i = 0; i < 300; ++i)
        text += "{\"func\": \"int f" + std::to_string(i) + "();\", \"idx\": " + std::to_string(i) +
                ", \"cwe\": \"CWE-" + std::to_string(i % 120) + "\", \"target\": " + std::to_string(i % 2) + "}\n";
    const auto refused = [&](const FieldMap& fields, const std::string& expected) {
        try {
            jsonl(text, fields);
            ADD_FAILURE() << "accepted label field " << fields.label;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
    };
    FieldMap code;
    code.label = "func";
    refused(code, "data.jsonl: the label field 'func' is also the text field");
    FieldMap id;
    id.label = "idx";
    refused(id, "label field 'idx' has 300 different values in 300 rows, so it is not a class label");
    // Many classes over enough rows stay a label (120 CWEs in 300 rows), and so does a binary one.
    FieldMap cwe;
    cwe.label = "cwe";
    EXPECT_EQ(jsonl(text, cwe).numClasses(), 120);
    EXPECT_EQ(jsonl(text).numClasses(), 2);
}

// A stray label among hundreds of rows (a -1 for "unknown", a typo) made a class of its own:
// the two-class file became a three-class one, without ROC or PR, and nothing said so.
TEST(Dataset, AStrayLabelIsRefusedOrSkipped)
{
    auto rows = [](const std::string& strayLabel, int n) {
        std::string text;
        for (int i = 0; i < n; ++i) {
            const std::string label = i == 41 ? strayLabel : (i % 3 ? "\"safe\"" : "\"vuln\"");
            text += "{\"func\": \"int f" + std::to_string(i) + "(void);\", \"target\": " + label + "}\n";
        }
        return text;
    };
    const std::string typo = errorOf([&] { jsonl(rows("\"vulnerabel\"", 400)); });
    EXPECT_EQ(typo.rfind("data.jsonl:42: label 'vulnerabel' makes a class of its own with 1 row of 400 (the others: "
                         "'safe': 265, 'vuln': 134)",
                         0),
              0u)
        << typo;
    EXPECT_NE(typo.find("--skip-invalid"), std::string::npos) << typo;
    // Whole-number labels: a -1 among 0 and 1.
    std::string numbers = rows("-1", 400);
    for (std::string::size_type at; (at = numbers.find("\"safe\"")) != std::string::npos;)
        numbers.replace(at, 6, "0");
    for (std::string::size_type at; (at = numbers.find("\"vuln\"")) != std::string::npos;)
        numbers.replace(at, 6, "1");
    EXPECT_EQ(errorOf([&] { jsonl(numbers); }).rfind("data.jsonl:42: label '-1' makes a class of its own", 0), 0u);
    std::istringstream in(numbers);
    const Dataset skipped = parseJsonl(in, "data.jsonl", {}, {.skipInvalid = true});
    EXPECT_EQ(skipped.size(), 399u);
    EXPECT_EQ(skipped.labelNames, (std::vector<std::string>{"0", "1"}));
    EXPECT_EQ(skipped.skippedRows, 1);
    ASSERT_EQ(skipped.skippedExamples.size(), 1u);
    EXPECT_EQ(skipped.skippedExamples[0].rfind("data.jsonl:42: label '-1'", 0), 0u) << skipped.skippedExamples[0];
    // Numbered classes 0..3 and a 7: a stray too.
    std::string four;
    for (int i = 0; i < 400; ++i)
        four += "{\"func\": \"int f" + std::to_string(i) + "(void);\", \"target\": " + (i == 9 ? "7" : std::to_string(i % 4)) + "}\n";
    EXPECT_EQ(errorOf([&] { jsonl(four); }).rfind("data.jsonl:10: label '7' makes a class of its own", 0), 0u);
    // A long tail of named classes (CWE ids, some with one function) is data.
    std::string tail;
    for (int i = 0; i < 400; ++i)
        tail += "{\"func\": \"int f" + std::to_string(i) + "(void);\", \"target\": \"CWE-" +
                (i == 5 ? "222" : i == 6 ? "223" : std::to_string(120 + i % 3)) + "\"}\n";
    EXPECT_EQ(jsonl(tail).labelNames.size(), 5u);
    // Small files and two-class files keep their classes: a rare class is then data, not a stray.
    EXPECT_EQ(jsonl(rows("\"other\"", 60)).labelNames.size(), 3u);
    EXPECT_EQ(jsonl(rows("\"vuln\"", 400)).labelNames.size(), 2u);
    std::string twoClass = rows("\"vuln\"", 400);
    for (std::string::size_type at; (at = twoClass.find("\"vuln\"")) != std::string::npos;)
        twoClass.replace(at, 6, "\"safe\"");
    twoClass += "{\"func\": \"int g(void);\", \"target\": \"vuln\"}\n";
    twoClass += "{\"func\": \"int h(void);\", \"target\": \"vuln\"}\n";
    EXPECT_EQ(jsonl(twoClass).labelNames, (std::vector<std::string>{"safe", "vuln"}));
}

