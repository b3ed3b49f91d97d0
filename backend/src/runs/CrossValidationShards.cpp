#include <headbench/runs/CrossValidationShards.h>

#include "RunJson.h"
#include "core/JsonErrors.h"
#include "core/JsonNumbers.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/eval/PredictionFiles.h>
#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/RunStore.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace headbench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path foldJsonPath(const fs::path& folder, int f)
{
    return folder / fmt::format("fold-{}.json", f);
}

fs::path foldCsvPath(const fs::path& folder, int f)
{
    return folder / fmt::format("fold-{}.csv", f);
}

json readJson(const fs::path& path)
{
    std::ifstream in(path);
    if (!in)
        throw Error(path.string() + ": cannot be opened for reading");
    return readingJsonFile(path.string(), [&] { return json::parse(in); });
}

/// The fields every fold of one cross-validation shares.
json planJson(const FoldPlan& plan)
{
    return {{"k", plan.k},
            {"seed", plan.seed},
            {"fingerprint", plan.fingerprint()},
            {"split_source", plan.splitSource},
            {"folds_by", plan.byGroup ? "group" : "stratified"},
            {"pooled_rows", plan.pooledRows}};
}

/// A fold saved under the group that is not a fold of this plan: another file, seed or K.
void checkAgrees(const json& saved, const json& plan, const fs::path& path)
{
    for (const char* key : {"k", "seed", "fingerprint"})
        if (saved.value(key, json()) != plan.at(key))
            throw Error(fmt::format("{}: a fold of another cross-validation ({} {} here, {} now): give this one another "
                                    "--sweep-id",
                                    path.string(), key, saved.value(key, json()).dump(), plan.at(key).dump()));
}

void saveFold(const fs::path& folder, const FeatureSet& data, const FoldPlan& plan, const FoldResult& r)
{
    OutOfFold oof;
    oof.labelNames = data.labelNames;
    for (std::size_t j = 0; j < r.rowIndex.size(); ++j) {
        oof.ids.push_back(data.idOf(r.rowIndex[j]));
        oof.labels.push_back(data.labels[static_cast<std::size_t>(r.rowIndex[j])]);
        oof.fold.push_back(r.fold);
    }
    oof.probabilities = r.probabilities;
    writeOutOfFoldCsv(foldCsvPath(folder, r.fold).string(), oof);
    json j = planJson(plan);
    j["fold"] = r.fold;
    j["rows"] = r.rows;
    j["best_epoch"] = r.bestEpoch;
    j["seconds"] = r.seconds;
    j["row_index"] = r.rowIndex;
    j["metrics"] = runstore::metricsJson(r.metrics);
    // The json last: its presence is what makes the fold saved.
    writeFileAtomically(foldJsonPath(folder, r.fold).string(), j.dump() + "\n");
}

/// An exclusive flock on `<folder>/.lock` for the scope. On NFS, flock is mapped to a POSIX
/// lock by Linux clients (NFSv4, or v3 with lockd), which is what a shared workspace needs.
class FolderLock {
public:
    explicit FolderLock(const fs::path& folder)
    {
        const std::string path = (folder / ".lock").string();
        m_fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
        if (m_fd < 0 || ::flock(m_fd, LOCK_EX) != 0)
            throw Error(path + ": cannot be locked (" + std::string(std::strerror(errno)) + ")");
    }
    ~FolderLock()
    {
        if (m_fd >= 0)
            ::close(m_fd); // releases the lock
    }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    int m_fd = -1;
};

std::optional<RunRecord> finishedRunOf(const std::string& workspace, const std::string& groupId)
{
    for (RunRecord& r : listRuns(workspace))
        if (r.sweepId == groupId)
            return std::move(r);
    return std::nullopt;
}

} // namespace

std::string foldFolder(const std::string& workspace, const std::string& groupId)
{
    return (fs::path(workspace) / "cv-folds" / groupId).string();
}

