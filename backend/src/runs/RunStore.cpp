#include <headbench/runs/RunStore.h>

#include "RunJson.h"
#include "core/JsonErrors.h"
#include "core/JsonNumbers.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/CsvReader.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/eval/Bootstrap.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <functional>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

namespace headbench {
namespace fs = std::filesystem;
namespace runstore {

using nlohmann::json;

json number(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}
double numberOf(const json& j, const char* key)
{
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return std::numeric_limits<double>::quiet_NaN();
    if (!it->is_number())
        throw JsonFieldProblem(std::string("'") + key + "' is " + it->type_name() + ", expected a number");
    return it->get<double>();
}

json metricsJson(const Metrics& m)
{
    json j{{"count", m.count}, {"loss", number(m.loss)}, {"confusion", m.confusion}};
    for (const MetricField& f : metricFields())
        j[f.json] = number(m.*f.value);
    if (m.ci) {
        json ci = json::object();
        for (const MetricField& f : metricFields()) {
            const Interval& i = (*m.ci).*f.interval;
            ci[f.json] = i.valid() ? json::array({i.low, i.high}) : json(nullptr);
        }
        j["ci"] = std::move(ci);
        j["bootstrap"] = {{"resamples", m.ci->resamples}, {"level", m.ci->level}, {"seed", m.ci->seed},
                          {"stratified", "within each true class"}};
    }
    return j;
}

/// Intervals saved with the metrics; runs saved before they existed have none.
std::optional<MetricIntervals> intervalsFromJson(const json& j)
{
    const auto it = j.find("ci");
    if (it == j.end() || !it->is_object())
        return std::nullopt;
    MetricIntervals ci;
    for (const MetricField& f : metricFields()) {
        const auto v = it->find(f.json);
        if (v != it->end() && v->is_array() && v->size() == 2 && v->at(0).is_number() && v->at(1).is_number())
            ci.*f.interval = {v->at(0).get<double>(), v->at(1).get<double>()};
    }
    const json bootstrap = j.value("bootstrap", json::object());
    ci.resamples = wholeValue(bootstrap, "resamples", 0);
    ci.level = bootstrap.value("level", 0.95);
    ci.seed = wholeValue(bootstrap, "seed", std::uint64_t{0});
    return ci;
}

/// The confusion matrix as saved (rows true, columns predicted): counts, never negative.
std::vector<std::vector<std::int64_t>> confusionOf(const json& j)
{
    std::vector<std::vector<std::int64_t>> out;
    const auto it = j.find("confusion");
    if (it == j.end() || it->is_null())
        return out;
    for (const json& row : it->get_ref<const json::array_t&>()) {
        out.emplace_back();
        for (const json& cell : row.get_ref<const json::array_t&>()) {
            const auto n = wholeNumber<std::int64_t>(cell, "a confusion count");
            if (n < 0)
                throw json::type_error::create(302, "a confusion count must not be negative", &cell);
            out.back().push_back(n);
        }
    }
    return out;
}

Metrics metricsFromJson(const json& j)
{
    Metrics m;
    m.count = wholeValue(j, "count", 0LL);
    for (const MetricField& f : metricFields()) {
        m.*f.value = numberOf(j, f.json);
        if (m.*f.value < 0 || m.*f.value > 1) // every one of them is a fraction
            throw JsonFieldProblem(fmt::format("'{}' {} is outside [0, 1]", f.json, m.*f.value));
    }
    m.loss = numberOf(j, "loss");
    if (m.loss < 0)
        throw JsonFieldProblem(fmt::format("'loss' {} is negative", m.loss));
    m.confusion = confusionOf(j);
    m.ci = intervalsFromJson(j);
    return m;
}

json historyJson(const std::vector<EpochStats>& history)
{
    json arr = json::array();
    for (const auto& e : history) {
        arr.push_back({{"epoch", e.epoch}, {"train_loss", number(e.trainLoss)}, {"val_loss", number(e.valLoss)},
                       {"val_accuracy", number(e.valAccuracy)}, {"val_f1", number(e.valF1)},
                       {"val_roc_auc", number(e.valRocAuc)}, {"lr", e.learningRate}, {"seconds", e.seconds}});
        if (e.iterations > 0) { // an L-BFGS fit: its penalty and iteration count
            arr.back()["l2"] = e.l2;
            arr.back()["iterations"] = e.iterations;
        }
    }
    return arr;
}

std::vector<EpochStats> historyFromJson(const json& arr)
{
    std::vector<EpochStats> out;
    for (const auto& j : arr) {
        EpochStats e;
        e.epoch = wholeValue(j, "epoch", 0);
        e.trainLoss = numberOf(j, "train_loss");
        e.valLoss = numberOf(j, "val_loss");
        e.valAccuracy = numberOf(j, "val_accuracy");
        e.valF1 = numberOf(j, "val_f1");
        e.valRocAuc = numberOf(j, "val_roc_auc");
        e.learningRate = numberOf(j, "lr");
        e.seconds = numberOf(j, "seconds");
        e.l2 = j.contains("l2") ? numberOf(j, "l2") : 0.0; // only L-BFGS entries have one
        e.iterations = wholeValue(j, "iterations", 0);
        out.push_back(e);
    }
    return out;
}

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": missing or unreadable");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string utcNow(const char* format)
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

} // namespace runstore

