#include "WorkspaceController.h"

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/DemoData.h>
#include <headbench/extract/Backbone.h>
#include <headbench/extract/BackboneRequest.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/ModelBackbone.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace headbench {
namespace {

/// Forwards extraction progress into the controller's atomics.
class AtomicProgress : public ExtractionObserver {
public:
    AtomicProgress(WorkspaceController::JobProgress& shared, std::atomic<bool>& cancel)
        : m_shared(shared), m_cancel(cancel)
    {
        m_shared.resumed = -1;
    }
    void onProgress(std::int64_t done, std::int64_t total) override
    {
        if (m_shared.resumed < 0)
            m_shared.resumed = done; // rows recovered from an earlier run do not count for the speed
        m_shared.done = done;
        m_shared.total = total;
    }
    void onWork(double done, double total) override
    {
        m_shared.work = done;
        m_shared.workTotal = total;
    }
    bool shouldStop() override { return m_cancel; }

private:
    WorkspaceController::JobProgress& m_shared;
    std::atomic<bool>& m_cancel;
};

} // namespace

WorkspaceController::WorkspaceController(QObject* parent)
    : QObject(parent)
{
    m_progressTimer.setInterval(100);
    m_runsDebounce.setSingleShot(true);
    m_runsDebounce.setInterval(300);
    m_liveTimer.setInterval(2000);
    connect(&m_runsWatcher, &QFileSystemWatcher::directoryChanged, &m_runsDebounce, qOverload<>(&QTimer::start));
    connect(&m_runsDebounce, &QTimer::timeout, this, &WorkspaceController::refreshRunsIfChanged);
    connect(&m_liveTimer, &QTimer::timeout, this, &WorkspaceController::refreshRunsIfChanged);
    connect(&m_listWatcher, &QFutureWatcher<RunListing>::finished, this, [this] {
        RunListing listing = m_listWatcher.result();
        // Not a listing of a workspace left meanwhile, nor one older than a listing made since.
        if (listing.workspace == m_workspace && listing.generation == m_listGeneration) {
            bool same = listing.runs.size() == m_runs.size();
            for (std::size_t i = 0; same && i < listing.runs.size(); ++i)
                same = listing.runs[i].dir == m_runs[i].dir && listing.runs[i].status == m_runs[i].status &&
                       listing.runs[i].name == m_runs[i].name && listing.states[i] == m_featureStates[i];
            if (!same)
                applyRunListing(std::move(listing));
        }
        if (std::exchange(m_listAgain, false))
            refreshRunsIfChanged();
    });
    connect(&m_progressTimer, &QTimer::timeout, this, [this] {
        const double seconds = (QDateTime::currentMSecsSinceEpoch() - m_jobStartMs) / 1000.0;
        const qint64 done = m_job.done;
        const qint64 resumed = m_job.resumed;
        // From the first report on (rows recovered from an earlier run are the start, so they do
        // not count for the speed): the time left from the rate of the recent work, in padded
        // tokens, since rows are encoded longest first.
        if (resumed >= 0)
            m_estimate.add(seconds, m_job.work);
        const double rowsPerSecond = resumed >= 0 && seconds > 0 ? static_cast<double>(done - resumed) / seconds : 0.0;
        Q_EMIT jobProgress(done, m_job.total, rowsPerSecond, m_estimate.secondsLeft(m_job.workTotal));
    });
    connect(&m_watcher, &QFutureWatcher<JobResult>::finished, this, [this] {
        m_progressTimer.stop();
        m_busy = false;
        const JobResult r = m_watcher.result();
        if (r.restore)
            m_features = r.restore;
        Q_EMIT jobFinished();
        if (!r.error.isEmpty()) {
            Q_EMIT errorOccurred(r.error);
            return;
        }
        if (r.features) {
            m_features = r.features;
            m_featuresPath = r.path;
            Q_EMIT featuresLoaded(r.path);
        }
        if (!r.message.isEmpty()) // after featuresLoaded, whose handlers also write the status line
            Q_EMIT jobMessage(r.message);
        if (!r.cancelled)
            refreshRuns();
    });
}

