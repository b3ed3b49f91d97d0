#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/RunSession.h>
#include <headbench/runs/RunStore.h>

#include <headbench/compute/Runtime.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>

#include <chrono>
#include <filesystem>

namespace headbench {
namespace fs = std::filesystem;
namespace {

/// Passes training's progress on to the caller's observer, and writes each finished epoch into
/// the run folder: a run killed mid-training keeps its curves so far.
class ProgressRecorder : public TrainingObserver {
public:
    ProgressRecorder(std::string runDir, TrainingObserver* next) : m_dir(std::move(runDir)), m_next(next) {}
    void onEpoch(const EpochStats& stats) override
    {
        m_history.push_back(stats);
        // At most once a second: an fsync per epoch would slow heads whose epochs take
        // milliseconds; a kill loses at most the last second's epochs.
        const auto now = std::chrono::steady_clock::now();
        if (m_history.size() == 1 || now - m_lastSave >= std::chrono::seconds(1)) {
            m_lastSave = now;
            try {
                saveProgress(m_dir, m_history);
            } catch (const std::exception&) {
                // A full disk must not stop training; the final save reports it.
            }
        }
        if (m_next)
            m_next->onEpoch(stats);
    }
    void onBatch(int epoch, int batch, int batches) override
    {
        if (m_next)
            m_next->onBatch(epoch, batch, batches);
    }
    bool shouldStop() override { return m_next && m_next->shouldStop(); }
    bool shouldFinish() override { return m_next && m_next->shouldFinish(); }

private:
    std::string m_dir;
    TrainingObserver* m_next;
    std::vector<EpochStats> m_history;
    std::chrono::steady_clock::time_point m_lastSave;
};

/// Removes a run folder that never became finished; a finished one (run.json) is never touched.
void discardUnfinished(const std::string& runDir)
{
    std::error_code ec;
    if (!fs::exists(fs::path(runDir) / "run.json", ec))
        fs::remove_all(runDir, ec);
}

/// The options with the workspace's leakage cache (.cache/leakage, by the file's content and
/// the split): the second run on a file and split, even in another process, reads the report.
TrainOptions withLeakageCache(TrainOptions options, const std::string& workspace, const FeatureSet& data)
{
    if (options.leakage.method == LeakageOptions::Method::Off || data.path.empty() || workspace.empty() ||
        !options.leakage.cacheDir.empty())
        return options;
    try {
        options.leakage.contentHash =
            hashFileCached(data.path, hashCacheDir(workspace));
        options.leakage.cacheDir = (std::filesystem::path(workspace) / ".cache" / "leakage").string();
    } catch (const Error&) { // the file is gone or unreadable: measure without the cache
    }
    return options;
}

} // namespace

RunSessionResult runSession(const FeatureSet& data, const HeadSpec& spec, const RunRequest& request,
                            TrainingObserver* observer)
{
    RunSessionResult out;
    const auto stopRequested = [observer] { return observer && observer->shouldStop(); };
    if (stopRequested()) { // cancelled while the caller was still loading: no folder at all
        out.cancelledIn = "before the run began";
        return out;
    }
    // A split chosen by hand is part of the default name: a random-split and a group-split probe
    // of one file are told apart in the runs list and in Compare.
    const std::string name = !request.name.empty() || request.options.split == SplitMode::Auto
                                 ? request.name
                                 : defaultRunName(spec, data, request.tag) + " · " + toString(request.options.split) + " split";
    const std::string runDir = beginRun(request.workspace, data, spec, name, request.tag);
    const auto cancelled = [&](const char* stage) {
        discardUnfinished(runDir);
        out.cv.reset();
        out.cancelledIn = stage;
        return out;
    };
    const char* stage = "training";
    try {
        ProgressRecorder recorder(runDir, observer);
        const TrainResult result = trainHead(data, spec, &recorder, withLeakageCache(request.options, request.workspace, data));
        releaseFreedMemory(); // the leakage check's and the training's temporaries
        out.epochsDone = static_cast<int>(result.history.size());
        if (result.cancelled || stopRequested())
            return cancelled(stage);
        if (request.cvFolds > 0) {
            stage = "cross-validation";
            TrainOptions foldOptions = request.options;
            foldOptions.calibrate = CalibrationMethod::None; // the fold heads stay uncalibrated
            out.cv = crossValidate(data, spec, request.cvFolds, request.foldObserver ? request.foldObserver : observer,
                                   foldOptions);
            out.foldsDone = static_cast<int>(out.cv->folds.size());
            releaseFreedMemory();
            if (out.cv->cancelled || stopRequested())
                return cancelled(stage);
            saveCrossValidation(runDir, data, *out.cv); // before run.json: part of the finished run
        }
        out.record = saveRun(request.workspace, data, spec, result, name, runDir, request.tag);
    } catch (...) {
        // e.g. "cancelled before the first epoch finished": a cancel, not an input error.
        if (stopRequested())
            return cancelled(stage);
        discardUnfinished(runDir);
        throw;
    }
    out.outcome = RunOutcome::Saved;
    return out;
}

} // namespace headbench
