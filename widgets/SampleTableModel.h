#pragma once
/// \file SampleTableModel.h
#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <headbench/core/TextColumn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace headbench {

/// Per-sample outputs of a run with what is needed to show them. Plain columns, shared
/// read-only between the models and views.
struct SampleData {
    std::vector<std::string> ids;
    std::vector<std::int32_t> labels;
    std::vector<float> probabilities; ///< rows x numClasses
    TextColumn texts;                 ///< empty when the feature file has no /text or is not loaded; shares the loaded file's
    /// Why `texts` is empty, shown in the code pane (empty: the feature file has no /text).
    std::string textsMissingReason;
    std::vector<std::string> labelNames;
    int numClasses = 0;
    /// The run's leakage check (empty when it has none): per row, LeakageFlag bits, the row of
    /// the nearest training sample found (-1: none) and its similarity.
    std::vector<std::uint8_t> leakFlags;
    std::vector<std::int64_t> nearestTrain;
    std::vector<float> nearestSimilarity;
    std::string leakMethod; ///< "text" (token-shingle Jaccard) or "features" (centred cosine)
    /// Likely label errors of a run trained with --cv (empty when it has no oof.csv): per row,
    /// the confident-learning score (higher: more likely wrong; NaN: not an issue) and the
    /// suggested class (-1: none).
    std::vector<float> issueScore;
    std::vector<std::int32_t> issueSuggested;

    /// What the model saw (feature files with `/n_tokens`; empty otherwise): per row the token
    /// count before the cut, the window (max_length), how longer texts were read (head, tail,
    /// windows) and the tokenizer to find where the cut fell ("" when it cannot be found).
    std::vector<std::int64_t> nTokens;
    std::int64_t window = 0;
    std::string longMode = "head";
    std::string tokenizerPath;
    std::string tokenizerFile; ///< the name the feature file records, for messages

    std::int64_t rows() const { return static_cast<std::int64_t>(labels.size()); }
    /// True when the model saw only part of the row's text (head or tail cut it).
    bool truncated(std::int64_t row) const
    {
        return window > 0 && longMode != "windows" && row >= 0 && static_cast<std::size_t>(row) < nTokens.size() &&
               nTokens[static_cast<std::size_t>(row)] > window;
    }
};

class SampleTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, TrueColumn, PredictedColumn, CorrectColumn, ConfidenceColumn, FirstProbabilityColumn };
    /// Role returning the row's index into SampleData (qint64).
    static constexpr int SampleRowRole = Qt::UserRole + 1;
    /// Role returning a sortable value (number or string).
    static constexpr int SortRole = Qt::UserRole + 2;

    explicit SampleTableModel(QObject* parent = nullptr);

    /// Shows the given rows of `data` (indices into its columns).
    void setSamples(std::shared_ptr<const SampleData> data, std::vector<std::int64_t> rows);
    void setThreshold(double threshold);
    double threshold() const { return m_threshold; }
    /// The "label issue" column after the probabilities, or -1 when the run has no label issues.
    int issueColumn() const;
    /// The row's label-issue score, NaN when it is not a likely label error.
    float issueScore(int row) const;
    /// The "tokens" column (token count, marked when the window cut it), last; -1 when the
    /// feature file has no token counts.
    int tokensColumn() const;

    const SampleData* samples() const { return m_data.get(); }
    std::int64_t sampleRow(int row) const { return m_rows[static_cast<std::size_t>(row)]; }
    int predicted(int row) const;
    int trueClass(int row) const;
    float confidence(int row) const;
    const std::string& text(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Writes the visible rows of `model` (a proxy over this model, or this model) as CSV.
    static bool exportCsv(const QAbstractItemModel* model, const QString& path, QString* error);

private:
    std::shared_ptr<const SampleData> m_data;
    bool m_numericIds = false; ///< every id is an integer: they sort as numbers (9990 before 99989)
    std::vector<std::int64_t> m_rows;
    double m_threshold = 0.5;
};

/// Filters and sorts a SampleTableModel: only misclassified, by true or predicted class, by
/// confidence range, and by text in the code.
class SampleFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit SampleFilterProxy(QObject* parent = nullptr);

    void setOnlyMisclassified(bool on);
    void setTrueClass(int k);      ///< -1 = any
    void setPredictedClass(int k); ///< -1 = any
    void setConfidenceRange(double lo, double hi);
    void setCodeFilter(const QString& text);
    /// Only samples with a near duplicate in the training split (from the run's leakage check).
    void setOnlyNearDuplicates(bool on);
    /// Only likely label errors (confident learning on the run's out-of-fold probabilities).
    void setOnlyLabelIssues(bool on);
    /// Only samples the model saw in part (longer than its token window).
    void setOnlyTruncated(bool on);
    /// Clears every filter.
    void reset();
    /// Only the samples of one confusion-matrix cell, every other filter cleared: one pass.
    void showCell(int trueClass, int predictedClass);

    bool onlyMisclassified() const { return m_onlyWrong; }
    int trueClassFilter() const { return m_true; }
    int predictedClassFilter() const { return m_predicted; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    void refilter();
    void clearCriteria();
    bool m_onlyWrong = false;
    bool m_onlyNear = false;
    bool m_onlyIssues = false;
    bool m_onlyTruncated = false;
    int m_true = -1, m_predicted = -1;
    double m_lo = 0, m_hi = 1;
    std::string m_code;
};

} // namespace headbench
