#include "Commands.h"

#include "ProgressBar.h"

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/data/Leakage.h>
#include <headbench/extract/Extractor.h>
#include <headbench/runs/Bootstrap.h>
#include <headbench/runs/Compare.h>
#include <headbench/runs/RunStore.h>
#include <headbench/train/CrossValidation.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/RunSession.h>
#include <headbench/train/Sweep.h>
#include <headbench/train/Trainer.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <ctime>
#include <optional>

namespace headbench::cli {

std::atomic<bool> g_interrupted{false};

namespace {

using nlohmann::json;
namespace fs = std::filesystem;


void onSignal(int)
{
    g_interrupted = true;
}

void installSignalHandlers()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

json number(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json metricsJson(const Metrics& m)
{
    return json::parse(metricsToJson(m));
}

std::string fmtMetric(double v)
{
    return std::isfinite(v) ? fmt::format("{:.4f}", v) : std::string("-");
}

std::string fmtInterval(const Interval& i)
{
    return i.valid() ? fmt::format("[{:.3f}, {:.3f}]", i.low, i.high) : std::string("-");
}

/// Metrics side by side; a column with bootstrap intervals is followed by a "95% CI" column.
void printMetricsTable(const std::vector<std::pair<std::string, const Metrics*>>& columns)
{
    fmt::print("{:<11}", "");
    for (const auto& [name, m] : columns) {
        fmt::print("{:>12}", name);
        if (m->ci)
            fmt::print("{:>18}", fmt::format("{:.0f}% CI", m->ci->level * 100));
    }
    fmt::print("\n");
    for (const MetricField& f : metricFields()) {
        fmt::print("{:<11}", f.json);
        for (const auto& [name, m] : columns) {
            fmt::print("{:>12}", fmtMetric(m->*f.value));
            if (m->ci)
                fmt::print("{:>18}", fmtInterval((*m->ci).*f.interval));
        }
        fmt::print("\n");
    }
    fmt::print("{:<11}", "loss");
    for (const auto& [name, m] : columns)
        fmt::print("{:>12}{:>{}}", fmtMetric(m->loss), "", m->ci ? 18 : 0);
    fmt::print("\n");
}

void printConfusion(const Metrics& m, const std::vector<std::string>& names)
{
    fmt::print("confusion (rows: true, columns: predicted)\n{:<14}", "");
    for (const auto& n : names)
        fmt::print("{:>12}", n.substr(0, 11));
    fmt::print("\n");
    for (std::size_t r = 0; r < m.confusion.size(); ++r) {
        fmt::print("{:<14}", names[r].substr(0, 13));
        for (auto c : m.confusion[r])
            fmt::print("{:>12}", c);
        fmt::print("\n");
    }
}

// ---- demo ----
struct DemoOptions {
    std::string out;
    std::size_t n = 2400;
    std::uint64_t seed = 7;
    bool paired = false;
};

int runDemo(const DemoOptions& o)
{
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec)
        throw Error(o.out + ": cannot create the folder (" + ec.message() + ")");
    const Dataset data = generateDemoDataset(o.n, o.seed, o.paired);
    const std::string path = (fs::path(o.out) / (o.paired ? "demo-pairs.jsonl" : "demo.jsonl")).string();
    FieldMap fields;
    fields.group = "pair";
    writeJsonl(data, path, fields);
    std::int64_t vulnerable = 0;
    for (auto l : data.labels)
        vulnerable += l;
    fmt::print("wrote {} ({} functions: {} vulnerable, {} safe{})\n", path, data.size(), vulnerable,
               static_cast<std::int64_t>(data.size()) - vulnerable,
               o.paired ? "; each pair, before and after its fix, shares the field \"pair\"" : "");
    return kOk;
}

// ---- inspect ----
int runInspect(const std::string& path, bool asJson)
{
    const FeatureSet set = readFeatureFile(path, {.loadTexts = true});
    const FeatureSummary s = summarize(set);
    const DuplicateSummary dups = findDuplicates(set);
    std::vector<std::string> emptyClasses;
    for (std::size_t k = 0; k < s.labelNames.size(); ++k)
        if (s.classCounts[k] == 0)
            emptyClasses.push_back(s.labelNames[k]);
    if (asJson) {
        json classes = json::array();
        for (std::size_t k = 0; k < s.labelNames.size(); ++k)
            classes.push_back({{"name", s.labelNames[k]}, {"count", s.classCounts[k]}});
        json j{{"file", path}, {"rows", s.rows}, {"dim", s.dim}, {"backbone", s.backbone}, {"classes", classes},
               {"has_text", s.hasTexts}, {"has_ids", s.hasIds}};
        j["split"] = s.hasSplit ? json{{"train", s.splitCounts[0]}, {"validation", s.splitCounts[1]}, {"test", s.splitCounts[2]}}
                                : json(nullptr);
        j["split_source"] = s.splitSource.empty() ? json(nullptr) : json(s.splitSource);
        j["groups"] = s.hasGroups ? json(s.groupCount) : json(nullptr);
        j["duplicates"] = {{"rows", dups.duplicateRows}, {"conflicting_labels", dups.conflictingLabels},
                           {"by", dups.byText ? "text" : "features"}};
        j["empty_classes"] = emptyClasses;
        j["format_version"] = s.formatVersion;
        j["feature_sets"] = featureSetsJson(s);
        j["default_feature_set"] = s.defaultFeatureSet.empty() ? json(nullptr) : json(s.defaultFeatureSet);
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    fmt::print("file      {}\nrows      {}\ndim       {}\nbackbone  {}\n", path, s.rows, s.dim,
               s.backbone.empty() ? "(not recorded)" : s.backbone);
    fmt::print("classes   {}\n", s.labelNames.size());
    for (std::size_t k = 0; k < s.labelNames.size(); ++k)
        fmt::print("  {:>3} {:<20} {:>8} ({:.1f}%)\n", k, s.labelNames[k], s.classCounts[k],
                   100.0 * static_cast<double>(s.classCounts[k]) / static_cast<double>(s.rows));
    if (!emptyClasses.empty())
        fmt::print("          {} {} no rows: {} (macro averages leave {} out)\n", emptyClasses.size(),
                   emptyClasses.size() == 1 ? "class has" : "classes have", fmt::join(emptyClasses, ", "),
                   emptyClasses.size() == 1 ? "it" : "them");
    if (s.hasSplit)
        fmt::print("split     train {}, validation {}, test {}{}\n", s.splitCounts[0], s.splitCounts[1], s.splitCounts[2],
                   s.splitSource.empty() ? "" : " (from " + s.splitSource + ")");
    else if (s.hasGroups)
        fmt::print("split     none stored (training makes a seeded 80/10/10 split by group)\n");
    else
        fmt::print("split     none stored (training makes a seeded, stratified 80/10/10 split)\n");
    if (s.hasGroups)
        fmt::print("groups    {} distinct\n", s.groupCount);
    fmt::print("duplicates {} {} repeat an earlier row's {}; {} {} a text that also occurs with another label\n",
               dups.duplicateRows, dups.duplicateRows == 1 ? "row" : "rows", dups.byText ? "text (comments and whitespace ignored)" : "features",
               dups.conflictingLabels, dups.conflictingLabels == 1 ? "row has" : "rows have");
    fmt::print("text      {}\nids       {}\n", s.hasTexts ? "yes" : "no", s.hasIds ? "yes" : "no");
    printFeatureSets(s);
    return kOk;
}

// ---- train ----
struct TrainCliOptions {
    std::string features, featureSet, workspace, headFile, name;
    std::optional<int> depth, width, batchSize, epochs, patience, stepSize;
    std::optional<std::string> hidden, activation, norm, loss, optimizer, schedule, earlyStopping, classWeights;
    std::optional<double> dropout, focalGamma, labelSmoothing, lr, weightDecay, momentum;
    std::optional<std::uint64_t> seed;
    std::string split = "auto", leakage = "auto";
    std::optional<double> nearThreshold;
    std::optional<std::string> l2;
    std::optional<bool> standardize;
    int cv = 0; ///< folds of cross-validation besides the run's own head; 0 for none
    int repeats = 1; ///< seeds to train the spec with (spec.seed, spec.seed + 1, ...), on one split
    std::string calibrate = "none"; ///< post-hoc calibration of the run's head (none, temperature)
    double trainFraction = 1.0; ///< learning curves: fit on this nested, stratified part of the training split
    bool json = false;
};

/// The split, leakage and calibration settings of train.
TrainOptions trainOptionsOf(const TrainCliOptions& o)
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

/// "20261128-193000": the UTC time that names a sweep or a group of repeats.
std::string utcStamp()
{
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
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
    if (o.l2) {
        if (*o.l2 == "auto") {
            spec.l2.reset();
        } else {
            try {
                std::size_t used = 0;
                spec.l2 = std::stod(*o.l2, &used);
                if (used != o.l2->size())
                    throw std::invalid_argument("trailing text");
            } catch (const std::exception&) {
                throw Error("--l2: '" + *o.l2 + "' is not a number (expected auto or e.g. 0.001)");
            }
        }
    }
    if (o.standardize) spec.standardize = *o.standardize;
    if (o.schedule) spec.schedule = parseEnum<Schedule>(*o.schedule);
    if (o.earlyStopping) spec.earlyStopping = parseEnum<StopMetric>(*o.earlyStopping);
    if (o.classWeights) {
        spec.autoClassWeights = *o.classWeights == "auto";
        spec.classWeights.clear();
        if (*o.classWeights != "auto" && *o.classWeights != "none") {
            std::stringstream ss(*o.classWeights);
            std::string item;
            while (std::getline(ss, item, ','))
                try {
                    spec.classWeights.push_back(std::stod(item));
                } catch (const std::exception&) {
                    throw Error("--class-weights: '" + item + "' is not a number (expected auto, none or e.g. 1,3)");
                }
        }
    }
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
        if (!m_quiet && !isatty(STDERR_FILENO))
            fmt::print(stderr, "epoch {:>3}  {}  ({:.2f} s)\n", e.epoch, m_last, e.seconds);
    }
    bool shouldStop() override { return g_interrupted; }

private:
    int m_epochs;
    bool m_quiet;
    std::string m_last;
    ProgressBar m_bar{"train"};
};

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
            {"metrics", {{"val", metricsJson(rec.validation)}, {"test", metricsJson(rec.test)}}},
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

int runTrain(const TrainCliOptions& o)
{
    if (o.repeats > 1)
        return runRepeats(o);
    const HeadSpec spec = specFromOptions(o);
    const TrainOptions trainOptions = trainOptionsOf(o);
    // Texts are loaded for the leakage check (near duplicates by token shingles).
    const FeatureSet data = readFeatureFile(o.features, {.loadTexts = trainOptions.leakage.method != LeakageOptions::Method::Off,
                                                         .requireTwoClasses = true, .featureSet = o.featureSet});
    if (const auto problems = validate(spec, data.numClasses()); !problems.empty())
        throw Error(o.features + ": " + problems.front());
    CliTrainingObserver observer(plannedEpochs(spec), o.json);
    // --cv K: K more heads on the run's training and validation rows, for per-fold metrics and
    // out-of-fold probabilities (cv.json, oof.csv in the same run folder).
    if (o.cv > 0 && !o.json)
        fmt::print(stderr, "cross-validation: {} more heads on the training and validation rows\n", o.cv);
    const RunSessionResult session =
        runSession(data, spec, {.workspace = o.workspace, .name = o.name, .options = trainOptions, .cvFolds = o.cv}, &observer);
    if (session.outcome == RunOutcome::Cancelled) {
        printCancelled(session, "no run was saved");
        return kInterrupted;
    }
    const RunRecord& rec = session.record;
    const std::optional<CrossValidationResult>& cv = session.cv;
    if (o.json) {
        json j = trainRunJson(rec, spec);
        if (cv)
            j["cv"] = json::parse(crossValidationToJson(*cv));
        warnLeakage(rec.leakage);
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    if (resolvedOptimizer(spec) == Optimizer::Lbfgs) // one history entry per L2 penalty tried
        fmt::print("run {} saved in {}\n{}: {} parameters, L-BFGS, {} penalties tried (kept l2 {:.3g}), {:.1f} s\n", rec.id,
                   rec.dir, summary(spec), rec.parameters, rec.epochsRun,
                   rec.history[static_cast<std::size_t>(std::max(rec.bestEpoch, 1) - 1)].l2, rec.seconds);
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
    printMetricsTable({{"validation", &rec.validation}, {"test", &rec.test}});
    fmt::print("\ntest ");
    printConfusion(rec.test, data.labelNames);
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
    const HeadSpec base = specFromOptions(o);
    TrainOptions trainOptions = trainOptionsOf(o);
    trainOptions.splitSeed = base.seed; // the split stays the same for every seed
    const FeatureSet data = readFeatureFile(o.features, {.loadTexts = trainOptions.leakage.method != LeakageOptions::Method::Off,
                                                         .requireTwoClasses = true, .featureSet = o.featureSet});
    if (const auto problems = validate(base, data.numClasses()); !problems.empty())
        throw Error(o.features + ": " + problems.front());
    const std::string groupId = "repeat-" + utcStamp();
    if (!o.json)
        fmt::print("{} seeds of {} in {}\n{:>4}  {:>20}  {:>8} {:>8} {:>8} {:>7}\n", o.repeats, summary(base), groupId, "#",
                   "seed", "test f1", "acc", "roc auc", "s");
    json runs = json::array();
    std::optional<RunRecord> last;
    for (int i = 0; i < o.repeats; ++i) {
        HeadSpec spec = base;
        spec.seed = base.seed + static_cast<std::uint64_t>(i);
        const SweepTag tag{groupId, json{{"seed", spec.seed}}.dump()};
        CliTrainingObserver observer(plannedEpochs(spec), true);
        const RunSessionResult session =
            runSession(data, spec, {.workspace = o.workspace, .name = o.name, .tag = tag, .options = trainOptions}, &observer);
        if (session.outcome == RunOutcome::Cancelled) {
            printCancelled(session, fmt::format("repeats interrupted after {} of {} runs", i, o.repeats));
            return kInterrupted;
        }
        RunRecord rec = session.record;
        runs.push_back(trainRunJson(rec, spec));
        if (!o.json)
            fmt::print("{:>4}  {:>20}  {:>8} {:>8} {:>8} {:>7.1f}\n", i + 1, spec.seed, fmtMetric(rec.test.f1),
                       fmtMetric(rec.test.accuracy), fmtMetric(rec.test.rocAuc), rec.seconds);
        last = std::move(rec);
    }
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
    fmt::print("mean ± sd (sample sd, n - 1) over {} seeds, test: f1 {}  accuracy {}  roc auc {}\n", o.repeats,
               meanSd("f1"), meanSd("accuracy"), meanSd("roc_auc"));
    return kOk;
}

// ---- runs ----
int runRuns(const std::string& workspace, bool asJson)
{
    std::vector<std::string> problems;
    const auto runs = listRuns(workspace, &problems, /*includeUnfinished=*/true);
    for (const auto& p : problems)
        fmt::print(stderr, "skipped: {}\n", p);
    if (asJson) {
        json arr = json::array();
        for (const auto& r : runs)
            arr.push_back({{"run", r.id},
                           {"dir", r.dir},
                           {"name", r.name},
                           {"created", r.created},
                           {"status", r.status},
                           {"features_state", r.finished() ? (checkFeatures(r) == FeaturesState::Same ? "same"
                                                              : checkFeatures(r) == FeaturesState::Changed ? "changed" : "missing")
                                                           : "n/a"},
                           {"tags", r.tags},
                           {"sweep", r.sweepId.empty() ? json(nullptr) : json(r.sweepId)},
                           {"summary", summary(r.spec)},
                           {"backbone", r.backbone},
                           {"features", r.featuresPath},
                           {"best_epoch", r.bestEpoch},
                           {"parameters", r.parameters},
                           {"metrics", {{"val", metricsJson(r.validation)}, {"test", metricsJson(r.test)}}}});
        std::cout << arr.dump(2) << "\n";
        return kOk;
    }
    if (runs.empty()) {
        fmt::print("no runs in {}\n", workspace);
        return kOk;
    }
    fmt::print("{:<21} {:<12} {:<32} {:>6} {:>8} {:>8} {:>8} {:>8}\n", "run", "status", "head", "best", "val f1", "test f1",
               "test auc", "test ece");
    for (const auto& r : runs) {
        std::string status = r.status;
        if (r.finished() && checkFeatures(r) != FeaturesState::Same)
            status = checkFeatures(r) == FeaturesState::Missing ? "no-features" : "features-changed";
        fmt::print("{:<21} {:<12} {:<32} {:>6} {:>8} {:>8} {:>8} {:>8}\n", r.id, status, summary(r.spec).substr(0, 32),
                   r.finished() ? std::to_string(r.bestEpoch) : std::string("-"), fmtMetric(r.validation.f1),
                   fmtMetric(r.test.f1), fmtMetric(r.test.rocAuc), fmtMetric(r.test.ece));
    }
    return kOk;
}

// ---- eval ----
int runEval(const std::string& runDir, const std::string& features, const std::string& splitName, bool asJson,
            std::optional<double> thresholdOption)
{
    const RunRecord rec = loadRun(runDir);
    // --threshold, else the one saved with the run, else 0.5; only two classes have one.
    const double threshold = thresholdOption ? *thresholdOption : rec.threshold.value_or(0.5);
    if (thresholdOption && !(*thresholdOption > 0 && *thresholdOption < 1))
        throw Error(fmt::format("--threshold {}: expected a probability in (0, 1)", *thresholdOption));
    const TrainedHead head = loadRunHead(runDir);
    const FeatureSet data = readFeatureFile(features, {.loadTexts = false});
    if (data.dim != head.inputDim())
        throw Error(fmt::format("{}: {} features per row, but the head of run {} takes {}", features, data.dim, rec.id,
                                head.inputDim()));
    if (data.numClasses() != head.numClasses())
        throw Error(fmt::format("{}: {} classes, but the head of run {} predicts {}", features, data.numClasses(), rec.id,
                                head.numClasses()));
    int wanted = -1;
    if (splitName == "train") wanted = kTrain;
    else if (splitName == "validation") wanted = kValidation;
    else if (splitName == "test") wanted = kTest;
    if (wanted >= 0 && data.split.empty())
        throw Error(features + ": has no /split, so --split " + splitName + " cannot be applied (use --split all)");
    const auto probs = head.predictProba(data.features.data(), data.rows);
    std::vector<std::int32_t> labels;
    std::vector<float> selected;
    const int k = head.numClasses();
    for (std::int64_t r = 0; r < data.rows; ++r)
        if (wanted < 0 || data.split[static_cast<std::size_t>(r)] == wanted) {
            labels.push_back(data.labels[static_cast<std::size_t>(r)]);
            selected.insert(selected.end(), probs.begin() + r * k, probs.begin() + (r + 1) * k);
        }
    if (labels.empty())
        throw Error(features + ": no rows in split '" + splitName + "'");
    if (thresholdOption && k != 2)
        throw Error(fmt::format("--threshold: run {} has {} classes; a threshold applies to two", rec.id, k));
    Metrics m = computeMetrics(labels, selected, k, threshold);
    m.ci = bootstrapIntervals(labels, selected, k, threshold, {.seed = rec.spec.seed});
    if (asJson) {
        std::cout << json{{"run", rec.id}, {"features", features}, {"split", splitName}, {"threshold", threshold},
                          {"metrics", metricsJson(m)}}
                         .dump(2)
                  << "\n";
        return kOk;
    }
    fmt::print("run {} on {} ({}, {}{})\n", rec.id, features, splitName, plural(labels.size(), "row"),
               k == 2 ? fmt::format(", threshold {}", threshold) : std::string());
    printMetricsTable({{splitName, &m}});
    printConfusion(m, data.labelNames);
    return kOk;
}

// ---- sweep ----
struct SweepCliOptions {
    std::string features, workspace, grid;
    bool json = false;
};

int runSweep(const SweepCliOptions& o)
{
    std::ifstream in(o.grid);
    if (!in)
        throw Error(o.grid + ": cannot be opened for reading");
    std::stringstream ss;
    ss << in.rdbuf();
    const auto points = expandSweep(ss.str(), o.grid);
    FeatureSet data = readFeatureFile(o.features, {.loadTexts = true, .requireTwoClasses = true, .featureSet = points.front().featureSet});
    for (std::size_t i = 0; i < points.size(); ++i)
        if (const auto problems = validate(points[i].spec, data.numClasses()); !problems.empty())
            throw Error(fmt::format("{}: point {} ({}): {}", o.grid, i + 1, points[i].params, problems.front()));
    for (const SweepPoint& p : points) // every feature set named must exist before the first run
        if (!p.featureSet.empty() && std::none_of(data.featureSets.begin(), data.featureSets.end(),
                                                  [&](const FeatureSetInfo& f) { return f.name == p.featureSet; }))
            throw Error(fmt::format("{}: feature_set '{}' is not in {} (inspect lists its sets)", o.grid, p.featureSet, o.features));
    const std::string sweepId = "sweep-" + utcStamp();
    const auto start = std::chrono::steady_clock::now();
    json runs = json::array();
    if (!o.json)
        fmt::print("{} in {}\n{:>4}  {:<56} {:>8} {:>8} {:>7}\n", plural(points.size(), "run"), sweepId, "#", "params", "val f1", "test f1", "s");
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].featureSet != (i == 0 ? points[i].featureSet : points[i - 1].featureSet))
            data = readFeatureFile(o.features, {.loadTexts = true, .requireTwoClasses = true, .featureSet = points[i].featureSet});
        const SweepTag tag{sweepId, points[i].params};
        CliTrainingObserver observer(points[i].spec.epochs, true);
        TrainOptions options;
        options.trainFraction = points[i].trainFraction;
        const RunSessionResult session =
            runSession(data, points[i].spec, {.workspace = o.workspace, .tag = tag, .options = options}, &observer);
        if (session.outcome == RunOutcome::Cancelled) {
            printCancelled(session, fmt::format("sweep interrupted after {} of {} runs", i, points.size()));
            return kInterrupted;
        }
        const RunRecord& rec = session.record;
        runs.push_back({{"run", rec.id}, {"dir", rec.dir}, {"params", json::parse(points[i].params)},
                        {"summary", summary(points[i].spec)}, {"seconds", rec.seconds},
                        {"train_fraction", rec.trainFraction}, {"train_rows", rec.trainRows},
                        {"metrics", {{"val", metricsJson(rec.validation)}, {"test", metricsJson(rec.test)}}}});
        if (!o.json)
            fmt::print("{:>4}  {:<56} {:>8} {:>8} {:>7.1f}\n", i + 1, points[i].params.substr(0, 56), fmtMetric(rec.validation.f1),
                       fmtMetric(rec.test.f1), rec.seconds);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.json)
        std::cout << json{{"sweep", sweepId}, {"runs", runs}, {"seconds", seconds}}.dump(2) << "\n";
    else
        fmt::print("{} in {:.1f} s\n", plural(points.size(), "run"), seconds);
    return kOk;
}

