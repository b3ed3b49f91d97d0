#pragma once
/// \file RankChartView.h
#include <headbench/train/Rank.h>

#include <QWidget>

#include <vector>

QT_BEGIN_NAMESPACE
class QComboBox;
class QTableWidget;
QT_END_NAMESPACE

namespace headbench {

class ChartView;

/// The ranking of feature sets (rank): a chart of the score per layer, one line per pooling
/// (and per file when several backbones are ranked), the score chosen between LogME and the
/// probe's validation F1; below it the table, best first.
class RankChartView : public QWidget {
    Q_OBJECT
public:
    explicit RankChartView(QWidget* parent = nullptr);
    void setEntries(std::vector<RankEntry> entries);
    const std::vector<RankEntry>& entries() const { return m_entries; }

    ChartView* chartView() const { return m_chart; }
    QComboBox* metricBox() const { return m_metric; }
    QTableWidget* table() const { return m_table; }

private:
    void redraw();

    std::vector<RankEntry> m_entries;
    ChartView* m_chart;
    QComboBox* m_metric;
    QTableWidget* m_table;
};

} // namespace headbench