using namespace runstore;

std::optional<CrossValidationSummary> loadCrossValidationSummary(const std::string& runDir)
{
    const fs::path path = fs::path(runDir) / "cv.json";
    std::error_code ec;
    if (!fs::exists(path, ec))
        return std::nullopt;
    CrossValidationSummary out = readingJsonFile(path.string(), [&] {
        const json j = json::parse(readText(path));
        CrossValidationSummary read;
        read.k = wholeNumber<int>(j.at("k"), "\"k\"");
        read.foldsBy = j.value("folds_by", "");
        read.pooledRows = wholeValue(j, "pooled_rows", 0LL);
        read.mean = metricsFromJson(j.at("mean"));
        read.sd = metricsFromJson(j.at("sd"));
        return read;
    });
    if (out.k < 2)
        throw DamagedFile(path.string(), "k " + std::to_string(out.k) + " is not a number of folds");
    return out;
}

std::string historyToJson(const std::vector<EpochStats>& history)
{
    return historyJson(history).dump();
}

std::string defaultRunName(const HeadSpec& spec, const FeatureSet& data, const SweepTag& sweep)
{
    return runstore::defaultRunNameOf(spec, data, sweep);
}

std::string metricsToJson(const Metrics& m)
{
    return metricsJson(m).dump();
}

