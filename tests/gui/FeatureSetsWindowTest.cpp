// Feature sets in the window: the head designer's chooser (shown for a file with several
// layer × pooling sets) loads the chosen set and training uses it; Run ▸ Rank representations
// scores every set off the GUI thread and charts the score per layer, one line per pooling.
#include "HeadDesignerPanel.h"
#include "LossChartView.h"
#include "MainWindow.h"
#include "RankChartView.h"
#include "RankDialog.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include "ChartView.h"
#include <headbench/compute/Runtime.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunStore.h>

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtTest>

#include <random>

using namespace headbench;

class FeatureSetsWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void chooserLoadsTheChosenSetAndTrainingUsesIt();
    void rankDialogChartsEverySet();

private:
    QTemporaryDir m_dir;
    QString m_file;
    std::vector<FeatureMatrix> m_sets; ///< layer0.mean, layer0.cls, layer1.mean, ... as written
};

void FeatureSetsWindowTest::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).mkpath(QStringLiteral("features"));
    m_file = m_dir.filePath(QStringLiteral("features/layers.h5"));
    // Three "layers" x two poolings of 300 rows: layer l separates the classes by l (layer 0
    // not at all), so a ranking must put layer 2 first.
    const std::int64_t rows = 300, dim = 6;
    std::mt19937 rng(5);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    FeatureSet set;
    set.rows = rows;
    set.dim = dim;
    for (std::int64_t r = 0; r < rows; ++r) {
        set.labels.push_back(static_cast<std::int32_t>(r % 2));
        set.ids.push_back("row" + std::to_string(r));
    }
    set.labelNames = {"safe", "vulnerable"};
    set.backbone = "synthetic";
    for (int layer = 0; layer < 3; ++layer)
        for (const char* pooling : {"mean", "cls"}) {
            FeatureMatrix m(static_cast<std::size_t>(rows * dim));
            for (std::int64_t r = 0; r < rows; ++r)
                for (std::int64_t j = 0; j < dim; ++j)
                    m[static_cast<std::size_t>(r * dim + j)] =
                        noise(rng) + (j == 0 ? static_cast<float>(layer) * (set.labels[static_cast<std::size_t>(r)] ? 1.0f : -1.0f) : 0.0f);
            const std::string name = "layer" + std::to_string(layer) + "." + pooling;
            set.featureSets.push_back({name, layer, pooling, "/feature_sets/" + name});
            set.setFeatures.push_back(m);
            m_sets.push_back(m);
        }
    set.featureSet = "layer2.mean";
    set.features = set.setFeatures[4];
    set.setFeatures[4] = FeatureMatrix();
    writeFeatureFile(m_file.toStdString(), set);
}

void FeatureSetsWindowTest::chooserLoadsTheChosenSetAndTrainingUsesIt()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy loaded(window.workspace(), &WorkspaceController::featuresLoaded);
    window.openWorkspace(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
    auto* box = window.findChild<QComboBox*>(QStringLiteral("featureSet"));
    QVERIFY(box);
    QVERIFY(!box->parentWidget()->isHidden()); // the chooser shows for a file with several sets
    QCOMPARE(box->count(), 6);
    QCOMPARE(box->currentText(), QStringLiteral("layer2.mean")); // the file's default
    QCOMPARE(window.workspace()->features()->featureSet, std::string("layer2.mean"));

    const int index = box->findText(QStringLiteral("layer1.cls"));
    box->setCurrentIndex(index);
    Q_EMIT box->activated(index);
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
    const auto features = window.workspace()->features();
    QCOMPARE(features->featureSet, std::string("layer1.cls"));
    QVERIFY(features->features == m_sets[3]); // the chosen set's matrix, not the default's
    QCOMPARE(box->currentText(), QStringLiteral("layer1.cls"));

    window.designer()->depthBox()->setValue(0);
    QSignalSpy finished(window.training(), &TrainingController::finished);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    const RunRecord run = loadRun(finished.at(0).at(0).toString().toStdString());
    QCOMPARE(run.featureSet, std::string("layer1.cls"));
    // The probe's points are L2 penalties of its path, and the chart says so.
    QVERIFY(run.history.front().iterations > 0);
    // The axis names the penalties its first and last points are.
    const QString steps = QStringLiteral("L2 penalty tried: 1 = %1 … %2 = %3")
                              .arg(run.history.front().l2, 0, 'g', 2)
                              .arg(run.history.back().epoch)
                              .arg(run.history.back().l2, 0, 'g', 2);
    QVERIFY(run.history.size() >= 2);
    QTRY_COMPARE(window.lossChart()->stepName(), steps);
    window.showRun(QString::fromStdString(run.dir)); // read back from the run's history.json
    QTRY_COMPARE(window.lossChart()->stepName(), steps);
    // An MLP after it: epochs again.
    window.designer()->depthBox()->setValue(1);
    window.designer()->epochsBox()->setValue(2);
    window.trainAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 120000);
    QTRY_COMPARE(window.lossChart()->stepName(), QStringLiteral("epoch"));
}

void FeatureSetsWindowTest::rankDialogChartsEverySet()
{
    RankDialog dialog({m_file});
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QSignalSpy finished(&dialog, &RankDialog::rankingFinished);
    dialog.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    auto* table = dialog.findChild<QTableWidget*>(QStringLiteral("rankTable"));
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 6);
    QVERIFY(table->item(0, 2)->text().startsWith(QStringLiteral("layer2."))); // best first
    QVERIFY(table->item(5, 2)->text().startsWith(QStringLiteral("layer0.")));
    auto* chart = dialog.findChild<ChartView*>(QStringLiteral("rankChart"));
    QVERIFY(chart);
    int lines = 0;
    for (QAbstractSeries* s : chart->chart()->series())
        if (auto* line = qobject_cast<QLineSeries*>(s); line && s->type() == QAbstractSeries::SeriesTypeLine) {
            ++lines;
            QCOMPARE(line->count(), 3); // one point per layer
        }
    QCOMPARE(lines, 2); // one line per pooling
    QVERIFY(dialog.statusLabel()->text().contains(QStringLiteral("layer2.")));
    dialog.view()->metricBox()->setCurrentIndex(1); // the probe's F1 instead of LogME
    QVERIFY(chart->chart()->title().contains(QStringLiteral("F1")));
    dialog.view()->metricBox()->setCurrentIndex(0);
    if (const QByteArray dir = qgetenv("HEADBENCH_SCREENSHOT_DIR"); !dir.isEmpty()) {
        dialog.resize(1000, 700);
        QTest::qWait(50);
        QVERIFY(dialog.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/rank-dialog.png")));
        // A screenshot of another file's ranking (e.g. a real extraction), for a person to judge.
        if (const QByteArray other = qgetenv("HEADBENCH_RANK_FILE"); !other.isEmpty()) {
            RankDialog real({QString::fromLocal8Bit(other)});
            real.resize(1000, 700);
            real.show();
            QSignalSpy done(&real, &RankDialog::rankingFinished);
            real.start();
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 600000);
            QTest::qWait(50);
            QVERIFY(real.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/rank-dialog-file.png")));
        }
    }
}

QTEST_MAIN(FeatureSetsWindowTest)
#include "FeatureSetsWindowTest.moc"
