#pragma once
/// \file RunView.h
/// What the window shows of a saved run: read off the GUI thread (predictions, texts when the
/// loaded feature file is the run's own, leakage and label-issue columns), and the wording of
/// the leakage banner above the evaluation.
#include <headbench/runs/RunStore.h>

#include <QHash>
#include <QString>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace headbench {

struct FeatureSet;
struct LeakageReport;
struct SampleData;

/// A run read off the GUI thread.
struct LoadedRun {
    QString dir;
    RunRecord record;
    std::shared_ptr<SampleData> samples;
    std::vector<std::uint8_t> split;
    std::optional<CrossValidationSummary> crossValidation; ///< cv.json, for runs trained with cross-validation
    QString crossValidationProblem; ///< why cv.json could not be read (the run is shown without it)
    QString error; ///< set instead of the rest when the run cannot be read
};

/// Reads the run in `runDir` for the views. `features` (may be null) is the loaded feature file
/// at `featuresPath`; its texts go with the samples only when it is the file the run was trained
/// on (`located` maps recorded paths to where Locate… found them), otherwise the samples say why
/// the code cannot be shown (`problems`: known reasons by recorded path). Safe on any thread.
LoadedRun loadRunForView(const QString& runDir, const std::shared_ptr<const FeatureSet>& features, const QString& featuresPath,
                         const QHash<QString, QString>& located, const QHash<QString, QString>& problems);

/// The banner's rich text when the run's validation or test rows have near duplicates in training
/// or rows conflict in label; empty when there is nothing to say.
QString leakageBannerText(const LeakageReport& report, const std::string& splitSource = {});
/// The line the window shows for a cross-validated run: K, and the mean ± sd over folds.
QString crossValidationText(const CrossValidationSummary& cv);

// What a run adds to the samples table, read from its files (the widget receives the values).
/// Fills `data.issueScore` and `issueSuggested` by confident learning on the out-of-fold
/// probabilities of the run in `runDir` (matched by id); leaves them empty when the run has no
/// oof.csv (trained without --cv). Throws headbench::Error when oof.csv is damaged.
void attachLabelIssues(SampleData& data, const std::string& runDir);

/// Fills the leakage columns (`leakFlags`, nearest training row and its similarity) from the
/// leakage.csv of the run in `runDir`, matched by id; leaves them empty when the run has none.
void attachLeakage(SampleData& data, const RunRecord& record, const std::string& runDir);

/// Fills what the model saw (`nTokens`, window, long mode, tokenizer) from the feature file the
/// samples' texts came from; leaves nTokens empty when the file has no `/n_tokens`.
void attachTokenCounts(SampleData& data, const FeatureSet& features, const std::string& featurePath);

/// The samples of one split as a table: id, true class, predicted class, correct, confidence,
/// and one probability column per class. Reads the column vectors directly (no item per
/// cell), so it stays fast at 100,000+ rows. The prediction follows the decision threshold.
} // namespace headbench