namespace runstore {

/// "<UTC time>-<6 hex digits>": sortable by time; the random part keeps the ids of tasks that
/// begin runs in the same second on several nodes of one shared workspace apart (and beginRun
/// retries on the rare clash).
std::string newRunId()
{
    std::random_device rd;
    return utcNow("%Y%m%d-%H%M%S") + fmt::format("-{:06x}", rd() & 0xffffff);
}

/// Renames a prepared folder to `to` only when nothing is there: false when `to` exists (another
/// writer took the id). renameat2's RENAME_NOREPLACE where the file system has it; else (e.g.
/// older NFS) a plain rename, which also fails onto a folder that is not empty, as every run
/// folder is.
bool renameNoReplace(const fs::path& from, const fs::path& to, std::error_code& ec)
{
    ec.clear();
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return true;
    if (errno == EEXIST || errno == ENOTEMPTY)
        return false;
    if (errno != EINVAL && errno != ENOSYS) {
        ec = std::error_code(errno, std::generic_category());
        return false;
    }
    if (::rename(from.c_str(), to.c_str()) == 0)
        return true;
    if (errno == EEXIST || errno == ENOTEMPTY)
        return false;
    ec = std::error_code(errno, std::generic_category());
    return false;
}

/// Writes `text` to `path` through the one atomic writer (temporary file, fsync, rename).
void writeAtomically(const fs::path& path, const std::string& text)
{
    writeFileAtomically(path.string(), text);
}

std::string hostName();

json sweepJson(const SweepTag& sweep)
{
    json j{{"id", sweep.id}, {"params", json::parse(sweep.params.empty() ? "{}" : sweep.params)}};
    if (sweep.point >= 0)
        j["point"] = sweep.point;
    if (sweep.points > 0)
        j["points"] = sweep.points;
    return j;
}

void readSweepJson(const json& run, RunRecord& rec)
{
    if (!run.contains("sweep") || !run["sweep"].is_object())
        return;
    const json& s = run["sweep"];
    rec.sweepId = s.value("id", "");
    rec.sweepParams = s.value("params", json::object()).dump();
    rec.sweepPoint = wholeValue(s, "point", -1);
    rec.sweepPoints = wholeValue(s, "points", 0);
}

namespace {

std::string envOr(const char* name)
{
    const char* v = std::getenv(name);
    return v ? v : "";
}

} // namespace

/// The Slurm array task this process runs as, "<array job>_<task>"; empty outside an array.
std::string currentArrayTask()
{
    const std::string arrayJob = envOr("SLURM_ARRAY_JOB_ID"), task = envOr("SLURM_ARRAY_TASK_ID");
    return arrayJob.empty() || task.empty() ? std::string() : arrayJob + "_" + task;
}

void addRunnerJson(json& run)
{
    run["host"] = hostName();
    const std::string arrayTask = currentArrayTask(), job = envOr("SLURM_JOB_ID");
    if (!job.empty() || !arrayTask.empty()) {
        json slurm{{"job_id", job}, {"restart_count", std::atoi(envOr("SLURM_RESTART_COUNT").c_str())}};
        if (!arrayTask.empty())
            slurm["array_task"] = arrayTask;
        run["slurm"] = std::move(slurm);
    }
}

void readRunnerJson(const json& run, RunRecord& rec)
{
    rec.host = run.value("host", "");
    if (run.contains("slurm") && run["slurm"].is_object())
        rec.slurmTask = run["slurm"].value("array_task", run["slurm"].value("job_id", ""));
}

std::string hostName()
{
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}

/// A file's modification time as nanoseconds since the Unix epoch (0 when it cannot be read):
/// the file clock's own epoch is not the Unix one, and its raw ticks mean nothing outside.
std::int64_t unixMtimeNs(const std::string& path)
{
    std::error_code ec;
    const auto t = fs::last_write_time(path, ec);
    if (ec)
        return 0;
    const auto sys = std::chrono::file_clock::to_sys(t);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count();
}

/// A run's name when none is given: the head, then what tells runs of one workspace apart, the
/// sweep point's fields and values and the feature file (or, without one, the backbone), e.g.
/// "2x256 relu, ce · lr=0.001, depth=2 · bigvul.h5".
std::string defaultRunNameOf(const HeadSpec& spec, const FeatureSet& data, const SweepTag& sweep)
{
    std::string name = summary(spec);
    if (const std::string fields = sweepPointText(sweep.params); !fields.empty())
        name += " · " + fields;
    const std::string features = data.path.empty() ? data.backbone : fs::path(data.path).filename().string();
    if (!features.empty())
        name += " · " + features;
    return name;
}

json featuresJson(const FeatureSet& data, const std::string& workspace)
{
    const std::string hashCache = hashCacheDir(workspace);
    json f{{"path", data.path.empty() ? std::string() : fs::absolute(data.path).string()},
           {"hash", data.path.empty() ? std::string() : hashFileCached(data.path, hashCache)},
           {"backbone", data.backbone},
           {"rows", data.rows},
           {"dim", data.dim}};
    std::error_code ec;
    if (!data.path.empty()) {
        f["size"] = static_cast<std::int64_t>(fs::file_size(data.path, ec));
        f["mtime"] = unixMtimeNs(data.path);
    }
    if (!data.featureSet.empty())
        f["feature_set"] = data.featureSet;
    return f;
}

void readFeaturesJson(const json& f, RunRecord& rec)
{
    rec.featuresPath = f.value("path", "");
    rec.featuresHash = f.value("hash", "");
    rec.backbone = f.value("backbone", "");
    rec.rows = wholeValue(f, "rows", 0LL);
    rec.dim = wholeValue(f, "dim", 0LL);
    rec.featuresSize = wholeValue(f, "size", 0LL);
    rec.featuresMtime = wholeValue(f, "mtime", 0LL);
    rec.featureSet = f.value("feature_set", "");
}

/// Removes hidden ".ID.new" folders left by a process that died while beginning a run. Only
/// ones older than a minute: another process may be preparing its run right now.
void removeStaleStaging(const fs::path& runs)
{
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    for (const auto& entry : fs::directory_iterator(runs, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(".") || !name.ends_with(".new") || !entry.is_directory(ec))
            continue;
        const auto written = fs::last_write_time(entry.path(), ec);
        if (!ec && now - written > std::chrono::minutes(1))
            fs::remove_all(entry.path(), ec);
    }
}

} // namespace runstore

std::string sweepPointText(const std::string& params)
{
    json j;
    try {
        j = json::parse(params);
    } catch (const json::exception&) {
        return params;
    }
    if (!j.is_object())
        return params;
    std::string fields;
    for (const auto& item : j.items())
        fields += (fields.empty() ? "" : ", ") + item.key() + "=" +
                  (item.value().is_string() ? item.value().get<std::string>() : item.value().dump());
    return fields;
}


