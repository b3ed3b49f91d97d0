#include <headbench/runs/CrossValidationFiles.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/runs/RunStore.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string_view>
#include <unordered_set>

namespace headbench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json number(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json scalars(const Metrics& m)
{
    json j{{"loss", number(m.loss)}};
    for (const MetricField& f : metricFields()) // the one table of metric fields
        j[f.json] = number(m.*f.value);
    return j;
}

} // namespace

std::string crossValidationToJson(const CrossValidationResult& cv)
{
    json folds = json::array();
    for (std::size_t f = 0; f < cv.folds.size(); ++f) {
        json m = json::parse(metricsToJson(cv.folds[f]));
        folds.push_back({{"fold", f}, {"rows", cv.foldRows[f]}, {"best_epoch", cv.foldEpochs[f]}, {"metrics", m}});
    }
    json j{{"k", cv.k},
           {"seed", cv.seed},
           {"folds_by", cv.byGroup ? "group" : "stratified"},
           {"split_source", cv.splitSource},
           {"pooled_rows", cv.mean.count},
           {"seconds", cv.seconds},
           {"folds", folds},
           {"mean", scalars(cv.mean)},
           {"sd", scalars(cv.sd)}};
    return j.dump(1);
}

void saveCrossValidation(const std::string& runDir, const FeatureSet& data, const CrossValidationResult& cv)
{
    const fs::path dir(runDir);
    writeFileAtomically((dir / "cv.json").string(), crossValidationToJson(cv) + "\n");
    OutOfFold oof;
    oof.labelNames = data.labelNames;
    const int k = data.numClasses();
    for (std::int64_t r = 0; r < data.rows; ++r) {
        const int f = cv.fold[static_cast<std::size_t>(r)];
        if (f < 0)
            continue;
        oof.ids.push_back(data.idOf(r));
        oof.labels.push_back(data.labels[static_cast<std::size_t>(r)]);
        oof.fold.push_back(f);
        oof.probabilities.insert(oof.probabilities.end(), cv.outOfFold.begin() + r * k, cv.outOfFold.begin() + (r + 1) * k);
    }
    writeOutOfFoldCsv((dir / "oof.csv").string(), oof);
}

OutOfFold loadOutOfFold(const std::string& runDir)
{
    const std::string path = (fs::path(runDir) / "oof.csv").string();
    OutOfFold o = readOutOfFoldCsv(path);
    // The file must be the run's own, as predictions.csv must: a cut copy, another run's file or
    // a renamed class column were analysed as they were (a helper found 299 of 1,800 rows read,
    // and every label flipped reported as 95% label errors).
    if (const auto cv = loadCrossValidationSummary(runDir)) {
        if (cv->pooledRows > 0 && static_cast<std::int64_t>(o.ids.size()) != cv->pooledRows)
            throw Error(path + ": " + std::to_string(o.ids.size()) + " rows, but cv.json pooled " +
                        std::to_string(cv->pooledRows) + ": the file is cut short or comes from another run");
        for (std::size_t i = 0; i < o.fold.size(); ++i)
            if (o.fold[i] >= cv->k)
                throw Error(path + ": row " + std::to_string(i + 1) + " is in fold " + std::to_string(o.fold[i]) +
                            ", but the run has " + std::to_string(cv->k) + " folds (0.." + std::to_string(cv->k - 1) + ")");
    }
    std::error_code ec;
    const RunRecord run = fs::exists(fs::path(runDir) / "run.json", ec) ? loadRun(runDir) : RunRecord{};
    if (!run.labelNames.empty() && run.labelNames != o.labelNames) {
        std::string names;
        for (const auto& n : run.labelNames)
            names += (names.empty() ? "p_" : ", p_") + n;
        throw Error(path + ": its probability columns are not the run's classes (run.json names " + names + ")");
    }
    std::unordered_set<std::string_view> seen;
    seen.reserve(o.ids.size());
    for (std::size_t i = 0; i < o.ids.size(); ++i)
        if (!seen.insert(o.ids[i]).second)
            throw Error(path + ": id '" + o.ids[i] + "' is on two rows; each row of the run's pool has one");
    return o;
}

} // namespace headbench
