#include <headbench/runs/RunPlan.h>

#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>

namespace headbench {
namespace {

std::string groupId(const char* kind)
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return std::string(kind) + "-" + stamp;
}

} // namespace

int PlannedRun::plannedEpochs() const
{
    return headbench::plannedEpochs(spec);
}

RunPlan singleRunPlan(const HeadSpec& spec, const PlanSettings& settings)
{
    RunPlan plan;
    plan.kind = PlanKind::Single;
    plan.name = settings.name;
    plan.runs.push_back({.spec = spec, .params = "{}", .featureSet = settings.featureSet, .options = settings.options,
                         .cvFolds = settings.cvFolds});
    plan.totalRuns = 1;
    return plan;
}

RunPlan repeatsPlan(const HeadSpec& spec, int repeats, const PlanSettings& settings)
{
    if (repeats < 2)
        throw Error(fmt::format("repeats: {} is not a number of seeds to repeat over (2 or more)", repeats));
    if (settings.cvFolds > 0)
        throw Error("repeats and cross-validation cannot be combined: cross-validate a single seed");
    RunPlan plan;
    plan.kind = PlanKind::Repeats;
    plan.groupId = groupId("repeat");
    plan.name = settings.name;
    TrainOptions options = settings.options;
    options.splitSeed = spec.seed; // every seed trains on the rows the first one splits
    for (int i = 0; i < repeats; ++i) {
        PlannedRun run{.spec = spec, .featureSet = settings.featureSet, .options = options};
        run.spec.seed = spec.seed + static_cast<std::uint64_t>(i);
        run.params = nlohmann::json{{"seed", run.spec.seed}}.dump();
        run.point = i;
        plan.runs.push_back(std::move(run));
    }
    plan.totalRuns = repeats;
    return plan;
}

RunPlan trainPlan(const HeadSpec& spec, int repeats, const PlanSettings& settings)
{
    return repeats <= 1 ? singleRunPlan(spec, settings) : repeatsPlan(spec, repeats, settings);
}

RunPlan sweepPlan(const std::vector<SweepPoint>& points, const PlanSettings& settings)
{
    if (points.empty())
        throw Error("a sweep needs at least one point");
    if (settings.cvFolds > 0)
        throw Error("a sweep does not cross-validate its points: cross-validate the chosen head on its own");
    RunPlan plan;
    plan.kind = PlanKind::Sweep;
    plan.groupId = groupId("sweep");
    for (const SweepPoint& p : points) {
        PlannedRun run{.spec = p.spec, .params = p.params.empty() ? "{}" : p.params,
                       .featureSet = p.featureSet.empty() ? settings.featureSet : p.featureSet, .options = settings.options};
        run.options.splitSeed.reset(); // each point splits with its own seed, as a single run would
        if (p.trainFraction != 1.0)
            run.options.trainFraction = p.trainFraction;
        run.point = static_cast<int>(plan.runs.size());
        plan.runs.push_back(std::move(run));
    }
    plan.totalRuns = static_cast<int>(plan.runs.size());
    return plan;
}

std::string derivedGroupId(PlanKind kind, std::string_view definition)
{
    return std::string(kind == PlanKind::Repeats ? "repeat-" : "sweep-") + hashTextHex(definition).substr(0, 12);
}

void withGroupId(RunPlan& plan, const std::string& groupId, const std::string& featuresPath)
{
    if (plan.kind == PlanKind::Single)
        throw Error("a single run has no group id: give --sweep-id to a sweep or to --repeats");
    const bool valid = !groupId.empty() && groupId.size() <= 100 &&
                       groupId.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                           std::string::npos;
    if (!valid)
        throw Error(fmt::format("--sweep-id '{}': use 1 to 100 letters, digits, '-', '_' or '.'", groupId));
    plan.groupId = groupId;
    plan.resume = true;
    plan.featuresPath = featuresPath;
}

void shardPlan(RunPlan& plan, const Shard& shard)
{
    if (shard.whole())
        return;
    if (plan.kind == PlanKind::Single)
        throw Error("--shard splits a sweep's points, or the seeds of --repeats; a single run has nothing to split");
    if (shard.index >= plan.totalRuns)
        throw Error(fmt::format("--shard {}/{}: the {} has only {} runs, so task {} has none (use at most {} tasks)",
                                shard.index, shard.count, plan.kind == PlanKind::Sweep ? "sweep" : "group of repeats",
                                plan.totalRuns, shard.index, plan.totalRuns));
    std::vector<PlannedRun> kept;
    for (PlannedRun& run : plan.runs)
        if (shard.owns(static_cast<std::size_t>(run.point)))
            kept.push_back(std::move(run));
    plan.runs = std::move(kept);
}

std::vector<std::string> planProblems(const RunPlan& plan, int numClasses)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < plan.runs.size(); ++i)
        for (const std::string& problem : validate(plan.runs[i].spec, numClasses))
            out.push_back(plan.kind == PlanKind::Single
                              ? problem
                              : fmt::format("{} {} ({}): {}", plan.kind == PlanKind::Sweep ? "point" : "repeat", i + 1,
                                            plan.runs[i].params, problem));
    return out;
}

