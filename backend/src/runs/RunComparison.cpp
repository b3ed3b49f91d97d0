#include <headbench/runs/RunComparison.h>

#include <headbench/core/Error.h>

#include <fmt/format.h>

#include <utility>

namespace headbench {

std::string RunFileProblem::sentence() const
{
    return file + " " + problem + ": the " + leftOut + " of '" + run + "' are left out";
}

std::optional<CrossValidationSummary> loadCrossValidationOrProblem(const std::string& runDir, const std::string& runName,
                                                                   std::optional<RunFileProblem>& problem)
{
    RunFileProblem p{.file = runDir + "/cv.json", .problem = {}, .run = runName, .leftOut = "cross-validation figures"};
    try {
        return loadCrossValidationSummary(runDir);
    } catch (const DamagedFile& e) {
        p.file = e.path();
        p.problem = "is damaged (" + e.reason() + ")";
    } catch (const Error& e) {
        p.problem = e.what();
        if (p.problem.starts_with(p.file + ": "))
            p.problem.erase(0, p.file.size() + 2);
    }
    problem = std::move(p);
    return std::nullopt;
}

void applyThreshold(ComparedRun& run, double threshold)
{
    run.threshold = threshold;
    metricsAtThreshold(run.record, run.predictions, threshold);
}

RunComparison compareRuns(const std::vector<std::string>& runDirs, const CompareOptions& options)
{
    if (runDirs.size() < 2)
        throw Error("compare needs two or more run folders");
    std::vector<ComparedRun> runs;
    for (const std::string& dir : runDirs)
        runs.push_back({loadRun(dir), loadPredictions(dir)});
    return compareLoadedRuns(std::move(runs), options);
}

RunComparison compareLoadedRuns(std::vector<ComparedRun> runs, const CompareOptions& options)
{
    if (runs.size() < 2)
        throw Error("compare needs two or more runs");
    // The same run twice (or a copy of its folder) was compared with itself: every difference
    // 0, and a "significant" column of nothing.
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (!runs[i].record.id.empty() && runs[i].record.id == runs[j].record.id)
                throw Error(fmt::format("run {} is given twice ({} and {}): compare needs different runs", runs[i].record.id,
                                        runs[j].record.dir.empty() ? "run " + std::to_string(j + 1) : runs[j].record.dir,
                                        runs[i].record.dir.empty() ? "run " + std::to_string(i + 1) : runs[i].record.dir));
    RunComparison out;
    std::vector<HeadSpec> specs;
    for (ComparedRun& run : runs) {
        if (!run.crossValidation && !run.record.dir.empty()) {
            std::optional<RunFileProblem> problem;
            run.crossValidation = loadCrossValidationOrProblem(run.record.dir, run.record.name, problem);
            if (problem)
                out.problems.push_back(std::move(*problem));
        }
        // The saved metrics are at 0.5; a run with a saved threshold is shown at it.
        if (run.record.threshold && run.predictions.numClasses == 2 && !run.savedThreshold) {
            run.savedThreshold = true;
            applyThreshold(run, *run.record.threshold);
        }
        if (run.predictions.numClasses == 2) {
            const SplitRows test = rowsOfSplit(run.predictions, kTest);
            std::vector<float> scores(test.labels.size());
            for (std::size_t i = 0; i < scores.size(); ++i)
                scores[i] = test.probabilities[2 * i + 1];
            run.testRoc = rocCurve(test.labels, scores);
            run.testPr = prCurve(test.labels, scores);
        }
        specs.push_back(run.record.spec);
        out.runs.push_back(std::move(run));
    }
    out.differences = diffSpecs(specs);
    auto addSetting = [&](const std::string& field, auto get) {
        SpecDifference d{field, {}};
        bool differs = false;
        for (const auto& r : out.runs) {
            d.values.push_back(get(r.record));
            differs = differs || d.values.back() != d.values.front();
        }
        if (differs)
            out.differences.push_back(std::move(d));
    };
    addSetting("features", [](const RunRecord& r) { return r.featuresPath; });
    addSetting("backbone", [](const RunRecord& r) { return r.backbone; });
    auto dataKey = [](const RunRecord& r) {
        return std::make_pair(r.featuresHash.empty() ? r.featuresPath : r.featuresHash, r.rows);
    };
    // The same file and rows, or the same samples labelled and split alike in other files
    // (two backbones' features of one dataset, whose rows may come in another order).
    const ComparedRun& first = out.runs.front();
    for (const auto& r : out.runs)
        out.sameData = out.sameData && (dataKey(r.record) == dataKey(first.record) ||
                                        (first.predictions.rows() > 0 && sameSamples(first.predictions, r.predictions)));

    if (out.runs.size() != 2)
        return out;
    const ComparedRun& a = out.runs[0];
    const ComparedRun& b = out.runs[1];
    try {
        out.pairedSplit = "test";
        out.outcomes = pairOutcomes(a.predictions, b.predictions, kTest, a.threshold, b.threshold);
        if (out.outcomes.rows.empty()) {
            out.pairedSplit = "validation";
            out.outcomes = pairOutcomes(a.predictions, b.predictions, kValidation, a.threshold, b.threshold);
        }
    } catch (const Error& e) {
        out.pairedSplit.clear();
        out.pairingProblem = e.what();
        return out;
    }
    out.mcnemar = mcnemar(out.outcomes.firstCorrect, out.outcomes.secondCorrect);
    if (options.pairedDifferences && !out.outcomes.rows.empty())
        out.paired = pairedDifferences(a.predictions, b.predictions, out.pairedSplit == "test" ? kTest : kValidation,
                                       a.threshold, b.threshold);
    return out;
}

} // namespace headbench
