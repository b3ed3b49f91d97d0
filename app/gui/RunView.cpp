#include "RunView.h"

#include "SampleTableModel.h"

#include <headbench/runs/CrossValidationFiles.h>
#include <headbench/runs/RunComparison.h>
#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/eval/LabelIssues.h>
#include <headbench/text/Tokenizer.h>
#include <headbench/train/CrossValidation.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>
#include <unordered_map>

#include <QDir>
#include <QObject>

namespace headbench {

LoadedRun loadRunForView(const QString& runDir, const std::shared_ptr<const FeatureSet>& features, const QString& featuresPath,
                         const QHash<QString, QString>& located, const QHash<QString, QString>& problems)
{
    LoadedRun out;
    out.dir = runDir;
    try {
        out.record = loadRun(runDir.toStdString());
        RunPredictions pred = loadPredictions(runDir.toStdString());
        auto data = std::make_shared<SampleData>();
        data->ids = std::move(pred.ids);
        data->labels = std::move(pred.labels);
        data->probabilities = std::move(pred.probabilities);
        data->numClasses = pred.numClasses;
        data->labelNames = out.record.labelNames;
        const QString recorded = QString::fromStdString(out.record.featuresPath);
        const QString wanted = located.value(recorded, recorded);
        if (features && !features->texts.empty() && features->rows == data->rows() && featuresPath == wanted) {
            data->texts = features->texts;
            attachTokenCounts(*data, *features, featuresPath.toStdString());
        }
        else if (problems.contains(recorded))
            data->textsMissingReason = problems.value(recorded).toStdString();
        else if (!features)
            data->textsMissingReason =
                QObject::tr("No feature file is loaded; this run was trained on %1.").arg(QDir::toNativeSeparators(wanted)).toStdString();
        else if (featuresPath != wanted)
            data->textsMissingReason = QObject::tr("The loaded feature file, %1, is not the one this run was trained on (%2).")
                                           .arg(QDir::toNativeSeparators(featuresPath), QDir::toNativeSeparators(wanted))
                                           .toStdString();
        else if (features->rows != data->rows())
            data->textsMissingReason = QObject::tr("The loaded feature file has %1, the run's predictions %2.")
                                           .arg(QString::fromStdString(plural(features->rows, "row")))
                                           .arg(data->rows())
                                           .toStdString();
        attachLeakage(*data, out.record, runDir.toStdString());
        attachLabelIssues(*data, runDir.toStdString());
        // A damaged cv.json costs the view its cross-validation line, not the run.
        std::optional<RunFileProblem> cvProblem;
        out.crossValidation = loadCrossValidationOrProblem(runDir.toStdString(), out.record.name, cvProblem);
        if (cvProblem)
            out.crossValidationProblem = QObject::tr("cv.json %1: the cross-validation figures are left out.")
                                             .arg(QString::fromStdString(cvProblem->problem));
        out.samples = std::move(data);
        out.split = std::move(pred.split);
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

QString crossValidationText(const CrossValidationSummary& cv)
{
    auto meanSd = [](double mean, double sd) {
        return std::isfinite(mean) ? QStringLiteral("%1 ± %2").arg(mean, 0, 'f', 3).arg(sd, 0, 'f', 3) : QStringLiteral("–");
    };
    return QObject::tr("<b>Cross-validation</b> (%1 folds%2 of the %3 training and validation rows; mean ± sd over folds): "
                       "F1 %4 · accuracy %5 · ROC-AUC %6")
        .arg(cv.k)
        .arg(cv.foldsBy == "group" ? QObject::tr(" by group") : QString())
        .arg(cv.pooledRows)
        .arg(meanSd(cv.mean.f1, cv.sd.f1), meanSd(cv.mean.accuracy, cv.sd.accuracy), meanSd(cv.mean.rocAuc, cv.sd.rocAuc));
}

QString leakageBannerText(const LeakageReport& r, const std::string& splitSource)
{
    const bool leaks = r.measured && (r.testNearDuplicates > 0 || r.validationNearDuplicates > 0);
    if (!leaks && !(r.measured && r.conflictingLabels > 0))
        return {};
    auto pct = [](std::int64_t a, std::int64_t b) { return b > 0 ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    QString text;
    if (leaks)
        text = QObject::tr("<b>Leakage:</b> %1 of %2 test rows (%3%) and %4 of %5 validation rows (%6%) have a near duplicate in "
                  "training (%7 ≥ %8; exact copies: %9). %10 Samples ▸ <i>Near duplicate in training</i> lists them.")
                   .arg(r.testNearDuplicates)
                   .arg(r.testRows)
                   .arg(pct(r.testNearDuplicates, r.testRows), 0, 'f', 0)
                   .arg(r.validationNearDuplicates)
                   .arg(r.validationRows)
                   .arg(pct(r.validationNearDuplicates, r.validationRows), 0, 'f', 0)
                   .arg(r.method == "text" ? QObject::tr("token-shingle Jaccard") : QObject::tr("centred-feature cosine"))
                   .arg(r.nearThreshold)
                   .arg(r.testExactDuplicates)
                   .arg(pct(r.testNearDuplicates, r.testRows) >= 5 || pct(r.validationNearDuplicates, r.validationRows) >= 5
                            ? (splitSource == "group"
                                   ? QObject::tr("These figures are not an honest estimate. The split is already by group, so "
                                                 "near duplicates cross groups: group coarser (a project or family field) or "
                                                 "deduplicate (Import ▸ Drop exact duplicates).")
                                   : QObject::tr("These figures are not an honest estimate: split by group (Import ▸ Group "
                                                 "field, then Split: by group) or deduplicate (Import ▸ Drop exact duplicates)."))
                            : QObject::tr("Few enough to matter little, but look at them."));
    if (r.conflictingLabels > 0)
        text += (text.isEmpty() ? QString() : QStringLiteral("<br>")) +
                QObject::tr("<b>Conflicting labels:</b> %1 %2 their code with a row of another label.")
                    .arg(QString::fromStdString(plural(r.conflictingLabels, "row")),
                         r.conflictingLabels == 1 ? QObject::tr("shares") : QObject::tr("share"));
    return text;
}

void attachTokenCounts(SampleData& data, const FeatureSet& features, const std::string& featurePath)
{
    if (features.nTokens.size() != static_cast<std::size_t>(data.rows()))
        return;
    data.nTokens = features.nTokens;
    const auto attr = [&](const std::string& key) {
        const auto it = features.attributes.find(key);
        return it == features.attributes.end() ? std::string() : it->second;
    };
    try {
        data.window = std::stoll(attr("max_length"));
    } catch (const std::exception&) {
        data.window = 0; // a file from elsewhere without a window: counts only
    }
    data.longMode = attr("long").empty() ? "head" : attr("long");
    data.tokenizerFile = attr("tokenizer_file");
    data.tokenizerPath = findTokenizer(features.attributes, featurePath);
}

void attachLeakage(SampleData& data, const RunRecord& record, const std::string& runDir)
{
    const RunLeakageRows leak = loadLeakageRows(runDir);
    if (leak.rows.empty())
        return;
    std::unordered_map<std::string_view, std::int64_t> rowOf;
    rowOf.reserve(data.ids.size());
    for (std::size_t i = 0; i < data.ids.size(); ++i)
        rowOf.emplace(data.ids[i], static_cast<std::int64_t>(i));
    data.leakFlags.assign(data.ids.size(), 0);
    data.nearestTrain.assign(data.ids.size(), -1);
    data.nearestSimilarity.assign(data.ids.size(), 0.0f);
    data.leakMethod = record.leakage.method;
    for (const auto& [id, row] : leak.rows) {
        const auto it = rowOf.find(id);
        if (it == rowOf.end())
            continue;
        const auto i = static_cast<std::size_t>(it->second);
        data.leakFlags[i] = static_cast<std::uint8_t>((row.exact ? kExactDuplicate : 0) | (row.near ? kNearDuplicate : 0) |
                                                      (row.conflicting ? kConflictingLabel : 0));
        if (const auto t = rowOf.find(row.nearestTrainId); !row.nearestTrainId.empty() && t != rowOf.end()) {
            data.nearestTrain[i] = t->second;
            data.nearestSimilarity[i] = static_cast<float>(row.similarity);
        }
    }
}

void attachLabelIssues(SampleData& data, const std::string& runDir)
{
    if (!std::filesystem::exists(std::filesystem::path(runDir) / "oof.csv"))
        return;
    const OutOfFold oof = loadOutOfFold(runDir);
    const LabelIssueReport report = findLabelIssues(oof.labels, oof.probabilities, oof.numClasses());
    std::unordered_map<std::string_view, std::size_t> rowOf;
    rowOf.reserve(data.ids.size());
    for (std::size_t i = 0; i < data.ids.size(); ++i)
        rowOf.emplace(data.ids[i], i);
    data.issueScore.assign(data.ids.size(), std::numeric_limits<float>::quiet_NaN());
    data.issueSuggested.assign(data.ids.size(), -1);
    for (const LabelIssue& issue : report.issues) {
        const auto it = rowOf.find(oof.ids[static_cast<std::size_t>(issue.row)]);
        if (it == rowOf.end())
            continue;
        data.issueScore[it->second] = static_cast<float>(issue.score);
        data.issueSuggested[it->second] = issue.suggested;
    }
}

} // namespace headbench