// ---- compare ----
int runCompare(const std::vector<std::string>& dirs, bool asJson)
{
    if (dirs.size() < 2)
        throw Error("compare needs two or more run folders");
    std::vector<RunRecord> runs;
    std::vector<HeadSpec> specs;
    for (const auto& d : dirs) {
        runs.push_back(loadRun(d));
        specs.push_back(runs.back().spec);
    }
    const auto differences = diffSpecs(specs);
    json mcnemarJson = nullptr;
    std::optional<McNemarResult> test;
    std::string mcnemarSplit;
    std::optional<PairedDifferences> metricDiffs; // second run minus first, on the McNemar split
    if (runs.size() == 2) {
        const RunPredictions a = loadPredictions(dirs[0]), b = loadPredictions(dirs[1]);
        PairedOutcomes paired = pairOutcomes(a, b, kTest);
        mcnemarSplit = "test";
        if (paired.rows.empty()) {
            paired = pairOutcomes(a, b, kValidation);
            mcnemarSplit = "validation";
        }
        test = mcnemar(paired.firstCorrect, paired.secondCorrect);
        metricDiffs = pairedDifferences(a, b, mcnemarSplit == "test" ? kTest : kValidation);
        mcnemarJson = {{"split", mcnemarSplit},
                       {"samples", paired.rows.size()},
                       {"statistic", test->statistic},
                       {"p_value", test->pValue},
                       {"exact", test->exact},
                       {"only_first_correct", test->onlyFirstCorrect},
                       {"only_second_correct", test->onlySecondCorrect},
                       {"both_correct", test->bothCorrect},
                       {"both_wrong", test->bothWrong}};
    }
    if (asJson) {
        json j;
        j["runs"] = json::array();
        for (const auto& r : runs)
            j["runs"].push_back({{"run", r.id}, {"dir", r.dir}, {"name", r.name}, {"summary", summary(r.spec)},
                                 {"parameters", r.parameters}, {"seconds", r.seconds}, {"best_epoch", r.bestEpoch},
                                 {"metrics", {{"val", metricsJson(r.validation)}, {"test", metricsJson(r.test)}}}});
        j["differences"] = json::array();
        for (const auto& d : differences) {
            json values = json::array();
            for (const auto& v : d.values)
                values.push_back(json::parse(v));
            j["differences"].push_back({{"field", d.field}, {"values", values}});
        }
        j["mcnemar"] = mcnemarJson;
        j["paired"] = nullptr;
        if (metricDiffs) {
            json paired{{"split", mcnemarSplit},
                        {"samples", metricDiffs->samples},
                        {"resamples", metricDiffs->resamples},
                        {"level", metricDiffs->level},
                        {"seed", metricDiffs->seed}};
            for (const MetricField& f : metricFields()) {
                const PairedDifference& d = (*metricDiffs).*f.paired;
                paired[f.json] = {{"diff", number(d.diff)},
                                  {"ci", d.ci.valid() ? json::array({d.ci.low, d.ci.high}) : json(nullptr)}};
            }
            j["paired"] = std::move(paired);
        }
        std::cout << j.dump(2) << "\n";
        return kOk;
    }
    std::vector<std::pair<std::string, const Metrics*>> columns;
    for (const auto& r : runs)
        columns.emplace_back(r.id.substr(r.id.size() - 11), &r.test);
    fmt::print("test metrics\n");
    printMetricsTable(columns);
    fmt::print("\nspec differences\n");
    if (differences.empty())
        fmt::print("  (none: the runs share one head spec)\n");
    for (const auto& d : differences) {
        fmt::print("  {:<16}", d.field);
        for (const auto& v : d.values)
            fmt::print(" {:>14}", v);
        fmt::print("\n");
    }
    if (test)
        fmt::print("\nMcNemar on the {} split: {} only first right, {} only second right; statistic {:.4g}, p = {:.4g} ({})\n",
                   mcnemarSplit, test->onlyFirstCorrect, test->onlySecondCorrect, test->statistic, test->pValue,
                   test->exact ? "exact binomial" : "chi-squared with continuity correction");
    if (metricDiffs) {
        fmt::print("\npaired differences on the {} split (second run minus first, {:.0f}% paired-bootstrap interval, "
                   "{} resamples)\n",
                   mcnemarSplit, metricDiffs->level * 100, metricDiffs->resamples);
        for (const MetricField& f : metricFields()) {
            const PairedDifference& d = (*metricDiffs).*f.paired;
            if (!std::isfinite(d.diff))
                continue;
            fmt::print("  {:<10} {:>+8.4f}  {:<20}{}\n", f.json, d.diff, fmtInterval(d.ci),
                       d.ci.valid() && (d.ci.low > 0 || d.ci.high < 0) ? "excludes 0" : "");
        }
    }
    return kOk;
}