WorkspaceController::~WorkspaceController()
{
    m_cancel = true;
    m_watcher.waitForFinished();
    m_listWatcher.waitForFinished();
}

QString WorkspaceController::appDataDir()
{
    // Not AppLocalDataLocation: it appends organisation and application name, both
    // "HeadBench", so the folder would be …/HeadBench/HeadBench.
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath(QCoreApplication::applicationName());
}

QString WorkspaceController::defaultDemoDir()
{
    return QDir(appDataDir()).filePath(QStringLiteral("demo-workspace"));
}

void WorkspaceController::runJob(const QString& title, std::function<JobResult()> job)
{
    if (m_busy) {
        Q_EMIT errorOccurred(tr("Another job is still running; wait for it or cancel it."));
        return;
    }
    m_busy = true;
    m_job.done = 0;
    m_job.total = 0;
    m_job.work = 0;
    m_job.workTotal = 0;
    m_cancel = false;
    m_jobStartMs = QDateTime::currentMSecsSinceEpoch();
    m_estimate.reset();
    Q_EMIT jobStarted(title);
    m_progressTimer.start();
    m_watcher.setFuture(QtConcurrent::run([job = std::move(job)]() -> JobResult {
        // Every exception ends here: none may escape into Qt's thread pool.
        try {
            return job();
        } catch (const std::exception& e) {
            JobResult r;
            r.error = QString::fromStdString(e.what());
            return r;
        }
    }));
}

void WorkspaceController::openWorkspace(const QString& dir)
{
    QDir().mkpath(dir);
    m_workspace = QDir(dir).absolutePath();
    Q_EMIT workspaceChanged(m_workspace);
    refreshRuns();
    // A workspace made by headbench-cli may keep its feature files anywhere: the runs know where.
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        if (!m_runs[i].finished())
            continue;
        const QString path = QString::fromStdString(m_runs[i].featuresPath);
        if (m_featureStates[i] == FeaturesState::Same) {
            openFeatures(path);
            return;
        }
        Q_EMIT runFeaturesUnavailable(QString::fromStdString(m_runs[i].dir), path, featuresProblem(m_runs[i], m_featureStates[i]));
        break;
    }
    // No run to say which: the newest feature file of features/ (where Import writes them), else
    // of the workspace's own folder (where headbench-cli users tend to keep theirs).
    for (const QString& sub : {QStringLiteral("features"), QStringLiteral(".")}) {
        const QDir featuresDir(QDir(m_workspace).filePath(sub));
        const auto files = featuresDir.entryInfoList({QStringLiteral("*.h5"), QStringLiteral("*.hdf5")}, QDir::Files, QDir::Time);
        if (!files.isEmpty()) {
            openFeatures(files.first().absoluteFilePath());
            return;
        }
    }
}

const RunRecord* WorkspaceController::newestFinishedRun() const
{
    for (const auto& r : m_runs)
        if (r.finished())
            return &r;
    return nullptr;
}

QString WorkspaceController::featuresProblem(const RunRecord& run, FeaturesState state)
{
    const QString path = QDir::toNativeSeparators(QString::fromStdString(run.featuresPath));
    const QString name = QString::fromStdString(run.name);
    switch (state) {
    case FeaturesState::Same:
        return {};
    case FeaturesState::Missing:
        return path.isEmpty() ? tr("Run %1 does not record its feature file.").arg(name)
                              : tr("%1, the feature file run %2 was trained on, no longer exists there (moved or deleted).")
                                    .arg(path, name);
    case FeaturesState::Changed:
        return tr("%1, the feature file run %2 was trained on, has changed since (its hash differs).").arg(path, name);
    }
    return {};
}

