#pragma once
/// \file HeadDiagramView.h
#include <headbench/train/HeadSpec.h>

#include <QWidget>

namespace headbench {

/// Draws a head's layers as a column of boxes with their shapes, from the feature dimension
/// to the classes, sized to fit.
class HeadDiagramView : public QWidget {
    Q_OBJECT
public:
    explicit HeadDiagramView(QWidget* parent = nullptr);
    void setLayers(const std::vector<LayerInfo>& layers, std::int64_t inputDim);
    QSize sizeHint() const override { return {260, 320}; }
    QSize minimumSizeHint() const override { return {200, 160}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<LayerInfo> m_layers;
    std::int64_t m_inputDim = 0;
};

} // namespace headbench
