#pragma once
/// \file ChartView.h
#include <QtCharts/QChartView>

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

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
};

} // namespace headbench
