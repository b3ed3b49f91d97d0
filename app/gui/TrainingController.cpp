#include "TrainingController.h"

#include <headbench/core/Error.h>
#include <headbench/train/RunSession.h>

#include <QDateTime>

namespace headbench {

std::string TrainingWorker::trainOne(const FeatureSet& data, const HeadSpec& spec, const std::string& workspace,
                                     const std::string& name, const SweepTag& tag)
{
    // The fold heads' epochs are not the run's: only the stop request reaches them.
    struct StopOnly : TrainingObserver {
        TrainingWorker* worker;
        explicit StopOnly(TrainingWorker* w) : worker(w) {}
        bool shouldStop() override { return worker->stopRequested.load(); }
    } stopOnly(this);
    // The backend's run session: one lifecycle and one cleanup rule for the CLI and the window.
    const RunSessionResult session = runSession(
        data, spec, {.workspace = workspace, .name = name, .tag = tag, .options = options, .cvFolds = cvFolds, .foldObserver = &stopOnly},
        this);
    return session.outcome == RunOutcome::Saved ? session.record.dir : std::string();
}

void TrainingWorker::train(std::shared_ptr<const FeatureSet> data, HeadSpec spec, QString workspace, QString name)
{
    // Every exception is caught here: one escaping a slot is undefined behaviour in Qt.
    try {
        stopRequested = false;
        m_lastBatchSignal = 0;
        const std::string dir = trainOne(*data, spec, workspace.toStdString(), name.toStdString(), {});
        if (dir.empty())
            Q_EMIT cancelled();
        else
            Q_EMIT finished(QString::fromStdString(dir));
    } catch (const Error& e) {
        Q_EMIT failed(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Training failed: %1").arg(QString::fromStdString(e.what())));
    }
}

void TrainingWorker::trainSweep(std::shared_ptr<const FeatureSet> data, std::vector<SweepPoint> points, QString workspace,
                                QString sweepId)
{
    stopRequested = false;
    const int count = static_cast<int>(points.size());
    for (int i = 0; i < count && !stopRequested; ++i) {
        Q_EMIT sweepRunStarted(i, count);
        m_lastBatchSignal = 0;
        try {
            const std::string dir = trainOne(*data, points[static_cast<std::size_t>(i)].spec, workspace.toStdString(), {},
                                              SweepTag{sweepId.toStdString(), points[static_cast<std::size_t>(i)].params});
            if (dir.empty())
                break; // cancelled
            Q_EMIT sweepRunFinished(i, QString::fromStdString(dir));
        } catch (const std::exception& e) {
            // One failing point does not end the sweep.
            Q_EMIT sweepRunFailed(i, QString::fromStdString(e.what()));
        }
    }
    Q_EMIT sweepEnded(stopRequested.load());
}

void TrainingWorker::onEpoch(const EpochStats& stats)
{
    Q_EMIT epochFinished(stats);
}

void TrainingWorker::onBatch(int epoch, int batch, int batches)
{
    // Throttled: at most one progress signal every 50 ms, never one per batch.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastBatchSignal >= 50 || batch == batches) {
        m_lastBatchSignal = now;
        Q_EMIT batchProgress(epoch, batch, batches);
    }
}

bool TrainingWorker::shouldStop()
{
    return stopRequested.load();
}

TrainingController::TrainingController(QObject* parent)
    : QObject(parent)
    , m_worker(new TrainingWorker)
{
    qRegisterMetaType<headbench::EpochStats>("headbench::EpochStats");
    m_thread.setObjectName(QStringLiteral("training"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &TrainingWorker::epochFinished, this, &TrainingController::epochFinished);
    connect(m_worker, &TrainingWorker::batchProgress, this, &TrainingController::batchProgress);
    connect(m_worker, &TrainingWorker::finished, this, [this](const QString& dir) {
        setRunning(false);
        Q_EMIT finished(dir);
    });
    connect(m_worker, &TrainingWorker::cancelled, this, [this] {
        setRunning(false);
        Q_EMIT cancelled();
    });
    connect(m_worker, &TrainingWorker::failed, this, [this](const QString& message) {
        setRunning(false);
        Q_EMIT failed(message);
    });
    connect(m_worker, &TrainingWorker::sweepRunStarted, this, &TrainingController::sweepRunStarted);
    connect(m_worker, &TrainingWorker::sweepRunFinished, this, &TrainingController::sweepRunFinished);
    connect(m_worker, &TrainingWorker::sweepRunFailed, this, &TrainingController::sweepRunFailed);
    connect(m_worker, &TrainingWorker::sweepEnded, this, [this](bool cancelled) {
        m_sweeping = false;
        setRunning(false);
        Q_EMIT sweepEnded(cancelled);
    });
    m_thread.start();
}

bool TrainingController::startSweep(std::shared_ptr<const FeatureSet> data, std::vector<SweepPoint> points,
                                    const QString& workspace, const QString& sweepId)
{
    if (m_running || !data || points.empty())
        return false;
    m_sweeping = true;
    setRunning(true);
    m_worker->stopRequested = false;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, data, points = std::move(points), workspace, sweepId,
                                         options = m_options]() mutable {
        worker->options = options;
        worker->cvFolds = 0; // sweeps and repeats: no cross-validation per point
        worker->trainSweep(data, std::move(points), workspace, sweepId);
    }, Qt::QueuedConnection);
    return true;
}

TrainingController::~TrainingController()
{
    m_worker->stopRequested = true;
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
}

bool TrainingController::start(std::shared_ptr<const FeatureSet> data, const HeadSpec& spec, const QString& workspace,
                               const QString& name)
{
    if (m_running || !data)
        return false;
    setRunning(true);
    Q_EMIT started(plannedEpochs(spec));
    m_worker->stopRequested = false;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, data, spec, workspace, name, options = m_options, folds = m_cvFolds] {
        worker->options = options;
        worker->cvFolds = folds;
        worker->train(data, spec, workspace, name);
    }, Qt::QueuedConnection);
    return true;
}

void TrainingController::stop()
{
    m_worker->stopRequested = true;
}

void TrainingController::setRunning(bool running)
{
    if (running == m_running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

} // namespace headbench