std::string beginRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec, const std::string& name,
                     const SweepTag& sweep)
{
    const fs::path runs = fs::path(workspace) / "runs";
    std::error_code ec;
    fs::create_directories(runs, ec);
    if (ec || !fs::is_directory(runs))
        throw Error(runs.string() + ": cannot create the runs folder" + (ec ? " (" + ec.message() + ")" : std::string()));
    removeStaleStaging(runs);
    // Many writers may share the workspace (job array tasks on several nodes): the folder is
    // prepared under a hidden name of its own and renamed into place with running.json already
    // in it, so a run folder never exists without its record, whenever the process dies, and
    // two writers never take one id.
    for (int attempt = 0; attempt < 20; ++attempt) {
        const std::string id = newRunId();
        const fs::path dir = runs / id;
        const fs::path staging = runs / ("." + id + ".new");
        if (fs::exists(dir, ec) || !fs::create_directory(staging, ec)) {
            if (ec)
                throw Error(staging.string() + ": cannot be created (" + ec.message() + ")");
            continue; // the id is taken
        }
        json running{{"id", id},
                     {"name", name.empty() ? defaultRunName(spec, data, sweep) : name},
                     {"status", "running"},
                     {"pid", static_cast<long long>(::getpid())},
                     {"created", utcNow("%Y-%m-%dT%H:%M:%SZ")},
                     {"spec", json::parse(toJson(spec))},
                     {"features", featuresJson(data, workspace)}};
        if (!sweep.id.empty())
            running["sweep"] = sweepJson(sweep);
        addRunnerJson(running);
        try {
            writeAtomically(staging / "running.json", running.dump(1) + "\n");
            if (renameNoReplace(staging, dir, ec))
                return dir.string();
            if (ec)
                throw Error(dir.string() + ": cannot be created (" + ec.message() + ")");
            fs::remove_all(staging, ec); // another writer took the id meanwhile
        } catch (const Error&) {
            fs::remove_all(staging, ec);
            throw;
        }
    }
    throw Error(runs.string() + ": no free run id after 20 tries");
}

void markInterrupted(const std::string& dir, const std::string& retriedBy)
{
    const fs::path path = fs::path(dir) / "running.json";
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "run.json", ec) || !fs::exists(path, ec))
        return;
    json running = readingJsonFile(path.string(), [&] { return json::parse(readText(path)); });
    running["status"] = "interrupted";
    if (!retriedBy.empty())
        running["retried_by"] = retriedBy;
    writeAtomically(path, running.dump(1) + "\n");
}

std::size_t markAbandonedAttempts(const std::vector<RunRecord>& attempts)
{
    // As readRunnerJson names a run's task: the array task, else the plain job.
    std::string self = currentArrayTask();
    if (self.empty())
        self = envOr("SLURM_JOB_ID");
    std::size_t marked = 0;
    for (const RunRecord& attempt : attempts)
        if (!attempt.finished() && (attempt.status == "interrupted" || (!self.empty() && attempt.slurmTask == self))) {
            markInterrupted(attempt.dir);
            ++marked;
        }
    return marked;
}

void deleteRun(const std::string& dir)
{
    std::error_code ec;
    if (!fs::exists(fs::path(dir) / "run.json") && !fs::exists(fs::path(dir) / "running.json"))
        throw Error(dir + ": not a run folder; nothing was deleted");
    fs::remove_all(dir, ec);
    if (ec)
        throw Error(dir + ": cannot be deleted (" + ec.message() + ")");
}

namespace {
void updateRunJson(const std::string& dir, const std::function<void(json&)>& change)
{
    const fs::path path = fs::path(dir) / "run.json";
    json run = readingJsonFile(path.string(), [&] { return json::parse(readText(path)); });
    change(run);
    writeAtomically(path, run.dump(1) + "\n");
}
} // namespace

void renameRun(const std::string& dir, const std::string& name)
{
    // A blank name listed the run as nothing at all, in the window and in `runs`.
    if (name.find_first_not_of(" \t\r\n") == std::string::npos)
        throw Error(dir + ": a run's name cannot be empty");
    updateRunJson(dir, [&](json& run) { run["name"] = name; });
}

void setRunThreshold(const std::string& dir, std::optional<double> threshold)
{
    if (threshold && !(*threshold > 0 && *threshold < 1))
        throw Error(fmt::format("{}: threshold {} is outside (0, 1)", dir, *threshold));
    updateRunJson(dir, [&](json& run) {
        if (threshold)
            run["threshold"] = *threshold;
        else
            run.erase("threshold");
    });
}

void setRunTags(const std::string& dir, const std::vector<std::string>& tags)
{
    updateRunJson(dir, [&](json& run) { run["tags"] = tags; });
}