void WorkspaceController::openFeatures(const QString& path, const QString& featureSet)
{
    // The previous matrix goes before the next is read, so re-opening a 600 MB file does not
    // hold two of them; but only once the new file opens as a feature file (checkFeatureFile):
    // a file that is not one leaves the previous features loaded. A training run in
    // progress keeps its own reference until it ends. One shared holder, so that the job's
    // copies of this lambda do not keep the matrix alive.
    if (m_busy) {
        runJob(QString(), {}); // refused with the "another job" message; nothing is released
        return;
    }
    auto previous = std::make_shared<std::shared_ptr<const FeatureSet>>(std::move(m_features));
    m_features.reset();
    if (*previous)
        Q_EMIT featuresReleased();
    // Hashed while read: the run trained on it next records the hash without another pass.
    runJob(tr("Loading %1").arg(QFileInfo(path).fileName()), [path, featureSet, previous, hashes = hashCacheDir(m_workspace.toStdString())] {
        JobResult r;
        try {
            checkFeatureFile(path.toStdString());
        } catch (const std::exception& e) {
            r.error = QString::fromStdString(e.what());
            r.restore = std::exchange(*previous, nullptr);
            return r;
        }
        previous->reset();
        r.features = std::make_shared<FeatureSet>(readFeatureFile(path.toStdString(), {.loadTexts = true,
                                                                               .requireTwoClasses = true,
                                                                               .featureSet = featureSet.toStdString(),
                                                                               .hashWhileReading = hashes}));
        r.path = path;
        return r;
    });
}

void WorkspaceController::extractDataset(const QString& datasetPath, const FieldMap& fields,
                                         const ExtractionRequest& request, const QString& outPath)
{
    DatasetRequest dataset;
    dataset.sources = {{datasetPath.toStdString(), -1}};
    dataset.fields = fields;
    extractDataset(dataset, request, outPath);
}

void WorkspaceController::extractDataset(const DatasetRequest& dataset, const ExtractionRequest& request, const QString& outPath)
{
    const QString first = dataset.sources.empty() ? QString() : QString::fromStdString(dataset.sources.front().path);
    runJob(tr("Extracting features from %1").arg(QFileInfo(first).fileName()),
           [this, dataset, request, outPath] {
               JobResult r;
               refuseOutputOverDataset(dataset, outPath.toStdString());
               DedupReport dedup;
               const Dataset data = prepareDataset(dataset, &dedup);
               QStringList notes;
               if (data.skippedRows > 0)
                   notes << tr("skipped %1, first: %2")
                                .arg(QString::fromStdString(plural(data.skippedRows, "invalid row")),
                                     QString::fromStdString(data.skippedExamples.front()));
               if (dataset.dedupExact)
                   notes << tr("dropped %1, %2 with conflicting labels")
                                .arg(QString::fromStdString(plural(dedup.duplicates, "exact duplicate")),
                                     QString::fromStdString(plural(dedup.conflicting, "row")));
               m_job.total = static_cast<qint64>(data.size());
               BackboneRequest br;
               // A model file or folder is named by its path; openBackbone tells them apart.
               br.backbone = isBuiltInBackbone(request.backbone.toStdString()) ? request.backbone.toStdString()
                                                                               : request.modelPath.toStdString();
               br.tokenizer = request.tokenizerPath.toStdString();
               br.dim = request.dim;
               br.pooling = request.pooling.toStdString();
               if (!isBuiltInBackbone(request.backbone.toStdString()))
                   br.layers = request.layers.isEmpty() ? std::string("last") : request.layers.toStdString();
               br.maxLength = request.maxLength;
               br.normalize = request.normalize;
               br.longMode = request.longMode.toStdString();
               br.batchSize = request.batchSize;
               const OpenedBackbone opened = openBackbone(br);
               Backbone* backbone = opened.backbone.get();
               ExtractOptions eo;
               eo.batchSize = opened.batchSize;
               QDir().mkpath(QFileInfo(outPath).absolutePath());
               AtomicProgress progress(m_job, m_cancel);
               const ExtractionResult result = extractFeatures(data, *backbone, outPath.toStdString(), &progress, eo);
               if (result.status == ExtractionResult::Cancelled) {
                   r.cancelled = true;
                   r.message = tr("Extraction cancelled; its finished chunks are kept, so extracting again continues from them");
                   return r;
               }
               if (result.status == ExtractionResult::Reused)
                   r.message = tr("%1 already held these features (same dataset, backbone and settings); reused them")
                                   .arg(QFileInfo(outPath).fileName());
               else if (result.resumedRows > 0)
                   r.message = tr("Extraction finished; %1 came from the interrupted run")
                                   .arg(QString::fromStdString(plural(result.resumedRows, "row")));
               if (!notes.isEmpty())
                   r.message = (r.message.isEmpty() ? tr("Extraction finished") : r.message) + QStringLiteral("; ") +
                               notes.join(QStringLiteral("; "));
               r.features = std::make_shared<FeatureSet>(readFeatureFile(outPath.toStdString()));
               r.path = outPath;
               return r;
           });
}

