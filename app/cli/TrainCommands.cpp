// headbench-cli train (one run, --repeats, --cv) and sweep: heads trained through the backend run session.
#include "CliOutput.h"
#include "Commands.h"

#include "ProgressBar.h"

#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/CrossValidationShards.h>
#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/CrossValidation.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/core/Shard.h>
#include <headbench/runs/JobArray.h>
#include <headbench/runs/RunPlan.h>
#include <headbench/runs/RunSession.h>
#include <headbench/runs/Sweep.h>
#include <headbench/train/Trainer.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <unistd.h>
#include <optional>

namespace headbench::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---- train ----
/// The flags of train and sweep that set how a run trains besides its head.
struct RunSettingFlags {
    std::string split = "auto", leakage = "auto";
    std::optional<double> nearThreshold;
    std::string calibrate = "none"; ///< post-hoc calibration of the run's head (none, temperature)
    double trainFraction = 1.0; ///< learning curves: fit on this nested, stratified part of the training split
};

void addRunSettingFlags(CLI::App* command, RunSettingFlags& o)
{
    command->add_option("--train-fraction", o.trainFraction,
                        "Fit on this fraction of the training split (nested and stratified, from the split's seed; "
                        "validation and test unchanged): one point of a learning curve")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    command->add_option("--split", o.split, "auto: the file's /split, else by /groups, else random; file; random (stratified); group")
        ->check(CLI::IsMember({"auto", "file", "random", "group"}))
        ->capture_default_str();
    command->add_option("--leakage", o.leakage,
                        "Leakage check: auto (text when the file has it), text (token-shingle Jaccard), features (cosine of "
                        "centred features), off")
        ->check(CLI::IsMember({"auto", "text", "features", "off"}))
        ->capture_default_str();
    command->add_option("--near-threshold", o.nearThreshold,
                        "Similarity from which a training row is a near duplicate (default 0.8 Jaccard, 0.95 cosine)");
    command->add_option("--calibrate", o.calibrate,
                        "After training, temperature: fit one temperature T on the validation split (softmax(logits / "
                        "T)); metrics, predictions.csv and head.pt are then calibrated. none: off")
        ->check(CLI::IsMember({"none", "temperature"}))
        ->capture_default_str();
}

/// The flags that spread a group of runs over a Slurm job array (sweep, train --repeats).
struct ClusterFlags {
    std::string shard, sweepId;
    bool sbatch = false;
    int tasks = 0, cpusPerTask = 2;
    std::string memory, time = "04:00:00", partition;
};

struct TrainCliOptions {
    std::string features, featureSet, workspace, headFile, name;
    std::optional<int> depth, width, batchSize, epochs, patience, stepSize;
    std::optional<std::string> hidden, activation, norm, loss, optimizer, schedule, earlyStopping, classWeights;
    std::optional<double> dropout, focalGamma, labelSmoothing, lr, weightDecay, momentum;
    std::optional<std::uint64_t> seed;
    std::optional<std::string> l2;
    std::optional<bool> standardize;
    int cv = 0; ///< folds of cross-validation besides the run's own head; 0 for none
    int repeats = 1; ///< seeds to train the spec with (spec.seed, spec.seed + 1, ...), on one split
    RunSettingFlags settings;
    ClusterFlags cluster;
    bool json = false;
};

/// The split, leakage and calibration settings of train and sweep.
TrainOptions trainOptionsOf(const RunSettingFlags& o)
{
    TrainOptions t;
    t.split = parseSplitMode(o.split);
    t.leakage.method = parseLeakageMethod(o.leakage);
    if (o.nearThreshold) {
        if (!(*o.nearThreshold > 0 && *o.nearThreshold <= 1))
            throw Error(fmt::format("--near-threshold {}: expected a similarity in (0, 1]", *o.nearThreshold));
        t.leakage.jaccardThreshold = t.leakage.cosineThreshold = *o.nearThreshold;
    }
    t.calibrate = parseCalibrationMethod(o.calibrate);
    if (!(o.trainFraction > 0 && o.trainFraction <= 1))
        throw Error(fmt::format("--train-fraction {}: expected a fraction in (0, 1]", o.trainFraction));
    t.trainFraction = o.trainFraction;
    return t;
}


