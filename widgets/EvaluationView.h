#pragma once
/// \file EvaluationView.h
#include <headbench/eval/Metrics.h>
#include <headbench/eval/SplitEvaluation.h>
#include "SampleTableModel.h"

#include <QWidget>

#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QToolButton;
class QComboBox;
class QLabel;
class QSlider;
class QScatterSeries;
class QLineSeries;
QT_END_NAMESPACE

namespace headbench {

class ElidedLabel;

class ChartView;
class ConfusionMatrixView;

/// The evaluation of one run on its validation, test or train split: confusion matrix (click a cell
/// to see its samples), decision threshold with live precision/recall/F1 (two classes), ROC
/// and precision-recall curves marking the threshold, and a reliability diagram.
class EvaluationView : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationView(QWidget* parent = nullptr);

    /// Shows a run's samples; `split` holds the split code of every row of `data`.
    void setRun(std::shared_ptr<const SampleData> data, std::vector<std::uint8_t> split, const QString& title);
    void clear();
    /// 0 = train, 1 = validation, 2 = test (SplitCode); other codes are ignored.
    void setSplit(int code);
    int split() const;
    /// The shown split's name as the split box says it ("validation", "test", "train").
    QString splitName() const;
    /// Shown under the figures when a class has no rows in the split (missingClassNote): its
    /// recall and F1 of 0 say nothing of the head. Empty otherwise.
    QString classNote() const;
    /// Rows of the shown split (indices into the run's data).
    const std::vector<std::int64_t>& rows() const { return m_rows; }
    void setThreshold(double threshold);
    /// The saved run's 95% bootstrap intervals (Metrics::ci) of each split, shown beside the
    /// figures; none for runs saved without them. setRun() and clear() drop them. They were
    /// computed at the saved threshold (0.5): for two classes the intervals of the figures that
    /// depend on the threshold (accuracy, precision, recall, F1) are shown only there.
    void setIntervals(std::optional<MetricIntervals> validation, std::optional<MetricIntervals> test);
    double threshold() const { return m_threshold; }
    /// The run's probabilities were temperature-scaled with `temperature` (train --calibrate):
    /// the reliability diagram then also shows them before calibration, softmax(T log p).
    /// 1 (and setRun(), clear()) shows the run's probabilities only.
    void setCalibrationTemperature(double temperature);

    ConfusionMatrixView* confusionView() const { return m_confusion; }
    QSlider* thresholdSlider() const { return m_slider; }
    QComboBox* splitBox() const { return m_splitBox; }
    ChartView* rocView() const { return m_roc; }
    ChartView* prView() const { return m_pr; }
    ChartView* calibrationView() const { return m_calibration; }
    QString metricsText() const;

Q_SIGNALS:
    void cellClicked(int trueClass, int predictedClass);
    void thresholdChanged(double threshold);
    /// "Save" next to the threshold: keep this threshold with the run shown.
    void saveThresholdRequested(double threshold);
    void splitChanged(int code);

private:
    void rebuildSplit();
    void updateThresholdDependent();

    std::shared_ptr<const SampleData> m_data;
    std::vector<std::uint8_t> m_split;
    std::vector<std::int64_t> m_rows;
    SplitEvaluation m_evaluation; ///< the shown split's curves, bins and metrics at a threshold
    double m_threshold = 0.5;
    std::optional<MetricIntervals> m_validationCi, m_testCi;

    ElidedLabel* m_title;
    QComboBox* m_splitBox;
    QSlider* m_slider;
    QLabel* m_thresholdLabel;
    QToolButton* m_saveThreshold;
    QLabel* m_metrics;
    QLabel* m_classNote;
    QWidget* m_chartsPanel; ///< curves, reliability, threshold and figures: hidden without a run
    ConfusionMatrixView* m_confusion;
    ChartView* m_roc;
    ChartView* m_pr;
    ChartView* m_calibration;
    QLineSeries* m_rocLine;
    QLineSeries* m_prLine;
    QScatterSeries* m_rocMarker;
    QScatterSeries* m_prMarker;
    QLineSeries* m_calibrationLine;
    QScatterSeries* m_calibrationPoints;
    QLineSeries* m_calibrationBeforeLine;
    double m_temperature = 1.0;
};

} // namespace headbench
