#include <headbench/runs/RunSession.h>

#include <filesystem>

namespace headbench {
namespace fs = std::filesystem;
namespace {

/// Removes a run folder that never became finished; a finished one (run.json) is never touched.
void discardUnfinished(const std::string& runDir)
{
    std::error_code ec;
    if (!fs::exists(fs::path(runDir) / "run.json", ec))
        fs::remove_all(runDir, ec);
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
        const TrainResult result = trainHead(data, spec, observer, request.options);
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