namespace {

/// A group's status line, long ("4 of 6 finished") or for a narrow column ("4/6 done").
std::string groupStatus(const RunGroup& g, bool compact)
{
    std::string out = g.points > 0 ? fmt::format(fmt::runtime(compact ? "{}/{} done" : "{} of {} finished"), g.finished, g.points)
                                   : fmt::format(fmt::runtime(compact ? "{} done" : "{} finished"), g.finished);
    if (g.running > 0)
        out += fmt::format(", {} running", g.running);
    if (g.interrupted > 0)
        out += fmt::format(", {} interrupted", g.interrupted);
    return out;
}

} // namespace

std::string RunGroup::statusText() const
{
    return groupStatus(*this, false);
}

std::string hashCacheDir(const std::string& workspace)
{
    return workspace.empty() ? std::string() : (fs::path(workspace) / ".cache" / "hashes").string();
}

std::string RunGroup::shortStatusText() const
{
    return groupStatus(*this, true);
}

std::vector<RunGroup> runGroups(const std::vector<RunRecord>& runs)
{
    std::vector<RunGroup> groups;
    std::map<std::string, std::size_t> index;
    std::map<std::string, std::map<int, const RunRecord*>> byPoint;
    std::map<std::string, std::vector<const RunRecord*>> unnumbered;
    const auto rank = [](const RunRecord* r) { return r->finished() ? 0 : r->status == "running" ? 1 : 2; };
    for (const RunRecord& r : runs) {
        if (r.sweepId.empty())
            continue;
        const auto [it, added] = index.emplace(r.sweepId, groups.size());
        if (added)
            groups.push_back({.id = r.sweepId});
        RunGroup& g = groups[it->second];
        g.points = std::max(g.points, r.sweepPoints);
        if (r.sweepPoint < 0) {
            unnumbered[r.sweepId].push_back(&r);
            continue;
        }
        const RunRecord*& best = byPoint[r.sweepId][r.sweepPoint];
        if (best) {
            ++g.retried;
            // The finished attempt of a point, else the running one, else the newest.
            if (rank(&r) < rank(best) || (rank(&r) == rank(best) && r.id > best->id))
                best = &r;
        } else {
            best = &r;
        }
    }
    for (RunGroup& g : groups) {
        for (const auto& [point, r] : byPoint[g.id])
            g.members.push_back(r);
        auto& rest = unnumbered[g.id];
        std::sort(rest.begin(), rest.end(), [](const RunRecord* a, const RunRecord* b) { return a->id < b->id; });
        g.members.insert(g.members.end(), rest.begin(), rest.end());
        for (const RunRecord* r : g.members)
            ++(r->finished() ? g.finished : r->status == "running" ? g.running : g.interrupted);
    }
    return groups;
}

FeaturesState checkFeatures(const RunRecord& run)
{
    std::error_code ec;
    if (run.featuresPath.empty() || !fs::exists(run.featuresPath, ec))
        return FeaturesState::Missing;
    const auto size = static_cast<std::int64_t>(fs::file_size(run.featuresPath, ec));
    const std::int64_t mtime = unixMtimeNs(run.featuresPath);
    if (size == run.featuresSize && mtime == run.featuresMtime)
        return FeaturesState::Same; // unchanged on disk: no need to hash it again
    try {
        return fileHasHash(run.featuresPath, run.featuresHash) ? FeaturesState::Same : FeaturesState::Changed;
    } catch (const Error&) {
        return FeaturesState::Missing;
    }
}

namespace {

/// A workspace moved or copied elsewhere (another machine, a cluster's scratch) keeps its feature
/// files beside its runs, but the runs name them by absolute path: every run then read as "no
/// features". When the recorded file is gone, a file of the same name and size in the run's
/// workspace (`<ws>/features/` or `<ws>/`) is taken instead; checkFeatures still compares its
/// content hash before anything trusts it.
void relocateFeatures(RunRecord& rec)
{
    std::error_code ec;
    if (rec.featuresPath.empty() || fs::exists(rec.featuresPath, ec))
        return;
    fs::path runDir = fs::absolute(rec.dir, ec).lexically_normal();
    if (runDir.filename().empty()) // written with a trailing '/'
        runDir = runDir.parent_path();
    const fs::path workspace = runDir.parent_path().parent_path(); // <ws>/runs/<id>
    const fs::path name = fs::path(rec.featuresPath).filename();
    for (const fs::path& candidate : {workspace / "features" / name, workspace / name}) {
        const auto size = fs::file_size(candidate, ec);
        if (!ec && fs::is_regular_file(candidate, ec) &&
            (rec.featuresSize == 0 || static_cast<std::int64_t>(size) == rec.featuresSize)) {
            rec.featuresPath = candidate.string();
            return;
        }
    }
}

} // namespace

