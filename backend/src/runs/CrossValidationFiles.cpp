#include <headbench/runs/CrossValidationFiles.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/runs/RunStore.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>

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
    return readOutOfFoldCsv((fs::path(runDir) / "oof.csv").string());
}

} // namespace headbench
