#pragma once
/// \file LossChartView.h
#include "ChartView.h"

#include <QList>
#include <QPointF>

QT_BEGIN_NAMESPACE
class QLabel;
class QLineSeries;
class QValueAxis;
class QLogValueAxis;
QT_END_NAMESPACE

namespace headbench {

/// Train and validation loss per epoch, and a validation metric on a second axis. Curves are
/// smoothed (exponential moving average) on request, shown on a log scale on request, and
/// decimated to the pixels available.
class LossChartView : public ChartView {
    Q_OBJECT
public:
    /// The distance between integer axis ticks so that a range of `span` gets at most ten.
    static int integerTickStep(double span);
    explicit LossChartView(QWidget* parent = nullptr);
    ~LossChartView() override;

    void clear();
    /// Adds one epoch (1-based) and redraws.
    void addEpoch(int epoch, double trainLoss, double valLoss, double valMetric);
    /// Replaces all points at once (a finished run's history).
    void setHistory(const QList<QPointF>& train, const QList<QPointF>& val, const QList<QPointF>& metric);
    void setMetricName(const QString& name);
    /// What one point on the x axis is: "epoch", or for an L-BFGS probe one L2 penalty of its path.
    void setStepName(const QString& name);
    QString stepName() const;
    /// Whose curves these are (a run's name, or that training is under way): in the title,
    /// which is also the exported image's.
    void setRunName(const QString& name);

    /// 0 = raw; up to 0.99 = heavy smoothing.
    void setSmoothing(double weight);
    void setLogScale(bool on);
    /// The log axis for losses between lo and hi: base 10 over two decades or more, else base 2
    /// from a power of 2 to a power of 2, so that at least two ticks are labelled.
    struct LogAxisRange {
        double base, min, max;
    };
    static LogAxisRange logAxisRange(double lo, double hi);
    bool logScale() const { return m_log; }
    /// What to do next, shown over the chart while it has no points (an empty workspace showed an
    /// empty grid and nothing else); empty for none.
    void setPlaceholderText(const QString& text);
    /// The placeholder as shown now: empty when hidden (the chart has points, or there is none).
    QString shownPlaceholder() const;
    int pointCount() const { return static_cast<int>(m_train.size()); }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void redraw();
    QList<QPointF> prepare(const QList<QPointF>& raw) const;

    QList<QPointF> m_train, m_val, m_metric;
    QLineSeries* m_trainSeries;
    QLineSeries* m_valSeries;
    QLineSeries* m_metricSeries;
    QValueAxis* m_x;
    QValueAxis* m_yLinear;
    QLogValueAxis* m_yLog;
    QValueAxis* m_yMetric;
    double m_smoothing = 0;
    bool m_log = false;
    QLabel* m_placeholder;
};

} // namespace headbench
