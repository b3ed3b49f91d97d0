// What the model saw, in the window: the samples table's "tokens" column and "Cut by the token
// window" filter, and the code viewer greying the part of a function beyond the model's window
// (head: the end, tail: the start), from a feature file's /n_tokens and its tokenizer.
#include "CodeViewer.h"
#include "RunView.h"
#include "SampleTableModel.h"
#include "SamplesPanel.h"

#include <headbench/data/FeatureFile.h>
#include <headbench/text/Tokenizer.h>

#include <QCheckBox>
#include <QLabel>
#include <QTableView>
#include <QtTest>

using namespace headbench;

namespace {

const std::string kTokenizer = HEADBENCH_TEST_DATA "/tokenizers/bpe/tokenizer.json";

std::string longFunction(int lines)
{
    std::string code = "int parse(char *buffer) {\n";
    for (int i = 0; i < lines; ++i)
        code += "    int v" + std::to_string(i) + " = read_field(buffer, " + std::to_string(i) + ");\n";
    return code + "    return 0;\n}\n";
}

} // namespace

class TruncationPanelTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tokensColumnFilterAndGreyedTail();
    void tailKeepsTheEndAndWindowsReadEverything();
    void missingTokenizerIsSaidNotHidden();

private:
    /// Three samples (short, long, longer) as a run shows them, with the feature file's token
    /// counts for a window of `window` tokens read as `mode`.
    std::shared_ptr<SampleData> samples(int window, const std::string& mode, const std::string& tokenizerPath);
};

std::shared_ptr<SampleData> TruncationPanelTest::samples(int window, const std::string& mode, const std::string& tokenizerPath)
{
    const auto tok = loadTokenizer(kTokenizer);
    auto data = std::make_shared<SampleData>();
    data->texts = {"int x = 0;", longFunction(6), longFunction(30)};
    data->ids = {"short", "long", "longer"};
    data->labels = {0, 1, 1};
    data->probabilities = {0.9f, 0.1f, 0.3f, 0.7f, 0.2f, 0.8f};
    data->numClasses = 2;
    data->labelNames = {"safe", "vulnerable"};
    FeatureSet features;
    features.rows = 3;
    for (const auto& t : data->texts)
        features.nTokens.push_back(static_cast<std::int64_t>(tok->encode(t, 0).size()));
    features.attributes = {{"max_length", std::to_string(window)}, {"long", mode}, {"tokenizer_file", "tokenizer.json"}};
    if (!tokenizerPath.empty())
        features.attributes["tokenizer_path"] = tokenizerPath;
    attachTokenCounts(*data, features, "/nonexistent/features.h5");
    return data;
}

void TruncationPanelTest::tokensColumnFilterAndGreyedTail()
{
    const int window = 48;
    auto data = samples(window, "head", kTokenizer);
    const auto tok = loadTokenizer(kTokenizer);
    const auto n1 = static_cast<std::int64_t>(tok->encode(data->texts[1], 0).size());
    const auto n2 = static_cast<std::int64_t>(tok->encode(data->texts[2], 0).size());
    QVERIFY(n1 > window && n2 > n1);
    QCOMPARE(data->tokenizerPath, kTokenizer);

    SamplesPanel panel;
    panel.resize(1200, 700);
    panel.setSamples(data, {0, 1, 2});
    const int col = panel.model()->tokensColumn();
    QVERIFY(col >= 0);
    QCOMPARE(panel.model()->headerData(col, Qt::Horizontal).toString(), QStringLiteral("tokens"));
    QCOMPARE(panel.model()->index(0, col).data().toString(), QString::number(tok->encode("int x = 0;", 0).size()));
    QCOMPARE(panel.model()->index(2, col).data().toString(), QStringLiteral("%1 (cut)").arg(n2));

    QVERIFY(panel.truncatedFilter()->isEnabled());
    panel.truncatedFilter()->setChecked(true);
    QCOMPARE(panel.proxy()->rowCount(), 2);
    panel.truncatedFilter()->setChecked(false);
    QCOMPARE(panel.proxy()->rowCount(), 3);

    // The longer function: what lies after the window is greyed, and the title says so.
    panel.table()->sortByColumn(col, Qt::DescendingOrder);
    panel.table()->selectRow(0);
    auto* title = panel.findChild<QLabel*>(QStringLiteral("sampleTitle"));
    QVERIFY(title);
    CodeViewer* code = panel.codeViewer();
    QCOMPARE(code->seenBegin(), 0);
    const int end = code->seenEnd();
    QVERIFY2(end > 0 && end < code->toPlainText().size(), qPrintable(QString::number(end)));
    // The seen part is what the model read: its tokens fit the window's text part; the line
    // after the cut does not.
    const std::string seen = code->toPlainText().left(end).toStdString();
    const auto content = static_cast<std::size_t>(contentLength(*tok, window));
    QVERIFY(tok->encodeBody(seen).size() <= content);
    QVERIFY(tok->encodeBody(code->toPlainText().left(end + 2).toStdString()).size() > content);
    QVERIFY2(title->text().contains(QStringLiteral("saw %1 of %2 tokens").arg(window).arg(n2)), qPrintable(title->text()));
    if (const QString shots = qEnvironmentVariable("HEADBENCH_SCREENSHOT_DIR"); !shots.isEmpty()) {
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        for (const QSize size : {QSize(1280, 760), QSize(1024, 640)}) {
            panel.resize(size);
            QTest::qWait(50);
            QVERIFY(panel.grab().save(QStringLiteral("%1/truncated-sample-%2.png").arg(shots).arg(size.width())));
        }
    }

    // The short one is not cut: nothing greyed.
    panel.table()->sortByColumn(col, Qt::AscendingOrder);
    panel.table()->selectRow(0);
    QCOMPARE(code->seenEnd(), -1);
}

void TruncationPanelTest::tailKeepsTheEndAndWindowsReadEverything()
{
    const int window = 48;
    SamplesPanel panel;
    panel.setSamples(samples(window, "tail", kTokenizer), {0, 1, 2});
    panel.table()->selectRow(2);
    CodeViewer* code = panel.codeViewer();
    QVERIFY(code->seenBegin() > 0);
    QCOMPARE(code->seenEnd(), code->toPlainText().size());
    const auto tok = loadTokenizer(kTokenizer);
    QVERIFY(tok->encodeBody(code->toPlainText().mid(code->seenBegin()).toStdString()).size() <=
            static_cast<std::size_t>(contentLength(*tok, window)));

    panel.setSamples(samples(window, "windows", kTokenizer), {0, 1, 2});
    QVERIFY(!panel.truncatedFilter()->isEnabled());
    const int col = panel.model()->tokensColumn();
    QVERIFY(!panel.model()->index(2, col).data().toString().contains(QStringLiteral("cut")));
    panel.table()->selectRow(2);
    QCOMPARE(code->seenEnd(), -1);
}

void TruncationPanelTest::missingTokenizerIsSaidNotHidden()
{
    SamplesPanel panel;
    panel.setSamples(samples(48, "head", "/nonexistent/tokenizer.json"), {0, 1, 2});
    panel.table()->selectRow(2);
    QCOMPARE(panel.codeViewer()->seenEnd(), -1);
    const QString said = panel.findChild<QLabel*>(QStringLiteral("sampleTitle"))->text();
    QVERIFY2(said.contains(QStringLiteral("tokenizer.json was not found")), qPrintable(said));
}

QTEST_MAIN(TruncationPanelTest)
#include "TruncationPanelTest.moc"