RunRecord loadRun(const std::string& dirPath)
{
    const fs::path dir(dirPath);
    std::error_code ec;
    // A run id given where its folder is wanted ("missing run.json" said nothing of that).
    if (!fs::is_directory(dir, ec))
        throw Error(dirPath + (fs::exists(dir, ec) ? ": is a file, not a run folder"
                                                   : ": no such run folder (a run is given by its folder, "
                                                     "WORKSPACE/runs/ID, as `runs` lists them)"));
    for (const char* required : {"run.json", "spec.json", "history.json", "metrics.json", "predictions.csv", "head.pt"})
        if (!fs::exists(dir / required))
            throw Error(dirPath + ": not a complete run (missing " + required + ")");
    RunRecord rec;
    readingJsonFile((dir / "run.json").string(), [&] {
        const json run = json::parse(readText(dir / "run.json"));
        rec.id = run.at("id").get<std::string>();
        rec.name = run.value("name", rec.id);
        rec.created = run.value("created", "");
        rec.status = run.value("status", "finished");
        readFeaturesJson(run.at("features"), rec);
        rec.tags = run.value("tags", std::vector<std::string>{});
        if (const auto t = run.find("threshold"); t != run.end() && !t->is_null()) {
            // Used by compare, eval and the window as it is: only a probability can be one.
            if (!t->is_number() || !(t->get<double>() > 0 && t->get<double>() < 1))
                throw JsonFieldProblem("threshold " + t->dump() + " is not a probability in (0, 1)");
            rec.threshold = t->get<double>();
        }
        readSweepJson(run, rec);
        readRunnerJson(run, rec);
        rec.labelNames = run.value("label_names", std::vector<std::string>{});
        rec.parameters = wholeValue(run, "parameters", 0LL);
        rec.bestEpoch = wholeValue(run, "best_epoch", 0);
        rec.epochsRun = wholeValue(run, "epochs_run", 0);
        rec.finishedByUser = run.value("finished_by_user", false) == true;
        rec.seconds = run.value("seconds", 0.0);
        if (const auto costs = run.find("costs"); costs != run.end() && costs->is_object()) {
            rec.leakageSeconds = costs->value("leakage_seconds", 0.0);
            rec.intervalSeconds = costs->value("interval_seconds", 0.0);
        }
        rec.splitSource = run.value("split_source", "");
        rec.trainFraction = run.value("train_fraction", 1.0);
        rec.trainRows = wholeValue(run, "train_rows", 0LL);
        rec.headHash = run.value("head_hash", "");
        if (run.contains("leakage"))
            rec.leakage = leakageFromJson(run["leakage"].dump());
        if (run.contains("calibration"))
            rec.calibration = calibrationFromJson(run["calibration"].dump());
    });
    readingJsonFile((dir / "history.json").string(),
                    [&] { rec.history = historyFromJson(json::parse(readText(dir / "history.json"))); });
    readingJsonFile((dir / "metrics.json").string(), [&] {
        const json metrics = json::parse(readText(dir / "metrics.json"));
        rec.validation = metricsFromJson(metrics.at("validation"));
        rec.test = metricsFromJson(metrics.at("test"));
    });
    rec.spec = headSpecFromJson(readText(dir / "spec.json"), (dir / "spec.json").string());
    rec.dir = dirPath;
    // The folder is the run: a copy of a run folder (or one renamed by hand) keeps the run.json
    // of the original, and listed under its id; compare then refused the two as "given twice".
    if (const std::string folder = (dir.filename().empty() ? dir.parent_path() : dir).filename().string();
        !folder.empty() && folder != "." && folder != rec.id)
        rec.id = folder;
    relocateFeatures(rec);
    return rec;
}

namespace {

/// A run folder holding only running.json: still running in a live process, or interrupted.
RunRecord unfinishedRun(const fs::path& dir)
{
    RunRecord rec;
    rec.validation = rec.test = metricsOfNoRows(0); // no figures yet: "-", not 0.0000
    readingJsonFile((dir / "running.json").string(), [&] {
        const json running = json::parse(readText(dir / "running.json"));
        // The folder is the run, as for a finished one (loadRun): a copied or renamed folder of an
        // unfinished run was listed under the original's id.
        rec.id = dir.filename().string();
        rec.name = running.value("name", running.value("id", rec.id));
        rec.created = running.value("created", "");
        readFeaturesJson(running.value("features", json::object()), rec);
        if (running.contains("spec"))
            rec.spec = headSpecFromJson(running["spec"].dump(), (dir / "running.json").string());
        readSweepJson(running, rec);
        readRunnerJson(running, rec);
        // The epochs finished before the process stopped (written as they finish).
        std::error_code ec;
        if (fs::exists(dir / "history.json", ec)) {
            try {
                rec.history = historyFromJson(json::parse(readText(dir / "history.json")));
                rec.epochsRun = static_cast<int>(rec.history.size());
            } catch (const std::exception&) {
                rec.history.clear(); // a history cut by the kill itself: the run is still listed
            }
        }
        // Marked by the task that took the run's point over; else, on this host, whether its
        // process lives; on another host (a shared workspace) it cannot be told: running.
        const long long pid = wholeValue(running, "pid", 0LL);
        if (running.value("status", "running") == "interrupted")
            rec.status = "interrupted";
        else if (rec.host != hostName())
            rec.status = "running";
        else
            rec.status = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) ? "running" : "interrupted";
    });
    rec.dir = dir.string();
    return rec;
}

} // namespace

