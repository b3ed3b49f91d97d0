// The training worker under ThreadSanitizer (tools/run-tsan.sh builds it with
// -DHEADBENCH_SANITIZE=thread; the normal suite runs it too). It exercises every way the GUI
// thread and the worker share state: queued epoch and batch signals, the atomic stop flag set
// mid-batch, a finished run, a sweep cancelled between runs, a failure, and destroying the
// controller while a training runs. Adam's helper thread runs inside every step.
#include "TrainingController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/train/HeadSpec.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

using namespace headbench;

namespace {

std::shared_ptr<const FeatureSet> blobs(std::int64_t rows, std::int64_t dim)
{
    auto set = std::make_shared<FeatureSet>();
    set->rows = rows;
    set->dim = dim;
    set->features.resize(static_cast<std::size_t>(rows * dim));
    set->labels.resize(static_cast<std::size_t>(rows));
    std::mt19937 rng(3);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    for (std::int64_t r = 0; r < rows; ++r) {
        const int k = static_cast<int>(r % 2);
        set->labels[static_cast<std::size_t>(r)] = k;
        for (std::int64_t j = 0; j < dim; ++j)
            set->features[static_cast<std::size_t>(r * dim + j)] = (k ? 0.5f : -0.5f) + noise(rng);
    }
    set->labelNames = {"safe", "vulnerable"};
    set->backbone = "synthetic";
    return set;
}

HeadSpec smallHead(int epochs)
{
    HeadSpec spec;
    spec.hidden = {64};
    spec.epochs = epochs;
    spec.batchSize = 32;
    spec.optimizer = Optimizer::AdamW;
    return spec;
}

} // namespace

class TrainingWorkerRaceTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void finishesAndStreamsEpochs();
    void stopsMidTraining();
    void sweepCancelledBetweenRuns();
    void failureIsASignal();
    void destroyedWhileTraining();

private:
    QTemporaryDir m_dir;
    std::shared_ptr<const FeatureSet> m_data;
};

void TrainingWorkerRaceTest::initTestCase()
{
    configureRuntime(2);
    QVERIFY(m_dir.isValid());
    m_data = blobs(2000, 32);
}

void TrainingWorkerRaceTest::finishesAndStreamsEpochs()
{
    TrainingController controller;
    QSignalSpy epochs(&controller, &TrainingController::epochFinished);
    QSignalSpy finished(&controller, &TrainingController::finished);
    QVERIFY(controller.start(m_data, smallHead(4), m_dir.path(), QStringLiteral("finished")));
    QVERIFY(!controller.start(m_data, smallHead(4), m_dir.path())); // one at a time
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
    QCOMPARE(epochs.count(), 4);
    QVERIFY(QFileInfo::exists(finished.at(0).at(0).toString() + QStringLiteral("/run.json")));
    QVERIFY(!controller.isRunning());
}

void TrainingWorkerRaceTest::stopsMidTraining()
{
    TrainingController controller;
    QSignalSpy batches(&controller, &TrainingController::batchProgress);
    QSignalSpy cancelled(&controller, &TrainingController::cancelled);
    QVERIFY(controller.start(m_data, smallHead(100000), m_dir.path()));
    QTRY_VERIFY_WITH_TIMEOUT(batches.count() >= 2, 120000);
    controller.stop();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, 120000);
    QVERIFY(!controller.isRunning());
}

void TrainingWorkerRaceTest::sweepCancelledBetweenRuns()
{
    TrainingController controller;
    std::vector<SweepPoint> points;
    for (int i = 0; i < 6; ++i) {
        SweepPoint p;
        p.spec = smallHead(2);
        p.spec.seed = static_cast<std::uint64_t>(i);
        p.params = "{\"seed\": " + std::to_string(i) + "}";
        points.push_back(p);
    }
    QSignalSpy runFinished(&controller, &TrainingController::sweepRunFinished);
    QSignalSpy ended(&controller, &TrainingController::sweepEnded);
    QVERIFY(controller.startSweep(m_data, points, m_dir.path(), QStringLiteral("race-sweep")));
    QTRY_VERIFY_WITH_TIMEOUT(runFinished.count() >= 1, 120000);
    controller.stop();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 120000);
    QVERIFY(ended.at(0).at(0).toBool());
    QVERIFY(runFinished.count() < 6);
}

void TrainingWorkerRaceTest::failureIsASignal()
{
    TrainingController controller;
    QSignalSpy failed(&controller, &TrainingController::failed);
    HeadSpec bad = smallHead(2);
    bad.classWeights = {1.0, 2.0, 3.0}; // three weights for two classes
    QVERIFY(controller.start(m_data, bad, m_dir.path()));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 120000);
    QVERIFY(!controller.isRunning());
}

void TrainingWorkerRaceTest::destroyedWhileTraining()
{
    auto controller = std::make_unique<TrainingController>();
    QSignalSpy epochs(controller.get(), &TrainingController::epochFinished);
    QVERIFY(controller->start(m_data, smallHead(100000), m_dir.path()));
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, 120000);
    controller.reset(); // stops the worker and joins the thread
}

QTEST_MAIN(TrainingWorkerRaceTest)
#include "TrainingWorkerRaceTest.moc"
