#pragma once
/// \file ChartView.h
#include <QtCharts/QChartView>
#include <QtCharts/QValueAxis>

namespace headbench {

/// A chart view every HeadBench chart uses: antialiased, with a context menu and methods to
/// export the chart as PNG or SVG.
class ChartView : public QChartView {
    Q_OBJECT
public:
    explicit ChartView(QWidget* parent = nullptr);
    /// Saves the chart; the format follows the extension (.png or .svg). Returns false and sets
    /// `error` when the file cannot be written.
    bool exportTo(const QString& path, QString* error = nullptr);

    /// Keeps a small chart legible: the legend is hidden while its entries do not fit the
    /// chart's width (Qt Charts would cut them to "thre…") or the chart is shorter than
    /// kLegendMinHeight (its row would squeeze the plot until the axis labels read "…"), and `axis` (when given) shows
    /// `fewTicks` ticks instead of `ticks` while the chart is shorter than `tallEnough` pixels
    /// (its labels would be drawn as "…").
    void keepLegible(QValueAxis* axis = nullptr, int ticks = 6, int fewTicks = 3, int tallEnough = 230);
    static constexpr int kLegendMinHeight = 200;
    /// The width the legend's visible entries take in one row.
    int legendWidthNeeded() const;
    /// Applies keepLegible's rules now (after legend entries were shown or hidden).
    void fitToSize();

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    bool m_keepLegible = false;
    QValueAxis* m_axis = nullptr;
    int m_ticks = 6, m_fewTicks = 3, m_tallEnough = 230;
};

} // namespace headbench