std::vector<RunRecord> listRuns(const std::string& workspace, std::vector<std::string>* problems, bool includeUnfinished,
                                bool includeDamaged)
{
    std::vector<RunRecord> runs;
    const fs::path root = fs::path(workspace) / "runs";
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        return runs;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory() || entry.path().filename().string().starts_with("."))
            continue;
        try {
            if (fs::exists(entry.path() / "run.json"))
                runs.push_back(loadRun(entry.path().string()));
            else if (fs::exists(entry.path() / "running.json")) {
                if (includeUnfinished)
                    runs.push_back(unfinishedRun(entry.path()));
            } else
                throw Error(entry.path().string() + ": not a complete run (missing run.json)");
        } catch (const Error& e) {
            if (problems)
                problems->push_back(e.what());
            if (includeDamaged) {
                RunRecord damaged;
                damaged.id = damaged.name = entry.path().filename().string();
                damaged.dir = entry.path().string();
                damaged.status = "damaged";
                damaged.problem = e.what();
                runs.push_back(std::move(damaged));
            }
        }
    }
    std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) { return a.id > b.id; });
    return runs;
}

void saveProgress(const std::string& runDir, const std::vector<EpochStats>& history)
{
    writeAtomically(fs::path(runDir) / "history.json", historyJson(history).dump(1) + "\n");
}

std::string leakageToJson(const LeakageReport& r)
{
    return json{{"method", r.method},
                {"near_threshold", r.nearThreshold},
                {"train_rows", r.trainRows},
                {"validation_rows", r.validationRows},
                {"test_rows", r.testRows},
                {"validation_exact_duplicates", r.validationExactDuplicates},
                {"validation_near_duplicates", r.validationNearDuplicates},
                {"test_exact_duplicates", r.testExactDuplicates},
                {"test_near_duplicates", r.testNearDuplicates},
                {"conflicting_labels", r.conflictingLabels},
                {"duplicate_rows", r.duplicateRows},
                {"seconds", r.seconds},
                {"cached", r.fromCache}}
        .dump();
}

LeakageReport leakageFromJson(const std::string& text)
{
    const json j = json::parse(text);
    LeakageReport r;
    r.measured = true;
    r.method = j.value("method", "");
    r.nearThreshold = j.value("near_threshold", 0.0);
    r.trainRows = wholeValue(j, "train_rows", 0LL);
    r.validationRows = wholeValue(j, "validation_rows", 0LL);
    r.testRows = wholeValue(j, "test_rows", 0LL);
    r.validationExactDuplicates = wholeValue(j, "validation_exact_duplicates", 0LL);
    r.validationNearDuplicates = wholeValue(j, "validation_near_duplicates", 0LL);
    r.testExactDuplicates = wholeValue(j, "test_exact_duplicates", 0LL);
    r.testNearDuplicates = wholeValue(j, "test_near_duplicates", 0LL);
    r.conflictingLabels = wholeValue(j, "conflicting_labels", 0LL);
    r.duplicateRows = wholeValue(j, "duplicate_rows", 0LL);
    r.seconds = j.value("seconds", 0.0);
    r.fromCache = j.value("cached", false);
    return r;
}

RunLeakageRows loadLeakageRows(const std::string& dirPath)
{
    RunLeakageRows out;
    for (LeakageRow& row : readLeakageCsv((fs::path(dirPath) / "leakage.csv").string()))
        out.rows.emplace(std::move(row.id), RunLeakageRows::Row{.exact = row.exact,
                                                                .near = row.near,
                                                                .conflicting = row.conflicting,
                                                                .nearestTrainId = std::move(row.nearestTrainId),
                                                                .similarity = row.similarity,
                                                                .split = row.split});
    return out;
}