namespace {

/// The head as it trains: the fields it does not use set to their defaults.
HeadSpec effectiveSpec(const HeadSpec& spec)
{
    HeadSpec s = spec;
    const HeadSpec defaults;
    if (resolvedOptimizer(spec) == Optimizer::Lbfgs) {
        s.learningRate = defaults.learningRate;
        s.weightDecay = defaults.weightDecay;
        s.momentum = defaults.momentum;
        s.schedule = defaults.schedule;
        s.stepSize = defaults.stepSize;
        s.stepGamma = defaults.stepGamma;
        s.epochs = defaults.epochs;
        s.batchSize = defaults.batchSize;
        s.earlyStopping = defaults.earlyStopping;
        s.patience = defaults.patience;
        s.optimizer = Optimizer::Lbfgs;
    }
    if (spec.hidden.empty()) {
        s.activation = defaults.activation;
        s.dropout = defaults.dropout;
        s.norm = defaults.norm;
    }
    return s;
}

/// The fields whose values differ between two specs' JSON, joined ("lr, epochs").
std::string differingFields(const HeadSpec& a, const HeadSpec& b)
{
    std::string out;
    for (const SpecDifference& d : diffSpecs({a, b}))
        out += (out.empty() ? "" : ", ") + d.field;
    return out;
}

} // namespace

std::vector<std::string> planWarnings(const RunPlan& plan)
{
    std::vector<std::string> out;
    std::vector<bool> reported(plan.runs.size(), false);
    for (std::size_t i = 0; i < plan.runs.size(); ++i)
        for (std::size_t j = i + 1; j < plan.runs.size(); ++j) {
            const PlannedRun& a = plan.runs[i];
            const PlannedRun& b = plan.runs[j];
            if (reported[j] || a.featureSet != b.featureSet || a.options.trainFraction != b.options.trainFraction ||
                a.spec.seed != b.spec.seed || toJson(effectiveSpec(a.spec)) != toJson(effectiveSpec(b.spec)))
                continue;
            reported[j] = true;
            const std::string ignored = differingFields(a.spec, b.spec);
            out.push_back(fmt::format("points {} and {} ({} and {}) train the same head{}", i + 1, j + 1, a.params, b.params,
                                      ignored.empty() ? std::string()
                                      : resolvedOptimizer(a.spec) == Optimizer::Lbfgs
                                          ? fmt::format(": L-BFGS ignores {}", ignored)
                                          : fmt::format(": a linear probe ignores {}", ignored)));
        }
    return out;
}

namespace {

/// A resumed plan's view of the workspace: its group's runs by point.
struct GroupRuns {
    std::map<int, RunRecord> finished;                 ///< a finished run per point
    std::map<int, std::vector<RunRecord>> unfinished;  ///< running or interrupted attempts per point
};

GroupRuns groupRuns(const RunPlan& plan, const std::string& workspace)
{
    namespace fs = std::filesystem;
    GroupRuns out;
    std::error_code ec;
    const std::string fileName = fs::path(plan.featuresPath).filename().string();
    const auto size = static_cast<std::int64_t>(fs::file_size(plan.featuresPath, ec));
    for (RunRecord& r : listRuns(workspace, nullptr, /*includeUnfinished=*/true)) {
        if (r.sweepId != plan.groupId || r.sweepPoint < 0)
            continue;
        if (!r.finished()) {
            out.unfinished[r.sweepPoint].push_back(std::move(r));
            continue;
        }
        // The same point on the same file: a sweep id reused on another file trains again.
        if (fs::path(r.featuresPath).filename().string() == fileName && (ec || r.featuresSize == size))
            out.finished.emplace(r.sweepPoint, std::move(r));
    }
    return out;
}

} // namespace

PlanResult runPlan(const RunPlan& plan, const std::string& workspace, const FeatureSource& features, PlanObserver& observer)
{
    PlanResult result;
    std::shared_ptr<const FeatureSet> data;
    std::string loadedSet;
    GroupRuns before;
    if (plan.resume)
        before = groupRuns(plan, workspace);
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
        const PlannedRun& run = plan.runs[i];
        if (plan.resume) {
            if (const auto it = before.finished.find(run.point);
                it != before.finished.end() && it->second.sweepParams == nlohmann::json::parse(run.params).dump()) {
                observer.runSkipped(i, it->second);
                result.skipped.push_back(it->second);
                continue;
            }
            // An earlier attempt of this point that will never finish: its process is gone, or it
            // is this very array task before a re-queue. It stays listed, as interrupted.
            result.interruptedMarked += markAbandonedAttempts(before.unfinished[run.point]);
        }
        TrainingObserver* training = observer.runStarted(i, run);
        try {
            if (!data || run.featureSet != loadedSet) {
                data = features(run.featureSet);
                loadedSet = run.featureSet;
            }
            const SweepTag tag = plan.groupId.empty()
                                     ? SweepTag{}
                                     : SweepTag{plan.groupId, run.params, run.point, plan.totalRuns};
            RunSessionResult session = runSession(*data, run.spec,
                                                  {.workspace = workspace,
                                                   .name = plan.name,
                                                   .tag = tag,
                                                   .options = run.options,
                                                   .cvFolds = run.cvFolds,
                                                   .foldObserver = observer.foldObserver()},
                                                  training);
            if (session.outcome == RunOutcome::Cancelled) {
                result.cancelled = true;
                result.cancelledAt = i;
                result.cancelledRun = std::move(session);
                return result;
            }
            observer.runSaved(i, session);
            result.saved.push_back(std::move(session));
        } catch (const std::exception& e) {
            if (training && training->shouldStop()) { // an error while a cancel is pending is the cancel
                result.cancelled = true;
                result.cancelledAt = i;
                result.cancelledRun.cancelledIn = "training";
                return result;
            }
            if (!observer.runFailed(i, e.what()))
                throw;
            ++result.failed;
        }
    }
    return result;
}

} // namespace headbench
