#include "RunView.h"

#include "SampleTableModel.h"

#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/data/Leakage.h>

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
        out.samples = std::move(data);
        out.split = std::move(pred.split);
    } catch (const std::exception& e) {
        out.error = QString::fromStdString(e.what());
    }
    return out;
}

QString leakageBannerText(const LeakageReport& r)
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
                            ? QObject::tr("These figures are not an honest estimate: split by group (extract with a group field) "
                                 "or deduplicate.")
                            : QObject::tr("Few enough to matter little, but look at them."));
    if (r.conflictingLabels > 0)
        text += (text.isEmpty() ? QString() : QStringLiteral("<br>")) +
                QObject::tr("<b>Conflicting labels:</b> %1 %2 their code with a row of another label.")
                    .arg(QString::fromStdString(plural(r.conflictingLabels, "row")),
                         r.conflictingLabels == 1 ? QObject::tr("shares") : QObject::tr("share"));
    return text;
}

} // namespace headbench
