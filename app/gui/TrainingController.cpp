#include "TrainingController.h"

#include <headbench/core/Error.h>
#include <headbench/runs/RunPlan.h>
#include <headbench/runs/RunSession.h>

#include <QDateTime>

namespace headbench {

void TrainingWorker::trainPlan(std::shared_ptr<const FeatureSet> data, RunPlan plan, QString workspace)
{
    stopRequested = false;
    const bool group = plan.kind != PlanKind::Single;
    // The window reports the plan's runs as its signals; the fold heads' epochs are not the run's,
    // so only the stop request reaches them.
    struct Observer : PlanObserver, TrainingObserver {
        TrainingWorker* worker;
        bool group;
        int count;
        Observer(TrainingWorker* w, bool g, int c) : worker(w), group(g), count(c) {}
        TrainingObserver* runStarted(std::size_t index, const PlannedRun& run) override
        {
            worker->runStarting();
            foldEpochs = run.plannedEpochs();
            folds = 0;
            if (group)
                Q_EMIT worker->sweepRunStarted(static_cast<int>(index), count);
            return worker;
        }
        void runSaved(std::size_t index, const RunSessionResult& result) override
        {
            if (group)
                Q_EMIT worker->sweepRunFinished(static_cast<int>(index), QString::fromStdString(result.record.dir));
        }
        bool runFailed(std::size_t index, const std::string& message) override
        {
            if (!group)
                return false;
            Q_EMIT worker->sweepRunFailed(static_cast<int>(index), QString::fromStdString(message)); // the group goes on
            return true;
        }
        TrainingObserver* foldObserver() override { return this; }
        bool shouldStop() override { return worker->stopRequested.load(); }
        // The fold heads' progress: which fold, and how far into it (by epochs planned).
        int fold = 0, folds = 0, foldEpochs = 1;
        qint64 lastSignal = 0;
        void onFold(int f, int k) override
        {
            fold = f;
            folds = k;
            Q_EMIT worker->crossValidationProgress(fold, folds, static_cast<double>(fold) / std::max(1, folds));
        }
        void onBatch(int epoch, int batch, int batches) override
        {
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            if (folds == 0 || now - lastSignal < 100)
                return;
            lastSignal = now;
            const double within = ((epoch - 1) + static_cast<double>(batch) / std::max(1, batches)) / std::max(1, foldEpochs);
            Q_EMIT worker->crossValidationProgress(fold, folds, (fold + std::min(1.0, within)) / folds);
        }
    } observer(this, group, static_cast<int>(plan.runs.size()));
    // Every exception is caught here: one escaping a slot is undefined behaviour in Qt.
    try {
        const PlanResult result =
            runPlan(plan, workspace.toStdString(), [data](const std::string&) { return data; }, observer);
        if (group)
            Q_EMIT sweepEnded(result.cancelled || stopRequested.load());
        else if (result.cancelled)
            Q_EMIT cancelled();
        else
            Q_EMIT finished(QString::fromStdString(result.saved.front().record.dir));
    } catch (const Error& e) {
        if (group)
            Q_EMIT sweepEnded(stopRequested.load());
        else
            Q_EMIT failed(QString::fromStdString(e.what()));
    } catch (const std::exception& e) {
        if (group)
            Q_EMIT sweepEnded(stopRequested.load());
        else
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
    connect(m_worker, &TrainingWorker::sweepRunStarted, this, &TrainingController::sweepRunStarted);
    connect(m_worker, &TrainingWorker::crossValidationProgress, this, &TrainingController::crossValidationProgress);
    connect(m_worker, &TrainingWorker::sweepRunFinished, this, &TrainingController::sweepRunFinished);
    connect(m_worker, &TrainingWorker::sweepRunFailed, this, &TrainingController::sweepRunFailed);
    connect(m_worker, &TrainingWorker::sweepEnded, this, [this](bool cancelled) {
        m_sweeping = false;
        setRunning(false);
        Q_EMIT sweepEnded(cancelled);
    });
    m_thread.start();
}

bool TrainingController::startPlan(std::shared_ptr<const FeatureSet> data, RunPlan plan, const QString& workspace)
{
    if (m_running || !data || plan.runs.empty())
        return false;
    m_sweeping = plan.kind != PlanKind::Single;
    setRunning(true);
    if (!m_sweeping)
        Q_EMIT started(plan.runs.front().plannedEpochs());
    m_worker->stopRequested = false;
    m_worker->finishRequested = false;
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, data, plan = std::move(plan), workspace]() mutable {
        worker->trainPlan(data, std::move(plan), workspace);
    }, Qt::QueuedConnection);
    return true;
}

bool TrainingController::startSweep(std::shared_ptr<const FeatureSet> data, std::vector<SweepPoint> points,
                                    const QString& workspace, const QString& sweepId)
{
    if (points.empty())
        return false;
    RunPlan plan = sweepPlan(points, {.options = m_options});
    plan.groupId = sweepId.toStdString();
    return startPlan(std::move(data), std::move(plan), workspace);
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
    PlanSettings s = settings();
    s.name = name.toStdString();
    return startPlan(std::move(data), singleRunPlan(spec, s), workspace);
}

void TrainingController::stop()
{
    m_worker->stopRequested = true;
}

void TrainingController::finishNow()
{
    m_worker->finishRequested = true;
}

void TrainingController::setRunning(bool running)
{
    if (running == m_running)
        return;
    m_running = running;
    Q_EMIT runningChanged(running);
}

} // namespace headbench