/// One line a user cannot miss when validation or test rows have near duplicates in training.
void warnLeakage(const LeakageReport& r)
{
    if (!r.measured || (r.testNearDuplicates == 0 && r.validationNearDuplicates == 0 && r.conflictingLabels == 0))
        return;
    const auto pct = [](std::int64_t a, std::int64_t b) { return b > 0 ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    if (r.testNearDuplicates > 0 || r.validationNearDuplicates > 0)
        fmt::print(stderr,
                   "warning: leakage: {} of {} test rows ({:.0f}%) and {} of {} validation rows ({:.0f}%) have a near duplicate "
                   "in training ({} >= {}; {} test {} exact); test figures are optimistic, or on fix pairs "
                   "pessimistic. Split by group (extract --group-field, train --split group) or deduplicate.\n",
                   r.testNearDuplicates, r.testRows, pct(r.testNearDuplicates, r.testRows), r.validationNearDuplicates,
                   r.validationRows, pct(r.validationNearDuplicates, r.validationRows),
                   r.method == "text" ? "token-shingle Jaccard" : "centred-feature cosine", r.nearThreshold,
                   r.testExactDuplicates, r.testExactDuplicates == 1 ? "row" : "rows");
    if (r.conflictingLabels > 0)
        fmt::print(stderr, "warning: {} {} share their text with a row of another label (conflicting duplicates)\n",
                   r.conflictingLabels, r.conflictingLabels == 1 ? "row" : "rows");
}

/// The flags that set head-spec fields, by JSON name: what unusedSettings() is asked about.
std::vector<std::pair<std::string, std::string>> givenSpecFlags(const TrainCliOptions& o)
{
    std::vector<std::pair<std::string, std::string>> given;
    auto add = [&](bool set, const char* field, const char* flag) {
        if (set)
            given.emplace_back(field, flag);
    };
    add(o.activation.has_value(), "activation", "--activation");
    add(o.norm.has_value(), "norm", "--norm");
    add(o.dropout.has_value(), "dropout", "--dropout");
    add(o.focalGamma.has_value(), "focal_gamma", "--focal-gamma");
    add(o.l2.has_value(), "l2", "--l2");
    add(o.lr.has_value(), "lr", "--lr");
    add(o.weightDecay.has_value(), "weight_decay", "--weight-decay");
    add(o.momentum.has_value(), "momentum", "--momentum");
    add(o.schedule.has_value(), "schedule", "--schedule");
    add(o.stepSize.has_value(), "step_size", "--step-size");
    add(o.epochs.has_value(), "epochs", "--epochs");
    add(o.batchSize.has_value(), "batch_size", "--batch-size");
    add(o.earlyStopping.has_value(), "early_stopping", "--early-stopping");
    add(o.patience.has_value(), "patience", "--patience");
    return given;
}

/// A warning for each flag given that the head ignores (a probe given --lr trained as if it had
/// not been typed, and compare then listed lr among the runs' differences).
void warnUnusedFlags(const TrainCliOptions& o, const HeadSpec& spec)
{
    const auto given = givenSpecFlags(o);
    std::vector<std::string> fields;
    for (const auto& g : given)
        fields.push_back(g.first);
    for (const auto& u : unusedSettings(spec, fields))
        for (const auto& g : given)
            if (g.first == u.field)
                fmt::print(stderr, "warning: {} has no effect on this head ({}): {}\n", g.second, summary(spec), u.reason);
}

HeadSpec specFromOptions(const TrainCliOptions& o)
{
    HeadSpec spec;
    if (!o.headFile.empty()) {
        std::ifstream in(o.headFile);
        if (!in)
            throw Error(o.headFile + ": cannot be opened for reading");
        std::stringstream ss;
        ss << in.rdbuf();
        spec = headSpecFromJson(ss.str(), o.headFile);
    }
    ArchitectureOverrides arch; // the backend's one rule, as for JSON specs, sweeps and the designer
    if (o.hidden)
        arch.hidden = parseWidthList(*o.hidden, "--hidden");
    arch.depth = o.depth;
    arch.width = o.width;
    spec.hidden = applyArchitecture(spec.hidden, arch, "--hidden/--depth/--width");
    if (o.activation) spec.activation = parseEnum<Activation>(*o.activation);
    if (o.norm) spec.norm = parseEnum<Norm>(*o.norm);
    if (o.loss) spec.loss = parseEnum<Loss>(*o.loss);
    if (o.optimizer) spec.optimizer = parseEnum<Optimizer>(*o.optimizer);
    if (o.standardize) spec.standardize = *o.standardize;
    if (o.schedule) spec.schedule = parseEnum<Schedule>(*o.schedule);
    if (o.earlyStopping) spec.earlyStopping = parseEnum<StopMetric>(*o.earlyStopping);
    // L2 and class weights as typed: the backend's one rule for typed fields (the designer's too).
    std::vector<SpecTextField> typed;
    if (o.l2)
        typed.push_back({"l2", *o.l2, "--l2"});
    if (o.classWeights)
        typed.push_back({"class_weights", *o.classWeights, "--class-weights"});
    if (!typed.empty())
        spec = applySpecText(spec, typed);
    if (o.dropout) spec.dropout = *o.dropout;
    if (o.focalGamma) spec.focalGamma = *o.focalGamma;
    if (o.labelSmoothing) spec.labelSmoothing = *o.labelSmoothing;
    if (o.lr) spec.learningRate = *o.lr;
    if (o.weightDecay) spec.weightDecay = *o.weightDecay;
    if (o.momentum) spec.momentum = *o.momentum;
    if (o.batchSize) spec.batchSize = *o.batchSize;
    if (o.epochs) spec.epochs = *o.epochs;
    if (o.patience) spec.patience = *o.patience;
    if (o.stepSize) spec.stepSize = *o.stepSize;
    if (o.seed) spec.seed = *o.seed;
    if (const auto problems = validate(spec); !problems.empty())
        throw Error("invalid head: " + problems.front());
    return spec;
}

/// specFromOptions for a head trained as given (train, its repeats and cross-validation), with a
/// warning for each flag that head ignores.
HeadSpec trainedSpecFromOptions(const TrainCliOptions& o)
{
    HeadSpec spec = specFromOptions(o);
    warnUnusedFlags(o, spec);
    return spec;
}

class CliTrainingObserver : public TrainingObserver {
public:
    explicit CliTrainingObserver(int epochs, bool quiet) : m_epochs(epochs), m_quiet(quiet) {}
    void onBatch(int epoch, int batch, int batches) override
    {
        m_bar.update(static_cast<long long>(epoch - 1) * batches + batch, static_cast<long long>(m_epochs) * batches,
                     fmt::format("epoch {}/{}  {}", epoch, m_epochs, m_last));
    }
    void onEpoch(const EpochStats& e) override
    {
        m_last = fmt::format("train {:.4f}  val {:.4f}  val f1 {:.4f}", e.trainLoss, e.valLoss, e.valF1);
        if (m_quiet || isatty(STDERR_FILENO))
            return;
        if (e.iterations > 0) // an L-BFGS probe: one fit per L2 penalty of its path, not an epoch
            fmt::print(stderr, "penalty {:>2}  l2 {:.3g}, {} iterations  {}  ({:.2f} s)\n", e.epoch, e.l2, e.iterations, m_last,
                       e.seconds);
        else
            fmt::print(stderr, "epoch {:>3}  {}  ({:.2f} s)\n", e.epoch, m_last, e.seconds);
    }
    bool shouldStop() override { return g_interrupted; }

private:
    int m_epochs;
    bool m_quiet;
    std::string m_last;
    ProgressBar m_bar{"train"};
};

/// A plan's runs on the command line: a progress bar per run, counted in the units its head
/// trains in (epochs, or an L-BFGS probe's penalties).
class CliPlanObserver : public PlanObserver {
public:
    using Saved = std::function<void(std::size_t index, const RunSessionResult& session)>;
    using Skipped = std::function<void(std::size_t index, const RunRecord& finished)>;
    explicit CliPlanObserver(bool quiet, Saved saved = {}, Skipped skipped = {})
        : m_quiet(quiet), m_saved(std::move(saved)), m_skipped(std::move(skipped))
    {
    }
    void runSkipped(std::size_t index, const RunRecord& finished) override
    {
        if (m_skipped)
            m_skipped(index, finished);
    }
    TrainingObserver* runStarted(std::size_t, const PlannedRun& run) override
    {
        m_current = std::make_unique<CliTrainingObserver>(run.plannedEpochs(), m_quiet);
        return m_current.get();
    }
    void runSaved(std::size_t index, const RunSessionResult& session) override
    {
        if (m_saved)
            m_saved(index, session);
    }

private:
    bool m_quiet;
    Saved m_saved;
    Skipped m_skipped;
    std::unique_ptr<CliTrainingObserver> m_current;
};

void addClusterFlags(CLI::App* command, ClusterFlags& o, const char* what)
{
    command->add_option("--shard", o.shard,
                        fmt::format("Train only the {} p with p mod N = I (I/N, 0-based, e.g. 3/16): one task of a job "
                                    "array; all tasks write into one workspace under one --sweep-id",
                                    what));
    command->add_option("--sweep-id", o.sweepId,
                        fmt::format("Group id of the {}' runs (letters, digits, - _ .); runs already finished under it "
                                    "on the same feature file are skipped, so a re-queued task resumes. Default with "
                                    "--shard or --sbatch: derived from the definition, so every task agrees",
                                    what));
    command->add_flag("--sbatch", o.sbatch, "Print a Slurm job array script that runs these runs as --shard tasks, and exit");
    command->add_option("--tasks", o.tasks, "--sbatch: array tasks (default: one per run)")->check(CLI::Range(1, 100000));
    command->add_option("--cpus-per-task", o.cpusPerTask, "--sbatch: CPUs per task, passed on to --threads")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    command->add_option("--mem", o.memory, "--sbatch: memory per task (default: twice the feature file plus 1 GiB)");
    command->add_option("--time", o.time, "--sbatch: time limit per task")->capture_default_str();
    command->add_option("--partition", o.partition, "--sbatch: Slurm partition (default: the cluster's)");
}

/// The command line of one array task: this one's, without the program, the global --threads and
/// the flags only --sbatch reads, with the group id it must share.
std::vector<std::string> taskArguments(const std::string& groupId)
{
    static const std::vector<std::string> dropped{"--threads", "--shard", "--sweep-id", "--tasks",
                                                  "--cpus-per-task", "--mem", "--time", "--partition"};
    std::vector<std::string> out;
    for (std::size_t i = 1; i < g_argv.size(); ++i) {
        const std::string& a = g_argv[i];
        if (a == "--sbatch")
            continue;
        const auto eq = a.find('=');
        const std::string flag = a.substr(0, eq);
        if (std::find(dropped.begin(), dropped.end(), flag) != dropped.end()) {
            if (eq == std::string::npos)
                ++i; // its value
            continue;
        }
        out.push_back(a);
    }
    out.push_back("--sweep-id");
    out.push_back(groupId);
    return out;
}

/// The path of this program, for a script that runs it on other nodes.
std::string programPath()
{
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("headbench-cli") : self.string();
}

/// Prints the job array script of a plan (--sbatch): one task per run unless --tasks says fewer.
int printJobArray(const std::string& groupId, int points, const ClusterFlags& c, const std::string& features,
                  const std::string& workspace, const char* jobName, const std::string& what,
                  std::vector<std::string> afterOk = {})
{
    const int tasks = c.tasks > 0 ? std::min(c.tasks, points) : points;
    std::error_code ec;
    const auto fileBytes = static_cast<long long>(fs::file_size(features, ec));
    if (ec)
        throw Error(features + ": cannot be read (" + ec.message() + ")");
    const fs::path logs = fs::absolute(workspace) / "slurm-logs";
    fs::create_directories(logs, ec); // sbatch does not create the folder of --output
    if (ec)
        throw Error(logs.string() + ": cannot be created (" + ec.message() + ")");
    JobArraySpec spec{.jobName = jobName,
                      .description = fmt::format("{} {}: {} over {} (up to {} per task); then: headbench-cli runs "
                                                 "--workspace {}",
                                                 what, groupId, plural(points, "point"), plural(tasks, "task"),
                                                 (points + tasks - 1) / tasks, shellWord(workspace)),
                      .tasks = tasks,
                      .cpusPerTask = c.cpusPerTask,
                      .memory = c.memory.empty() ? taskMemoryFor(fileBytes) : c.memory,
                      .time = c.time,
                      .partition = c.partition,
                      .workdir = fs::current_path().string(),
                      .logDir = logs.string(),
                      .program = programPath(),
                      .args = taskArguments(groupId),
                      .afterOk = std::move(afterOk)};
    std::cout << sbatchScript(spec);
    return kOk;
}

/// Puts a group plan under its id (given, or derived from `definition` when it is sharded or
/// scripted) and keeps this task's shard.
void applyClusterFlags(RunPlan& plan, const ClusterFlags& c, const std::string& definition, const std::string& features)
{
    if (!c.sweepId.empty())
        withGroupId(plan, c.sweepId, features);
    else if (!c.shard.empty() || c.sbatch)
        withGroupId(plan, derivedGroupId(plan.kind, definition + "\n" + fs::path(features).filename().string()), features);
    if (!c.shard.empty())
        shardPlan(plan, parseShard(c.shard));
}

/// The feature file as a plan's runs need it: `first` for its set, another set read when asked.
FeatureSource featureSource(const std::string& path, std::shared_ptr<const FeatureSet> first, bool loadTexts)
{
    return [path, first, loadTexts](const std::string& set) {
        if (set == first->featureSet || (set.empty() && first->featureSet.empty()))
            return first;
        return std::shared_ptr<const FeatureSet>(std::make_shared<FeatureSet>(
            readFeatureFile(path, {.loadTexts = loadTexts, .requireTwoClasses = true, .featureSet = set})));
    };
}

/// The object `train --json` prints for one saved run (also one entry of `train --repeats --json`).
json trainRunJson(const RunRecord& rec, const HeadSpec& spec)
{
    return {{"run", rec.id},
            {"dir", rec.dir},
            {"name", rec.name},
            {"summary", summary(spec)},
            {"parameters", rec.parameters},
            {"best_epoch", rec.bestEpoch},
            {"epochs_run", rec.epochsRun},
            {"seconds", rec.seconds},
            {"seconds_per_epoch", rec.seconds / std::max(1, rec.epochsRun)},
            // What the run's seconds went to besides fitting the head: reported apart, as a
            // benchmark against a script that does neither needs them.
            {"costs",
             {{"leakage_seconds", rec.leakageSeconds},
              {"interval_seconds", rec.intervalSeconds},
              {"fit_seconds", std::max(0.0, rec.seconds - rec.leakageSeconds - rec.intervalSeconds)}}},
            {"metrics", valTestMetricsJson(rec)},
            {"split_source", rec.splitSource},
            {"train_fraction", rec.trainFraction},
            {"train_rows", rec.trainRows},
            {"leakage", rec.leakage.measured ? json::parse(leakageToJson(rec.leakage)) : json(nullptr)},
            {"calibration", rec.calibration.enabled() ? json::parse(calibrationToJson(rec.calibration)) : json(nullptr)}};
}

/// The line a cancelled run session leaves on stderr (Ctrl-C: the command then exits 130).
void printCancelled(const RunSessionResult& session, const std::string& consequence)
{
    if (session.cancelledIn == "training")
        fmt::print(stderr, "\ntraining interrupted after {}; {}\n", plural(session.epochsDone, "epoch"), consequence);
    else if (session.cancelledIn == "cross-validation")
        fmt::print(stderr, "\ncross-validation interrupted after {}; {}\n", plural(session.foldsDone, "fold"), consequence);
    else
        fmt::print(stderr, "\ninterrupted {}; {}\n", session.cancelledIn, consequence);
}

int runRepeats(const TrainCliOptions& o);

/// train --cv K --shard I/N: this task's folds (and, for the task that owns point K, the run),
/// then cv.json and oof.csv assembled if this task landed the last piece.
int runShardedCv(const TrainCliOptions& o)
{
    const HeadSpec spec = specFromOptions(o);
    const TrainOptions options = trainOptionsOf(o.settings);
    const std::string groupId =
        !o.cluster.sweepId.empty()
            ? o.cluster.sweepId
            : "cv-" + derivedGroupId(PlanKind::Sweep, fmt::format("{}\ncv {}\nset {}\nsplit {}\n{}", toJson(spec), o.cv,
                                                                   o.featureSet, o.settings.split,
                                                                   fs::path(o.features).filename().string()))
                          .substr(6);
    {
        RunPlan check = singleRunPlan(spec, {});
        check.kind = PlanKind::Sweep;
        withGroupId(check, groupId, o.features); // the one rule for ids
    }
    if (o.cluster.sbatch)
        return printJobArray(groupId, o.cv + 1, o.cluster, o.features, o.workspace, "headbench-cv",
                             fmt::format("{}-fold cross-validation (folds 1-{}, then the run)", o.cv, o.cv),
                             {"gather", "--workspace", fs::absolute(o.workspace).string(), "--sweep-id", groupId});
    const Shard shard = o.cluster.shard.empty() ? Shard{} : parseShard(o.cluster.shard);
    if (shard.index > o.cv)
        throw Error(fmt::format("--shard {}: {}-fold cross-validation has {} points (the folds and the run): use at most {} tasks",
                                o.cluster.shard, o.cv, o.cv + 1, o.cv + 1));
    const bool texts = options.leakage.method != LeakageOptions::Method::Off && shard.owns(static_cast<std::size_t>(o.cv));
    const FeatureSet data =
        readFeatureFile(o.features, {.loadTexts = texts, .requireTwoClasses = true, .featureSet = o.featureSet, .hashWhileReading = hashCacheDir(o.workspace)});
    if (const auto problems = validate(spec, data.numClasses()); !problems.empty())
        throw Error(o.features + ": " + problems.front());
    CliTrainingObserver training(plannedEpochs(spec), true);
    ShardedCrossValidationObserver observer;
    observer.training = &training;
    if (!o.json) {
        fmt::print("{}-fold cross-validation {}: task {} of {} points ({} folds, then the run)\n", o.cv, groupId,
                   o.cluster.shard.empty() ? "0/1" : o.cluster.shard, o.cv + 1, o.cv);
        observer.foldTrained = [](int f, const FoldResult& r) {
            fmt::print("fold {}: {} rows, f1 {}, accuracy {}, {:.1f} s\n", f + 1, r.rows, fmtMetric(r.metrics.f1),
                       fmtMetric(r.metrics.accuracy), r.seconds);
        };
        observer.runSaved = [](const RunRecord& rec) {
            fmt::print("run {} saved in {}: test f1 {}\n", rec.id, rec.dir, fmtMetric(rec.test.f1));
        };
    }
    const ShardedCrossValidationResult r = runShardedCrossValidation(
        data, spec, {.workspace = o.workspace, .groupId = groupId, .k = o.cv, .shard = shard, .name = o.name, .options = options},
        observer);
    if (r.cancelled) {
        fmt::print(stderr, "interrupted: the folds saved so far are kept; re-run the task to go on\n");
        return kInterrupted;
    }
    std::vector<int> before = r.foldsSavedBefore;
    for (int& f : before)
        ++f;
    json waiting = json::array();
    for (int f : r.waitingFor)
        waiting.push_back(f + 1);
    if (o.json) {
        json folds = json::array();
        for (const FoldResult& f : r.trained)
            folds.push_back({{"fold", f.fold + 1}, {"rows", f.rows}, {"metrics", metricsJson(f.metrics)}});
        std::cout << json{{"cv", groupId},
                          {"folds_trained", folds},
                          {"folds_saved_before", before},
                          {"run", r.run ? json(r.run->dir) : json(nullptr)},
                          {"run_finished_before", r.runFinishedBefore},
                          {"gathered", r.gathered},
                          {"waiting_for_folds", waiting}}
                         .dump(2)
                  << "\n";
        return kOk;
    }
    if (!before.empty())
        fmt::print("folds {} had been saved before\n", fmt::join(before, ", "));
    if (r.runFinishedBefore)
        fmt::print("the run had finished before: {}\n", r.run->dir);
    if (r.gathered)
        fmt::print("cv.json and oof.csv are in {}\n", r.runDir);
    else if (!r.waitingFor.empty())
        fmt::print("waiting for folds {} from other tasks (the last to land assembles cv.json; else: headbench-cli gather "
                   "--workspace {} --sweep-id {})\n",
                   fmt::join(waiting.get<std::vector<int>>(), ", "), o.workspace, groupId);
    else
        fmt::print("waiting for the run from another task (it assembles cv.json when it lands)\n");
    return kOk;
}

int runTrain(const TrainCliOptions& o)
{
    if (o.repeats > 1)
        return runRepeats(o);
    if (!o.cluster.shard.empty() || !o.cluster.sweepId.empty() || o.cluster.sbatch) {
        if (o.cv > 0)
            return runShardedCv(o);
        throw Error("--shard, --sweep-id and --sbatch split the seeds of --repeats N (N >= 2), or the folds of --cv K, over tasks");
    }
    const HeadSpec spec = trainedSpecFromOptions(o);
    const RunPlan plan = singleRunPlan(
        spec, {.options = trainOptionsOf(o.settings), .cvFolds = o.cv, .featureSet = o.featureSet, .name = o.name});
    const bool texts = plan.runs.front().options.leakage.method != LeakageOptions::Method::Off;
    // Texts are loaded for the leakage check (near duplicates by token shingles).
    const auto data = std::make_shared<const FeatureSet>(
        readFeatureFile(o.features, {.loadTexts = texts, .requireTwoClasses = true, .featureSet = o.featureSet, .hashWhileReading = hashCacheDir(o.workspace)}));
    if (const auto problems = planProblems(plan, data->numClasses()); !problems.empty())
        throw Error(o.features + ": " + problems.front());
    // --cv K: K more heads on the run's training and validation rows, for per-fold metrics and
    // out-of-fold probabilities (cv.json, oof.csv in the same run folder).
    if (o.cv > 0 && !o.json)
        fmt::print(stderr, "cross-validation: {} more heads on the training and validation rows\n", o.cv);
    CliPlanObserver observer(o.json);
    const PlanResult result = runPlan(plan, o.workspace, featureSource(o.features, data, texts), observer);
    if (result.cancelled) {
        printCancelled(result.cancelledRun, "no run was saved");
        return kInterrupted;
    }
    const RunSessionResult& session = result.saved.front();
    const FeatureSet& dataRef = *data;
    const RunRecord& rec = session.record;
    const std::optional<CrossValidationResult>& cv = session.cv;
    if (o.json) {
        json j = trainRunJson(rec, spec);
        if (cv)
            j["cv"] = json::parse(crossValidationToJson(*cv));
        warnLeakage(rec.leakage);
        warnMissingClasses({{"validation", &rec.validation}, {"test", &rec.test}}, dataRef.labelNames);
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    if (resolvedOptimizer(spec) == Optimizer::Lbfgs) // one history entry per L2 penalty tried
        fmt::print("run {} saved in {}\n{}: {}, L-BFGS, {}, {:.1f} s\n", rec.id, rec.dir, summary(spec),
                   plural(rec.parameters, "parameter"),
                   rec.epochsRun == 1 ? fmt::format("l2 {:.3g}", rec.history.front().l2)
                                      : fmt::format("{} penalties tried (kept l2 {:.3g})", rec.epochsRun,
                                                    rec.history[static_cast<std::size_t>(std::max(rec.bestEpoch, 1) - 1)].l2),
                   rec.seconds);
    else
        fmt::print("run {} saved in {}\n{}: {}, {} (best {}), {:.1f} s\n", rec.id, rec.dir, summary(spec),
                   plural(rec.parameters, "parameter"), plural(rec.epochsRun, "epoch"), rec.bestEpoch, rec.seconds);
    fmt::print("split: {}", rec.splitSource == "file"     ? std::string("the file's own")
                            : rec.splitSource == "group"  ? std::string("by group, seeded 80/10/10")
                            : rec.splitSource == "random" ? std::string("random, stratified 80/10/10")
                                                          : "the " + rec.splitSource);
    if (rec.leakage.measured)
        fmt::print("; leakage: {} of {} test rows have a near duplicate in training ({} exact)", rec.leakage.testNearDuplicates,
                   rec.leakage.testRows, rec.leakage.testExactDuplicates);
    fmt::print("\n");
    if (rec.calibration.enabled()) {
        fmt::print("calibration: temperature {:.4g}; validation ECE {:.4f} -> {:.4f}", rec.calibration.temperature,
                   rec.calibration.valEceBefore, rec.calibration.valEceAfter);
        if (rec.calibration.hasTest)
            fmt::print(", test ECE {:.4f} -> {:.4f}", rec.calibration.testEceBefore, rec.calibration.testEceAfter);
        fmt::print(" (metrics and predictions are calibrated)\n");
    }
    fmt::print("\n");
    warnLeakage(rec.leakage);
    warnMissingClasses({{"validation", &rec.validation}, {"test", &rec.test}}, dataRef.labelNames);
    printMetricsTable({{"validation", &rec.validation}, {"test", &rec.test}});
    fmt::print("\ntest ");
    printConfusion(rec.test, dataRef.labelNames);
    if (cv) {
        fmt::print("\n");
        printCrossValidation(*cv);
    }
    return kOk;
}

/// Mean and sample standard deviation (n - 1 in the denominator) of every numeric field of the
/// runs' metrics objects (`metrics.<split>` of each entry of `runs`); a field that is not a finite
/// number in every run (e.g. ROC-AUC of a multi-class head) is left out. sd is null for one run.
json repeatsSummary(const json& runs, const std::string& split)
{
    json out = json::object();
    const json& firstRun = runs.at(0).at("metrics").at(split);
    for (auto it = firstRun.begin(); it != firstRun.end(); ++it) {
        const std::string& key = it.key();
        if (!it->is_number() || key == "count") // count: the split's rows, the same in every run
            continue;
        std::vector<double> v;
        for (const auto& r : runs) {
            const json& x = r.at("metrics").at(split).value(key, json(nullptr));
            if (!x.is_number())
                break;
            v.push_back(x.get<double>());
        }
        if (v.size() != runs.size())
            continue;
        double mean = 0;
        for (double x : v)
            mean += x;
        mean /= static_cast<double>(v.size());
        double ss = 0;
        for (double x : v)
            ss += (x - mean) * (x - mean);
        const json sd = v.size() > 1 ? json(std::sqrt(ss / static_cast<double>(v.size() - 1))) : json(nullptr);
        out[key] = {{"mean", mean}, {"sd", sd}, {"n", v.size()}};
    }
    return out;
}

/// train --repeats N: the spec trained with seeds seed, seed + 1, ..., seed + N - 1 (initialisation
/// and shuffling) on the split of the first seed, saved as one group (SweepTag "repeat-<time>",
/// params {"seed": S}) so the window lists and compares them like a sweep.
int runRepeats(const TrainCliOptions& o)
{
    if (o.cv > 0)
        throw Error("--repeats and --cv cannot be combined: run --cv on a single seed");
    const HeadSpec base = trainedSpecFromOptions(o);
    RunPlan plan =
        repeatsPlan(base, o.repeats, {.options = trainOptionsOf(o.settings), .featureSet = o.featureSet, .name = o.name});
    applyClusterFlags(plan, o.cluster, fmt::format("{}\nrepeats {}\nset {}", toJson(base), o.repeats, o.featureSet),
                      o.features);
    if (o.cluster.sbatch)
        return printJobArray(plan.groupId, plan.totalRuns, o.cluster, o.features, o.workspace, "headbench-repeats",
                             "repeats");
    const bool texts = plan.runs.front().options.leakage.method != LeakageOptions::Method::Off;
    const auto data = std::make_shared<const FeatureSet>(
        readFeatureFile(o.features, {.loadTexts = texts, .requireTwoClasses = true, .featureSet = o.featureSet, .hashWhileReading = hashCacheDir(o.workspace)}));
    if (const auto problems = validate(base, data->numClasses()); !problems.empty())
        throw Error(o.features + ": " + problems.front());
    const std::string& groupId = plan.groupId;
    if (!o.json)
        fmt::print("{} seeds of {} in {}{}\n{:>4}  {:>20}  {:>8} {:>8} {:>8} {:>7}\n", plan.runs.size(), summary(base), groupId,
                   o.cluster.shard.empty() ? std::string() : fmt::format(" (task {} of {} seeds)", o.cluster.shard, o.repeats),
                   "#", "seed", "test f1", "acc", "roc auc", "s");
    json runs = json::array();
    const auto seedRow = [&](std::size_t i, const RunRecord& rec, bool resumed) {
        const HeadSpec& spec = plan.runs[i].spec;
        json j = trainRunJson(rec, spec);
        j["resumed"] = resumed;
        runs.push_back(std::move(j));
        if (!o.json)
            fmt::print("{:>4}  {:>20}  {:>8} {:>8} {:>8} {:>7}\n", plan.runs[i].point + 1, spec.seed, fmtMetric(rec.test.f1),
                       fmtMetric(rec.test.accuracy), fmtMetric(rec.test.rocAuc),
                       resumed ? std::string("done") : fmt::format("{:.1f}", rec.seconds));
    };
    CliPlanObserver observer(
        true, [&](std::size_t i, const RunSessionResult& session) { seedRow(i, session.record, false); },
        [&](std::size_t i, const RunRecord& finished) { seedRow(i, finished, true); });
    const PlanResult result = runPlan(plan, o.workspace, featureSource(o.features, data, texts), observer);
    if (result.cancelled) {
        printCancelled(result.cancelledRun, fmt::format("repeats interrupted after {} of {} runs", result.cancelledAt, o.repeats));
        return kInterrupted;
    }
    const std::optional<RunRecord> last =
        result.saved.empty() ? result.skipped.back() : result.saved.back().record; // all seeds may have finished before
    const json summaryJson{{"val", repeatsSummary(runs, "val")}, {"test", repeatsSummary(runs, "test")}};
    warnLeakage(last->leakage); // one split, so one leakage report
    if (o.json) {
        std::cout << json{{"repeat", groupId}, {"runs", runs}, {"summary", summaryJson}}.dump(2) << "\n";
        return kOk;
    }
    const auto meanSd = [&](const char* key) {
        const json& t = summaryJson.at("test");
        if (!t.contains(key))
            return std::string("-");
        return fmt::format("{:.4f} ± {:.4f}", t[key]["mean"].get<double>(), t[key]["sd"].get<double>());
    };
    fmt::print("mean ± sd (sample sd, n - 1) over {} seeds{}, test: f1 {}  accuracy {}  roc auc {}\n", runs.size(),
               o.cluster.shard.empty() ? "" : " of this task (runs --workspace lists the whole group)", meanSd("f1"),
               meanSd("accuracy"), meanSd("roc_auc"));
    return kOk;
}

// ---- sweep ----
struct SweepCliOptions {
    std::string features, workspace, grid;
    RunSettingFlags settings;
    ClusterFlags cluster;
    bool json = false;
};

int runSweep(const SweepCliOptions& o)
{
    std::ifstream in(o.grid);
    if (!in)
        throw Error(o.grid + ": cannot be opened for reading");
    std::stringstream ss;
    ss << in.rdbuf();
    RunPlan plan = sweepPlan(expandSweep(ss.str(), o.grid), {.options = trainOptionsOf(o.settings)});
    applyClusterFlags(plan, o.cluster, ss.str(), o.features);
    if (o.cluster.sbatch)
        return printJobArray(plan.groupId, plan.totalRuns, o.cluster, o.features, o.workspace, "headbench-sweep", "sweep");
    const bool texts = plan.runs.front().options.leakage.method != LeakageOptions::Method::Off;
    const auto data = std::make_shared<const FeatureSet>(readFeatureFile(
        o.features, {.loadTexts = texts, .requireTwoClasses = true, .featureSet = plan.runs.front().featureSet, .hashWhileReading = hashCacheDir(o.workspace)}));
    if (const auto problems = planProblems(plan, data->numClasses()); !problems.empty())
        throw Error(o.grid + ": " + problems.front());
    for (const PlannedRun& p : plan.runs) // every feature set named must exist before the first run
        if (!p.featureSet.empty() && std::none_of(data->featureSets.begin(), data->featureSets.end(),
                                                  [&](const FeatureSetInfo& f) { return f.name == p.featureSet; }))
            throw Error(fmt::format("{}: feature_set '{}' is not in {} (inspect lists its sets)", o.grid, p.featureSet, o.features));
    for (const std::string& warning : planWarnings(plan)) // e.g. L-BFGS probes that differ only in lr
        fmt::print(stderr, "warning: {}\n", warning);
    const std::string& sweepId = plan.groupId;
    const auto start = std::chrono::steady_clock::now();
    json runs = json::array();
    if (!o.json) {
        const std::string shard = o.cluster.shard.empty() ? std::string()
                                                          : fmt::format(" (task {} of the {})", o.cluster.shard,
                                                                        plural(plan.totalRuns, "point"));
        fmt::print("{}{} in {}\n{:>4}  {:<56} {:>8} {:>8} {:>7}\n", plural(plan.runs.size(), "run"), shard, sweepId, "#",
                   "params", "val f1", "test f1", "s");
    }
    const auto pointJson = [&](std::size_t i, const RunRecord& rec, bool resumed) {
        const PlannedRun& point = plan.runs[i];
        runs.push_back({{"run", rec.id}, {"dir", rec.dir}, {"point", point.point}, {"params", json::parse(point.params)},
                        {"summary", summary(point.spec)}, {"seconds", rec.seconds},
                        {"train_fraction", rec.trainFraction}, {"train_rows", rec.trainRows},
                        {"resumed", resumed}, {"metrics", valTestMetricsJson(rec)}});
        if (!o.json)
            fmt::print("{:>4}  {:<56} {:>8} {:>8} {:>7}\n", point.point + 1, point.params.substr(0, 56),
                       fmtMetric(rec.validation.f1), fmtMetric(rec.test.f1),
                       resumed ? std::string("done") : fmt::format("{:.1f}", rec.seconds));
    };
    CliPlanObserver observer(
        true, [&](std::size_t i, const RunSessionResult& session) { pointJson(i, session.record, false); },
        [&](std::size_t i, const RunRecord& finished) { pointJson(i, finished, true); });
    const PlanResult result = runPlan(plan, o.workspace, featureSource(o.features, data, texts), observer);
    if (result.cancelled) {
        printCancelled(result.cancelledRun, fmt::format("sweep interrupted after {} of {} runs", result.cancelledAt, plan.runs.size()));
        return kInterrupted;
    }
    const auto& points = plan.runs;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.json)
        std::cout << json{{"sweep", sweepId}, {"points", plan.totalRuns}, {"runs", runs}, {"skipped", result.skipped.size()},
                          {"interrupted_marked", result.interruptedMarked}, {"seconds", seconds}}
                         .dump(2)
                  << "\n";
    else
        fmt::print("{} trained in {:.1f} s{}\n", plural(points.size() - result.skipped.size(), "run"), seconds,
                   result.skipped.empty() ? std::string()
                                          : fmt::format("; {} had finished before under this sweep id", plural(result.skipped.size(), "point")));
    return kOk;
}

} // namespace

