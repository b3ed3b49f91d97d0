// Likely label errors in the window: the samples panel's "Likely label issue" filter and its
// score column, filled from a run's out-of-fold probabilities (train --cv).
#include "RunView.h"
#include "SampleTableModel.h"
#include "SamplesPanel.h"
#include "CodeViewer.h"

#include "TestUtil.h"
#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/compute/Runtime.h>
#include <headbench/eval/LabelIssues.h>
#include <headbench/train/CrossValidation.h>

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <set>

using namespace headbench;

class LabelIssuesPanelTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void filterShowsTheLikelyLabelErrorsMostLikelyFirst();
    void runWithoutCrossValidationHasNoIssueColumn();

private:
    QTemporaryDir m_dir;
    FeatureSet m_data;
};

void LabelIssuesPanelTest::initTestCase()
{
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    m_data = test::blobs(600, 8, 2, 21, 1.0);
    m_data.path = "blobs.h5";
    for (std::size_t r = 0; r < 600; r += 20) // 5% flipped on purpose
        m_data.labels[r] = 1 - m_data.labels[r];
    HeadSpec spec;
    spec.hidden = {};
    spec.epochs = 10;
    spec.learningRate = 1e-2;
    saveCrossValidation(m_dir.path().toStdString(), m_data, crossValidate(m_data, spec, 5));
}

void LabelIssuesPanelTest::filterShowsTheLikelyLabelErrorsMostLikelyFirst()
{
    auto samples = std::make_shared<SampleData>();
    for (std::int64_t r = 0; r < m_data.rows; ++r)
        samples->ids.push_back(m_data.idOf(r));
    samples->labels = m_data.labels;
    samples->probabilities.assign(static_cast<std::size_t>(m_data.rows * 2), 0.5f);
    samples->numClasses = 2;
    samples->labelNames = m_data.labelNames;
    attachLabelIssues(*samples, m_dir.path().toStdString());
    QCOMPARE(samples->issueScore.size(), samples->ids.size());

    // What the backend finds on the run's oof.csv, by id.
    const OutOfFold oof = loadOutOfFold(m_dir.path().toStdString());
    const LabelIssueReport report = findLabelIssues(oof.labels, oof.probabilities, oof.numClasses());
    QVERIFY(report.issues.size() >= 10);
    std::set<std::string> expected;
    for (const auto& issue : report.issues)
        expected.insert(oof.ids[static_cast<std::size_t>(issue.row)]);

    SamplesPanel panel;
    QAbstractItemModelTester tester(panel.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    std::vector<std::int64_t> rows(static_cast<std::size_t>(m_data.rows));
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = static_cast<std::int64_t>(i);
    panel.setSamples(samples, rows);
    panel.resize(1100, 600);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));

    const int column = panel.model()->issueColumn();
    QCOMPARE(column, SampleTableModel::FirstProbabilityColumn + 2);
    QCOMPARE(panel.model()->headerData(column, Qt::Horizontal).toString(), QStringLiteral("label issue"));
    QCheckBox* filter = panel.labelIssueFilter();
    QVERIFY(filter->isEnabled());
    QTest::mouseClick(filter, Qt::LeftButton, {}, QPoint(8, filter->height() / 2));
    QVERIFY(filter->isChecked());
    auto* proxy = panel.proxy();
    QCOMPARE(proxy->rowCount(), static_cast<int>(report.issues.size()));
    std::set<std::string> shown;
    for (int r = 0; r < proxy->rowCount(); ++r)
        shown.insert(proxy->index(r, SampleTableModel::IdColumn).data().toString().toStdString());
    QVERIFY(shown == expected);
    // Most likely first: the top row is the backend's first issue (or ties with it), and the
    // cell names the suggested class.
    const QString top = proxy->index(0, column).data().toString();
    QVERIFY2(top.startsWith(QString::number(report.issues.front().score, 'f', 3)), qPrintable(top));
    QVERIFY2(top.endsWith(QString::fromStdString(m_data.labelNames[static_cast<std::size_t>(report.issues.front().suggested)])),
             qPrintable(top));
    for (int r = 1; r < proxy->rowCount(); ++r)
        QVERIFY(proxy->index(r - 1, column).data(SampleTableModel::SortRole).toFloat() >=
                proxy->index(r, column).data(SampleTableModel::SortRole).toFloat());
    // Clearing filters shows every row again.
    panel.clearFilters();
    QVERIFY(!filter->isChecked());
    QCOMPARE(proxy->rowCount(), static_cast<int>(m_data.rows));

    // A sample shown and then hidden by a filter leaves no code behind: the rows without a
    // likely issue, one of them shown, then the filter on.
    std::vector<std::int64_t> clean;
    for (std::int64_t i = 0; i < m_data.rows; ++i)
        if (!expected.count(samples->ids[static_cast<std::size_t>(i)]))
            clean.push_back(i);
    panel.setSamples(samples, clean);
    panel.setScope(QStringLiteral("test"), QStringLiteral("probe"));
    panel.table()->setCurrentIndex(proxy->index(0, SampleTableModel::IdColumn));
    QVERIFY(!panel.codeViewer()->toPlainText().isEmpty());
    filter->setChecked(true);
    QCOMPARE(proxy->rowCount(), 0);
    QVERIFY2(panel.codeViewer()->toPlainText().isEmpty(), qPrintable(panel.codeViewer()->toPlainText()));
    // An empty filter on the test split says why: cross-validation never saw those rows.
    QVERIFY2(panel.countText().contains(QStringLiteral("training and validation rows only")), qPrintable(panel.countText()));
    panel.setScope(QStringLiteral("validation"), QStringLiteral("probe"));
    QVERIFY2(!panel.countText().contains(QStringLiteral("rows only")), qPrintable(panel.countText()));
}

void LabelIssuesPanelTest::runWithoutCrossValidationHasNoIssueColumn()
{
    QTemporaryDir empty;
    auto samples = std::make_shared<SampleData>();
    samples->ids = {"a", "b"};
    samples->labels = {0, 1};
    samples->probabilities = {0.9f, 0.1f, 0.2f, 0.8f};
    samples->numClasses = 2;
    samples->labelNames = {"safe", "vulnerable"};
    attachLabelIssues(*samples, empty.path().toStdString());
    QVERIFY(samples->issueScore.empty());
    SamplesPanel panel;
    panel.setSamples(samples, {0, 1});
    QCOMPARE(panel.model()->issueColumn(), -1);
    QCOMPARE(panel.model()->columnCount(), SampleTableModel::FirstProbabilityColumn + 2);
    QVERIFY(!panel.labelIssueFilter()->isEnabled());
}

QTEST_MAIN(LabelIssuesPanelTest)
#include "LabelIssuesPanelTest.moc"