int g_exitCode = kOk;

} // namespace

void registerCommands(CLI::App& app)
{
    installSignalHandlers();
    app.require_subcommand(1);

    auto demo = std::make_shared<DemoOptions>();
    auto* cDemo = app.add_subcommand("demo", "Write the built-in demo dataset (C functions, vulnerable or safe) as JSONL");
    cDemo->add_option("--out", demo->out, "Folder to write demo.jsonl into")->required();
    cDemo->add_option("--n", demo->n, "Number of functions")->capture_default_str()->check(CLI::Range(10, 10000000));
    cDemo->add_option("--seed", demo->seed, "Generator seed")->capture_default_str();
    cDemo->add_flag("--paired", demo->paired,
                    "Functions in pairs, before and after a fix, sharing a \"pair\" field (writes demo-pairs.jsonl)");
    cDemo->callback([demo] { g_exitCode = runDemo(*demo); });

    registerExtractCommands(app, g_exitCode);
    registerQualityCommands(app, g_exitCode);
    registerRankCommands(app, g_exitCode);
    registerTokenizeCommand(app, g_exitCode);

    auto inspectPath = std::make_shared<std::string>();
    auto inspectJson = std::make_shared<bool>(false);
    auto* cIn = app.add_subcommand("inspect", "Summarise a feature file: rows, dimension, classes, splits, backbone");
    cIn->add_option("file", *inspectPath, "Feature file (.h5)")->required();
    cIn->add_flag("--json", *inspectJson, "Print the summary as JSON");
    cIn->callback([inspectPath, inspectJson] { g_exitCode = runInspect(*inspectPath, *inspectJson); });

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
    cTr->add_option("--seed", tr->seed, "Seed for initialisation, shuffling and the split");
    cTr->add_option("--train-fraction", tr->trainFraction,
                    "Fit on this fraction of the training split (nested and stratified, from the split's seed; "
                    "validation and test unchanged): one point of a learning curve")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cTr->add_option("--split", tr->split,
                    "auto: the file's /split, else by /groups, else random; file; random (stratified); group")
        ->check(CLI::IsMember({"auto", "file", "random", "group"}))
        ->capture_default_str();
    cTr->add_option("--leakage", tr->leakage,
                    "Leakage check: auto (text when the file has it), text (token-shingle Jaccard), features (cosine of "
                    "centred features), off")
        ->check(CLI::IsMember({"auto", "text", "features", "off"}))
        ->capture_default_str();
    cTr->add_option("--near-threshold", tr->nearThreshold,
                    "Similarity from which a training row is a near duplicate (default 0.8 Jaccard, 0.95 cosine)");
    cTr->add_option("--cv", tr->cv,
                    "Also K-fold cross-validate on the training and validation rows (test untouched): per-fold "
                    "metrics, mean and sd, out-of-fold probabilities (cv.json, oof.csv; see label-issues)")
        ->check(CLI::Range(2, 100));
    cTr->add_option("--repeats", tr->repeats,
                    "Train the head with N seeds (--seed, --seed + 1, ...: initialisation and shuffling; one split) "
                    "and report the mean and sample sd of the metrics")
        ->check(CLI::Range(1, 1000));
    cTr->add_option("--calibrate", tr->calibrate,
                    "After training, temperature: fit one temperature T on the validation split (softmax(logits / "
                    "T)); metrics, predictions.csv and head.pt are then calibrated. none: off")
        ->check(CLI::IsMember({"none", "temperature"}))
        ->capture_default_str();
    cTr->add_flag("--json", tr->json, "Print one JSON object with the run id, folder and metrics");
    cTr->callback([tr] { g_exitCode = runTrain(*tr); });

    auto runsWs = std::make_shared<std::string>();
    auto runsJson = std::make_shared<bool>(false);
    auto* cRuns = app.add_subcommand("runs", "List the saved runs of a workspace with their key metrics");
    cRuns->add_option("--workspace", *runsWs, "Workspace folder")->required();
    cRuns->add_flag("--json", *runsJson, "Print the runs as JSON");
    cRuns->callback([runsWs, runsJson] { g_exitCode = runRuns(*runsWs, *runsJson); });

    auto evRun = std::make_shared<std::string>();
    auto evFeatures = std::make_shared<std::string>();
    auto evSplit = std::make_shared<std::string>("all");
    auto evJson = std::make_shared<bool>(false);
    auto* cEv = app.add_subcommand("eval", "Apply a saved head to a feature file and report its metrics");
    cEv->add_option("--run", *evRun, "Run folder")->required();
    cEv->add_option("--features", *evFeatures, "Feature file (.h5)")->required();
    cEv->add_option("--split", *evSplit, "Rows to evaluate: all, train, validation, test")
        ->check(CLI::IsMember({"all", "train", "validation", "test"}))
        ->capture_default_str();
    auto evThreshold = std::make_shared<std::optional<double>>();
    cEv->add_option("--threshold", *evThreshold,
                    "Decision threshold on p(class 1) for two classes (default: the run's saved threshold, else 0.5)");
    cEv->add_flag("--json", *evJson, "Print the metrics as JSON");
    cEv->callback([evRun, evFeatures, evSplit, evJson, evThreshold] {
        g_exitCode = runEval(*evRun, *evFeatures, *evSplit, *evJson, *evThreshold);
    });

    auto sw = std::make_shared<SweepCliOptions>();
    auto* cSw = app.add_subcommand("sweep", "Train every head of a grid or of random draws, one after the other");
    cSw->add_option("--features", sw->features, "Feature file (.h5)")->required();
    cSw->add_option("--workspace", sw->workspace, "Workspace folder")->required();
    cSw->add_option("--grid", sw->grid, "Sweep definition JSON (grid or random; see docs/FORMAT.md)")->required();
    cSw->add_flag("--json", sw->json, "Print the sweep's runs as JSON");
    cSw->callback([sw] { g_exitCode = runSweep(*sw); });

    auto cmpDirs = std::make_shared<std::vector<std::string>>();
    auto cmpJson = std::make_shared<bool>(false);
    auto* cCmp = app.add_subcommand("compare", "Compare runs: metrics, spec differences, McNemar's test for two");
    cCmp->add_option("runs", *cmpDirs, "Run folders (two or more)")->required()->expected(2, -1);
    cCmp->add_flag("--json", *cmpJson, "Print the comparison as JSON");
    cCmp->callback([cmpDirs, cmpJson] { g_exitCode = runCompare(*cmpDirs, *cmpJson); });
}

int lastExitCode();
int lastExitCode()
{
    return g_exitCode;
}

} // namespace headbench::cli
