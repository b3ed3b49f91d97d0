#pragma once
/// \file RunCompareView.h
#include <headbench/core/TextColumn.h>
#include <headbench/runs/RunComparison.h>

#include <QWidget>

#include <memory>

QT_BEGIN_NAMESPACE
class QLabel;
class QTableWidget;
class QTabWidget;
class QHBoxLayout;
QT_END_NAMESPACE

namespace headbench {

class ChartView;
class CodeViewer;

/// Two or more runs side by side: a metrics table with intervals and the best of each row marked,
/// curves overlaid (click a legend entry to hide a run), the differences of their specs,
/// confusion matrices next to each other, ROC and PR curves overlaid, and for two runs
/// McNemar's test and paired differences with the samples where they disagree (select one to
/// see its code).
class RunCompareView : public QWidget {
    Q_OBJECT
public:
    explicit RunCompareView(QWidget* parent = nullptr);

    /// Shows a comparison made by the backend (compareRuns; every run at its own threshold).
    /// `texts` holds the code of every sample (or is null when unknown).
    void setComparison(RunComparison comparison, TextColumn texts = {});
    int runCount() const { return static_cast<int>(m_runs.size()); }
    /// The names of the runs compared, in column order.
    QStringList runNames() const;

    QTableWidget* metricsTable() const { return m_metrics; }
    QTableWidget* differencesTable() const { return m_differences; }
    QTableWidget* disagreementTable() const { return m_disagreements; }
    QLabel* mcnemarLabel() const { return m_mcnemar; }
    /// The warning shown when the runs were trained on different data (hidden otherwise).
    QLabel* dataWarning() const { return m_dataWarning; }
    ChartView* lossChart() const { return m_loss; }
    QTabWidget* tabs() const { return m_tabs; }
    CodeViewer* codeViewer() const { return m_code; }
    /// The run (column header) marked best in a row of the metrics table, by row name; empty
    /// when none is. With intervals a run is best only when its interval overlaps no other's.
    QString bestRunOf(const QString& metricRow) const;
    /// Item data of a metrics cell: its interval as shown after the figure ("[low, high]").
    static constexpr int IntervalRole = Qt::UserRole + 1;
    /// Item data of a metrics cell: true when it is marked best.
    static constexpr int BestRole = Qt::UserRole + 2;

private:
    void fillMetrics();
    /// Why the runs' figures are not comparable (different feature files or rows); "" when they are.
    QString differentData() const;
    void fillCurves();
    void fillDifferences();
    void fillConfusions();
    void fillRocPr();
    void fillDisagreements();


    std::vector<ComparedRun> m_runs;
    RunComparison m_comparison; ///< all but the runs (moved into m_runs)
    TextColumn m_texts; ///< shares the loaded file's texts (not the file: its matrix is freed on a re-open)
    QTabWidget* m_tabs;
    QTableWidget* m_metrics;
    ChartView* m_loss;
    ChartView* m_f1;
    QTableWidget* m_differences;
    QWidget* m_confusionBox;
    QHBoxLayout* m_confusionLayout;
    ChartView* m_roc;
    ChartView* m_pr;
    QLabel* m_mcnemar;
    QLabel* m_dataWarning;
    QLabel* m_emptyHint; ///< shown instead of the tabs before any comparison
    QTableWidget* m_disagreements;
    CodeViewer* m_code;
};

} // namespace headbench
