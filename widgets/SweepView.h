#pragma once
/// \file SweepView.h
#include <headbench/runs/RunStore.h>

#include <QWidget>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
QT_END_NAMESPACE

namespace headbench {

class ChartView;

/// A sweep in progress or done: overall progress, one row per run with its values, status and
/// metrics, and a scatter of a chosen metric against a chosen field to pick the winner.
class SweepView : public QWidget {
    Q_OBJECT
public:
    explicit SweepView(QWidget* parent = nullptr);

    /// Starts showing a sweep: the values of each point (JSON object text).
    void setPoints(const QString& sweepId, const QStringList& params);
    void setRunning(int index);
    void setFinished(int index, const RunRecord& run);
    void setFailed(int index, const QString& message);
    /// Marks the rest as cancelled and the sweep as ended.
    void setEnded(bool cancelled);

    QTableWidget* table() const { return m_table; }
    ChartView* scatter() const { return m_scatter; }
    QComboBox* fieldBox() const { return m_field; }
    QComboBox* metricBox() const { return m_metric; }
    int finishedCount() const;
    /// Nothing shown yet (no sweep run here, none picked from the runs list).
    bool isEmpty() const { return m_params.isEmpty(); }

Q_SIGNALS:
    void cancelRequested();
    void runActivated(QString dir);

private:
    void updateScatter();
    /// With the train_fraction field: the metric against training rows, with its band.
    void drawLearningCurve();
    void updateProgress();

    QLabel* m_title;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QTableWidget* m_table;
    ChartView* m_scatter;
    QComboBox* m_field;
    QComboBox* m_metric;
    QStringList m_params;
    std::vector<RunRecord> m_results;
    std::vector<bool> m_done;
};

} // namespace headbench
