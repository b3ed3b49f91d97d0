#pragma once
/// \file SamplesPanel.h
#include "SampleTableModel.h"

#include <QWidget>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QTableView;
QT_END_NAMESPACE

namespace headbench {

class CodeViewer;
class Tokenizer;
class ProbabilityBarsView;

/// Every sample of the chosen split in a sortable, filterable table; the selected sample's
/// code, highlighted, with its label, prediction and probability bars.
class SamplesPanel : public QWidget {
    Q_OBJECT
public:
    explicit SamplesPanel(QWidget* parent = nullptr);
    ~SamplesPanel() override;

    void setSamples(std::shared_ptr<const SampleData> data, std::vector<std::int64_t> rows);
    /// Which rows setSamples gave, as the count says them: "validation split" (the split the
    /// Evaluation view shows), with the run's name in the count's tooltip.
    void setScope(const QString& splitName, const QString& runName);
    void setThreshold(double threshold);
    /// Shows only the samples of one confusion-matrix cell.
    void filterToCell(int trueClass, int predictedClass);
    /// Only misclassified samples, most confident first.
    void showMostConfidentlyWrong();
    void clearFilters();

    SampleTableModel* model() const { return m_model; }
    SampleFilterProxy* proxy() const { return m_proxy; }
    QTableView* table() const { return m_table; }
    /// "20 of 888 validation samples": what the table holds, after filters.
    QString countText() const;
    CodeViewer* codeViewer() const { return m_code; }
    /// The nearest training row of the selected sample (hidden when the run has no leakage check).
    CodeViewer* neighbourViewer() const { return m_neighbour; }
    QLabel* neighbourTitle() const { return m_neighbourTitle; }
    QCheckBox* nearDuplicateFilter() const { return m_onlyNear; }
    /// Only likely label errors, most likely first (runs trained with --cv).
    QCheckBox* labelIssueFilter() const { return m_onlyIssues; }
    QCheckBox* truncatedFilter() const { return m_onlyTruncated; }
    bool exportCsv(const QString& path, QString* error) const;

private:
    void showSample(const QModelIndex& proxyIndex);
    void showSampleTitle(int modelRow); ///< the shown sample's id, true and predicted class
    void showNeighbour(std::int64_t sample, const QString& code);
    /// Greys what the model did not see of a truncated sample; returns a note for the title.
    QString showSeenPart(std::int64_t sample);
    void updateCount();
    /// The filter boxes back to "any", without refiltering.
    void resetFilterBoxes();
    void fillClassCombos();

    SampleTableModel* m_model;
    SampleFilterProxy* m_proxy;
    QTableView* m_table;
    QCheckBox* m_onlyWrong;
    QCheckBox* m_onlyNear;
    QCheckBox* m_onlyIssues;
    QCheckBox* m_onlyTruncated;
    QComboBox* m_trueBox;
    QComboBox* m_predBox;
    QDoubleSpinBox* m_confLo;
    QDoubleSpinBox* m_confHi;
    QLineEdit* m_search;
    QLabel* m_count;
    QString m_scopeTip; ///< which run and split the count is of (its tooltip)
    QString m_splitName;
    QLabel* m_sampleTitle;
    ProbabilityBarsView* m_bars;
    CodeViewer* m_code;
    QLabel* m_neighbourTitle;
    CodeViewer* m_neighbour;
    bool m_syncing = false;
    /// The tokenizer of the samples' feature file, loaded on first need (seenSpan).
    std::unique_ptr<Tokenizer> m_tokenizer;
    std::string m_tokenizerPath;
    QString m_tokenizerError;
};

} // namespace headbench
