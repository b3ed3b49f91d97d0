#include "TrainingController.h"

#include "Error.h"
#include "RunStore.h"

#include <QDateTime>

#include <filesystem>

namespace headbench {

void TrainingWorker::train(std::shared_ptr<const FeatureSet> data, HeadSpec spec, QString workspace, QString name)
{
    // Every exception is caught here: one escaping a slot is undefined behaviour in Qt.
    std::string runDir;
    try {
        stopRequested = false;
        m_lastBatchSignal = 0;
        // The run folder exists (as running) while training, so a crash leaves it marked
        // interrupted; a cancel removes it.
        runDir = beginRun(workspace.toStdString(), *data, spec, name.toStdString());
        TrainResult result = trainHead(*data, spec, this);
        if (result.cancelled) {
            deleteRun(runDir);
            Q_EMIT cancelled();
            return;
        }
        const RunRecord rec = saveRun(workspace.toStdString(), *data, spec, result, name.toStdString(), runDir);
        Q_EMIT finished(QString::fromStdString(rec.dir));
    } catch (const Error& e) {
        if (!runDir.empty() && !std::filesystem::exists(std::filesystem::path(runDir) / "run.json")) {
            try {
                deleteRun(runDir);
            } catch (const Error&) {
            }
        }
        if (stopRequested)
            Q_EMIT cancelled();
        else
            Q_EMIT failed(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Training failed: %1").arg(QString::fromStdString(e.what())));
    }
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
    m_thread.start();
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
    Q_EMIT started(spec.epochs);
    m_worker->stopRequested = false;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, data, spec, workspace, name] {
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