void registerTrainCommands(CLI::App& app, int& exitCode)
{
    auto tr = std::make_shared<TrainCliOptions>();
    auto* cTr = app.add_subcommand("train", "Train a head on a feature file and save the run in a workspace");
    cTr->add_option("--features", tr->features, "Feature file (.h5)")->required();
    cTr->add_option("--feature-set", tr->featureSet,
                    "Feature set of a file with several (layer, pooling) sets, e.g. layer6.mean (inspect lists them); "
                    "default: the file's default set");
    cTr->add_option("--workspace", tr->workspace, "Workspace folder (runs are saved under runs/)")->required();
    cTr->add_option("--head", tr->headFile, "Head spec JSON; the options below override its fields");
    cTr->add_option("--name", tr->name, "Run name (default: the head summary, a sweep point's fields and values, the feature file, e.g. \"1x256 relu, ce · lr=0.001 · demo.h5\")");
    cTr->add_option("--depth", tr->depth, "Hidden layers (0 = linear probe)")->check(CLI::Range(0, 8));
    cTr->add_option("--width", tr->width, "Width of every hidden layer")->check(CLI::Range(1, 65536));
    cTr->add_option("--hidden", tr->hidden, "Widths per hidden layer, e.g. 512,256");
    cTr->add_option("--activation", tr->activation, "relu, gelu, tanh, silu, leaky_relu");
    cTr->add_option("--dropout", tr->dropout, "Dropout after each hidden layer");
    cTr->add_option("--norm", tr->norm, "none, layernorm, batchnorm");
    cTr->add_option("--loss", tr->loss, "ce, bce, focal");
    cTr->add_option("--focal-gamma", tr->focalGamma, "Focusing parameter of the focal loss");
    cTr->add_option("--class-weights", tr->classWeights, "auto, none, or one weight per class (e.g. 1,3)");
    cTr->add_option("--label-smoothing", tr->labelSmoothing, "Label smoothing in [0, 1)");
    cTr->add_option("--optimizer", tr->optimizer, "auto (lbfgs for depth 0, else adamw), lbfgs, adam, adamw, sgd");
    cTr->add_option("--l2", tr->l2, "L2 penalty of the lbfgs probe: auto (picked on the validation split) or a value");
    // Callbacks, not a flag bound to the optional: only a given flag may set it.
    auto* standardizeOn = cTr->add_flag_callback("--standardize", [tr] { tr->standardize = true; },
                                                 "Z-score inputs with the training split's statistics (default: on for lbfgs)");
    cTr->add_flag_callback("--no-standardize", [tr] { tr->standardize = false; }, "Do not z-score the inputs")
        ->excludes(standardizeOn);
    cTr->add_option("--lr", tr->lr, "Learning rate");
    cTr->add_option("--weight-decay", tr->weightDecay, "Weight decay");
    cTr->add_option("--momentum", tr->momentum, "Momentum (sgd)");
    cTr->add_option("--schedule", tr->schedule, "constant, cosine, step");
    cTr->add_option("--step-size", tr->stepSize, "Epochs between decays (step schedule)");
    cTr->add_option("--epochs", tr->epochs, "Epochs");
    cTr->add_option("--batch-size", tr->batchSize, "Batch size");
    cTr->add_option("--early-stopping", tr->earlyStopping, "none, val_loss, val_f1, val_accuracy, val_roc_auc");
    cTr->add_option("--patience", tr->patience, "Epochs without improvement before stopping");
    cTr->add_option("--seed", tr->seed, "Seed for initialisation, shuffling and the split")->check(kSeedNumber);
    addRunSettingFlags(cTr, tr->settings);
    cTr->add_option("--cv", tr->cv,
                    "Also K-fold cross-validate on the training and validation rows (test untouched): per-fold "
                    "metrics, mean and sd, out-of-fold probabilities (cv.json, oof.csv; see label-issues)")
        ->check(CLI::Range(2, 100));
    cTr->add_option("--repeats", tr->repeats,
                    "Train the head with N seeds (--seed, --seed + 1, ...: initialisation and shuffling; one split) "
                    "and report the mean and sample sd of the metrics")
        ->check(CLI::Range(1, 1000));
    addClusterFlags(cTr, tr->cluster, "seeds of --repeats");
    cTr->add_flag("--json", tr->json, "Print one JSON object with the run id, folder and metrics");
    cTr->callback([tr, &exitCode] { exitCode = runTrain(*tr); });

    auto gRun = std::make_shared<std::string>();
    auto gWorkspace = std::make_shared<std::string>();
    auto gId = std::make_shared<std::string>();
    auto* cGather = app.add_subcommand(
        "gather", "Assemble cv.json and oof.csv of a cross-validation trained as a job array (train --cv K --shard I/N), "
                  "once its folds and run have landed");
    cGather->add_option("run", *gRun, "The cross-validated run's folder (or --workspace and --sweep-id)");
    cGather->add_option("--workspace", *gWorkspace, "Workspace of the job array");
    cGather->add_option("--sweep-id", *gId, "The cross-validation's id (as --sbatch printed it)");
    cGather->callback([gRun, gWorkspace, gId, &exitCode] {
        std::string workspace = *gWorkspace, id = *gId;
        if (!gRun->empty()) {
            const RunRecord rec = loadRun(*gRun);
            if (rec.sweepId.empty())
                throw Error(*gRun + ": not a run of a cross-validation job array (it has no group id)");
            workspace = fs::path(*gRun).parent_path().parent_path().string();
            id = rec.sweepId;
        } else if (workspace.empty() || id.empty()) {
            throw Error("gather needs a run folder, or --workspace and --sweep-id");
        }
        const GatherResult g = gatherCrossValidation(workspace, id);
        if (g.gathered) {
            fmt::print("{}: cv.json and oof.csv {} {}\n", id, g.alreadyGathered ? "were already in" : "written into", g.runDir);
            exitCode = kOk;
            return;
        }
        std::vector<int> missing;
        for (int f : g.missingFolds)
            missing.push_back(f + 1);
        throw Error(fmt::format("{}: not complete yet: {}{}", id,
                                missing.empty() ? std::string() : fmt::format("folds {} of {} missing", fmt::join(missing, ", "), g.k),
                                g.runDir.empty() ? std::string(missing.empty() ? "" : "; ") + "the run has not finished" : std::string()));
    });

    auto sw = std::make_shared<SweepCliOptions>();
    auto* cSw = app.add_subcommand("sweep", "Train every head of a grid or of random draws, one after the other");
    cSw->add_option("--features", sw->features, "Feature file (.h5)")->required();
    cSw->add_option("--workspace", sw->workspace, "Workspace folder")->required();
    cSw->add_option("--grid", sw->grid, "Sweep definition JSON (grid or random; see docs/FORMAT.md)")->required();
    addRunSettingFlags(cSw, sw->settings); // as train: split mode, leakage check, calibration for every point
    addClusterFlags(cSw, sw->cluster, "points");
    cSw->add_flag("--json", sw->json, "Print the sweep's runs as JSON");
    cSw->callback([sw, &exitCode] { exitCode = runSweep(*sw); });
}

} // namespace headbench::cli