void metricsAtThreshold(RunRecord& rec, const RunPredictions& p, double threshold)
{
    if (p.numClasses != 2)
        return;
    for (const auto& [code, metrics] : {std::pair{kValidation, &rec.validation}, std::pair{kTest, &rec.test}}) {
        const SplitRows rows = rowsOfSplit(p, code);
        if (rows.labels.empty())
            continue;
        const double loss = metrics->loss; // the loss does not depend on the threshold
        *metrics = computeMetrics(rows.labels, rows.probabilities, 2, threshold);
        metrics->loss = loss;
        metrics->ci = bootstrapIntervals(rows.labels, rows.probabilities, 2, threshold, {.seed = rec.spec.seed});
    }
}

struct SavedThresholdCache::Impl {
    /// What a run's entry was computed from: each file's size and modification time, and the
    /// threshold (a threshold saved again within the file system's time resolution still differs).
    struct Stamp {
        std::uintmax_t runSize = 0, predictionsSize = 0;
        fs::file_time_type runTime, predictionsTime;
        double threshold = 0;
        bool operator==(const Stamp&) const = default;
    };
    struct Entry {
        Stamp stamp;
        RunRecord record;
    };
    mutable std::mutex mutex;
    std::map<std::string, Entry> entries;
    std::size_t hits = 0;

    static std::optional<Stamp> stampOf(const RunRecord& r)
    {
        std::error_code ec;
        Stamp s;
        const fs::path dir(r.dir);
        s.runSize = fs::file_size(dir / "run.json", ec);
        if (!ec)
            s.runTime = fs::last_write_time(dir / "run.json", ec);
        if (!ec)
            s.predictionsSize = fs::file_size(dir / "predictions.csv", ec);
        if (!ec)
            s.predictionsTime = fs::last_write_time(dir / "predictions.csv", ec);
        if (ec)
            return std::nullopt;
        s.threshold = r.threshold.value_or(0.5);
        return s;
    }
};

SavedThresholdCache::SavedThresholdCache() : d(std::make_unique<Impl>()) {}
SavedThresholdCache::~SavedThresholdCache() = default;

std::size_t SavedThresholdCache::hits() const
{
    std::lock_guard lock(d->mutex);
    return d->hits;
}

void putRunsAtSavedThresholds(std::vector<RunRecord>& runs, SavedThresholdCache* cache)
{
    for (RunRecord& r : runs) {
        if (!r.finished() || !r.threshold || r.labelNames.size() != 2)
            continue;
        // The stamp is taken before the files are read: a file changed while it is read leaves
        // an entry that the next listing does not match.
        const auto stamp = cache ? SavedThresholdCache::Impl::stampOf(r) : std::nullopt;
        if (stamp) {
            auto& c = cache->impl();
            std::lock_guard lock(c.mutex);
            if (const auto it = c.entries.find(r.dir); it != c.entries.end() && it->second.stamp == *stamp) {
                r = it->second.record;
                ++c.hits;
                continue;
            }
        }
        try {
            metricsAtThreshold(r, loadPredictions(r.dir), *r.threshold);
        } catch (const Error& e) {
            r.status = "damaged";
            r.problem = e.what();
        }
        if (stamp) {
            auto& c = cache->impl();
            std::lock_guard lock(c.mutex);
            c.entries[r.dir] = {*stamp, r};
        }
    }
}

RunPredictions loadPredictions(const std::string& dirPath)
{
    const std::string path = (fs::path(dirPath) / "predictions.csv").string();
    RunPredictions p = readPredictionsCsv(path);
    const fs::path runJson = fs::path(dirPath) / "run.json";
    std::error_code ec;
    if (!fs::exists(runJson, ec))
        return p; // a run folder being written, or one read without its record (tests, tools)
    std::int64_t rows = 0;
    std::vector<std::string> names;
    readingJsonFile(runJson.string(), [&] {
        const json run = json::parse(readText(runJson));
        if (const auto f = run.find("features"); f != run.end() && f->is_object())
            rows = wholeValue(*f, "rows", 0LL);
        names = run.value("label_names", std::vector<std::string>{});
    });
    // Every row of the feature file has its line (RunSave); fewer lines is a file cut short.
    if (rows > 0 && static_cast<std::int64_t>(p.ids.size()) != rows)
        throw Error(fmt::format("{}: {} rows, but the run was trained on a file of {}: the file is cut short or comes "
                                "from another run",
                                path, p.ids.size(), rows));
    if (!names.empty() && names != p.labelNames)
        throw Error(fmt::format("{}: classes {}, but run.json names {}", path, fmt::join(p.labelNames, ", "),
                                fmt::join(names, ", ")));
    return p;
}

} // namespace headbench