ShardedCrossValidationResult runShardedCrossValidation(const FeatureSet& data, const HeadSpec& spec,
                                                       const ShardedCrossValidation& request,
                                                       const ShardedCrossValidationObserver& observer)
{
    ShardedCrossValidationResult out;
    TrainOptions foldOptions = request.options;
    foldOptions.calibrate = CalibrationMethod::None; // the fold heads stay uncalibrated, as in one process
    const FoldPlan plan = planFolds(data, spec, request.k, foldOptions);
    const json planFields = planJson(plan);
    const fs::path folder = foldFolder(request.workspace, request.groupId);
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec)
        throw Error(folder.string() + ": cannot be created (" + ec.message() + ")");
    for (int p = 0; p <= request.k; ++p) {
        if (!request.shard.owns(static_cast<std::size_t>(p)))
            continue;
        if (p < request.k) {
            const fs::path saved = foldJsonPath(folder, p);
            if (fs::exists(saved, ec)) {
                checkAgrees(readJson(saved), planFields, saved);
                out.foldsSavedBefore.push_back(p);
                continue;
            }
            FoldResult r = trainFold(data, spec, plan, p, observer.training);
            if (r.cancelled || (observer.training && observer.training->shouldStop())) {
                out.cancelled = true;
                return out;
            }
            saveFold(folder, data, plan, r);
            if (observer.foldTrained)
                observer.foldTrained(p, r);
            out.trained.push_back(std::move(r));
            continue;
        }
        // Point K: the run itself, tagged with the group so the folds find it.
        if (auto done = finishedRunOf(request.workspace, request.groupId)) {
            out.run = std::move(done);
            out.runFinishedBefore = true;
            continue;
        }
        std::vector<RunRecord> attempts = listRuns(request.workspace, nullptr, true);
        std::erase_if(attempts, [&](const RunRecord& r) { return r.sweepId != request.groupId; });
        markAbandonedAttempts(attempts);
        const SweepTag tag{request.groupId, json{{"cv", request.k}}.dump(), request.k, 0};
        RunSessionResult session = runSession(data, spec,
                                              {.workspace = request.workspace, .name = request.name, .tag = tag,
                                               .options = request.options},
                                              observer.training);
        if (session.outcome == RunOutcome::Cancelled) {
            out.cancelled = true;
            return out;
        }
        out.run = session.record;
        if (observer.runSaved)
            observer.runSaved(session.record);
    }
    const GatherResult g = gatherCrossValidation(request.workspace, request.groupId);
    out.gathered = g.gathered;
    out.runDir = g.runDir;
    out.waitingFor = g.missingFolds;
    return out;
}