void WorkspaceController::createDemoWorkspace(const QString& dir)
{
    QDir().mkpath(dir);
    m_workspace = QDir(dir).absolutePath();
    Q_EMIT workspaceChanged(m_workspace);
    const QString dataset = QDir(m_workspace).filePath(QStringLiteral("demo.jsonl"));
    const QString out = QDir(m_workspace).filePath(QStringLiteral("features/demo.h5"));
    runJob(tr("Creating the demo workspace"), [this, dataset, out] {
        JobResult r;
        const Dataset data = generateDemoDataset();
        writeJsonl(data, dataset.toStdString());
        m_job.total = static_cast<qint64>(data.size());
        auto backbone = makeBackbone("hashed-ngram");
        QDir().mkpath(QFileInfo(out).absolutePath());
        AtomicProgress progress(m_job, m_cancel);
        if (!extractFeatures(data, *backbone, out.toStdString(), &progress)) {
            r.cancelled = true;
            return r;
        }
        r.features = std::make_shared<FeatureSet>(readFeatureFile(out.toStdString()));
        r.path = out;
        return r;
    });
}

void WorkspaceController::cancelJob()
{
    m_cancel = true;
}

WorkspaceController::RunListing WorkspaceController::listWorkspaceRuns(const QString& workspace,
                                                                      SavedThresholdCache* cache)
{
    RunListing listing;
    listing.workspace = workspace;
    if (workspace.isEmpty())
        return listing;
    listing.runs = listRuns(workspace.toStdString(), nullptr, /*includeUnfinished=*/true, /*includeDamaged=*/true);
    putRunsAtSavedThresholds(listing.runs, cache); // as Evaluation and Compare show them
    // Size and modification time first; a file is hashed again only when they changed.
    for (const auto& r : listing.runs)
        listing.states.push_back(r.finished() ? checkFeatures(r) : FeaturesState::Same);
    return listing;
}

void WorkspaceController::applyRunListing(RunListing listing)
{
    m_runs = std::move(listing.runs);
    m_featureStates = std::move(listing.states);
    watchRuns();
    Q_EMIT runsChanged();
}

void WorkspaceController::refreshRuns()
{
    ++m_listGeneration;
    applyRunListing(listWorkspaceRuns(m_workspace, m_thresholdCache.get()));
}

void WorkspaceController::refreshRunsIfChanged()
{
    if (m_workspace.isEmpty())
        return;
    if (m_listWatcher.isRunning()) {
        m_listAgain = true;
        return;
    }
    const quint64 generation = m_listGeneration;
    m_listWatcher.setFuture(QtConcurrent::run([workspace = m_workspace, generation, cache = m_thresholdCache] {
        RunListing listing = listWorkspaceRuns(workspace, cache.get());
        listing.generation = generation;
        return listing;
    }));
}

void WorkspaceController::watchRuns()
{
    if (!m_runsWatcher.directories().isEmpty())
        m_runsWatcher.removePaths(m_runsWatcher.directories());
    if (m_workspace.isEmpty())
        return;
    QStringList dirs;
    const QString runsDir = QDir(m_workspace).filePath(QStringLiteral("runs"));
    if (QFileInfo(runsDir).isDir())
        dirs << runsDir;
    bool running = false;
    for (const auto& r : m_runs)
        if (r.status == "running") {
            running = true;
            dirs << QString::fromStdString(r.dir);
        }
    if (!dirs.isEmpty())
        m_runsWatcher.addPaths(dirs);
    if (running)
        m_liveTimer.start();
    else
        m_liveTimer.stop();
}

} // namespace headbench