GatherResult gatherCrossValidation(const std::string& workspace, const std::string& groupId)
{
    const fs::path folder = foldFolder(workspace, groupId);
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw Error(fmt::format("{}: no folds of '{}' saved here (train --cv K --shard I/N --sweep-id {} saves them)",
                                folder.string(), groupId, groupId));
    const FolderLock lock(folder);
    GatherResult out;
    std::map<int, json> saved;
    std::map<int, fs::path> savedPath;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with("fold-") || !name.ends_with(".json"))
            continue;
        json j = readJson(entry.path());
        if (!saved.empty())
            checkAgrees(j, saved.begin()->second, entry.path());
        const int fold = readingJsonFile(entry.path().string(), [&] { return wholeValue(j, "fold", -1); });
        saved.emplace(fold, std::move(j));
        savedPath.emplace(fold, entry.path());
    }
    if (saved.empty())
        throw Error(folder.string() + ": no fold saved yet");
    const json& first = saved.begin()->second;
    const std::string firstPath = savedPath.begin()->second.string();
    out.k = readingJsonFile(firstPath, [&] { return wholeValue(first, "k", 0); });
    for (int f = 0; f < out.k; ++f)
        if (!saved.contains(f))
            out.missingFolds.push_back(f);
    const std::optional<RunRecord> run = finishedRunOf(workspace, groupId);
    if (!run)
        return out;
    out.runDir = run->dir;
    if (fs::exists(fs::path(run->dir) / "cv.json", ec)) {
        out.gathered = out.alreadyGathered = true;
        return out;
    }
    if (!out.missingFolds.empty())
        return out;

    // Every fold is saved and the run finished: cv.json and oof.csv, as one process writes them.
    FoldPlan plan;
    plan.k = out.k;
    readingJsonFile(firstPath, [&] {
        plan.seed = wholeValue(first, "seed", std::uint64_t{0});
        plan.splitSource = first.value("split_source", "");
        plan.byGroup = first.value("folds_by", "") == "group";
        plan.pooledRows = wholeValue(first, "pooled_rows", 0LL);
    });
    std::vector<FoldResult> folds;
    OutOfFold merged;
    std::vector<std::pair<std::int64_t, std::pair<int, std::size_t>>> order; // row -> (fold, index in fold)
    std::vector<OutOfFold> csvs;
    std::int64_t rows = 0;
    for (const auto& [f, j] : saved) {
        FoldResult r;
        r.fold = f;
        readingJsonFile(foldJsonPath(folder, f).string(), [&, f = f, &j = j] {
            r.rows = wholeValue(j, "rows", 0LL);
            r.bestEpoch = wholeValue(j, "best_epoch", 0);
            r.seconds = j.value("seconds", 0.0);
            const json rowIndex = j.value("row_index", json::array());
            for (const json& v : rowIndex.get_ref<const json::array_t&>()) {
                const auto row = wholeNumber<std::int64_t>(v, "a row index");
                if (row < 0 || (run->rows > 0 && row >= run->rows))
                    throw Error(fmt::format("{}: row {} is outside the feature file's {} rows", foldJsonPath(folder, f).string(),
                                            row, run->rows));
                r.rowIndex.push_back(row);
            }
            r.metrics = runstore::metricsFromJson(j.at("metrics"));
        });
        OutOfFold csv = readOutOfFoldCsv(foldCsvPath(folder, f).string());
        if (csv.ids.size() != r.rowIndex.size())
            throw Error(fmt::format("{}: {} rows, {} says {}", foldCsvPath(folder, f).string(), csv.ids.size(),
                                    foldJsonPath(folder, f).string(), r.rowIndex.size()));
        r.probabilities = csv.probabilities;
        for (std::size_t i = 0; i < r.rowIndex.size(); ++i) {
            order.push_back({r.rowIndex[i], {static_cast<int>(csvs.size()), i}});
            rows = std::max(rows, r.rowIndex[i] + 1);
        }
        merged.labelNames = csv.labelNames;
        csvs.push_back(std::move(csv));
        folds.push_back(std::move(r));
    }
    plan.fold.assign(static_cast<std::size_t>(rows), -1);
    for (const FoldResult& r : folds)
        for (std::int64_t row : r.rowIndex)
            plan.fold[static_cast<std::size_t>(row)] = r.fold;
    const int numClasses = static_cast<int>(merged.labelNames.size());
    const CrossValidationResult cv = assembleFolds(plan, std::move(folds), rows, numClasses);
    std::sort(order.begin(), order.end());
    for (const auto& [row, where] : order) {
        const OutOfFold& csv = csvs[static_cast<std::size_t>(where.first)];
        const std::size_t i = where.second;
        merged.ids.push_back(csv.ids[i]);
        merged.labels.push_back(csv.labels[i]);
        merged.fold.push_back(csv.fold[i]);
        merged.probabilities.insert(merged.probabilities.end(), csv.probabilities.begin() + static_cast<std::ptrdiff_t>(i * numClasses),
                                    csv.probabilities.begin() + static_cast<std::ptrdiff_t>((i + 1) * numClasses));
    }
    writeOutOfFoldCsv((fs::path(run->dir) / "oof.csv").string(), merged);
    // cv.json last: its presence is what makes the run cross-validated (and the gather done).
    writeFileAtomically((fs::path(run->dir) / "cv.json").string(), crossValidationToJson(cv) + "\n");
    out.gathered = true;
    return out;
}

} // namespace headbench
