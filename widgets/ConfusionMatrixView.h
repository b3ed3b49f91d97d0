#pragma once
/// \file ConfusionMatrixView.h
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace headbench {

/// A confusion-matrix heatmap: rows are true classes, columns predicted ones; each cell shows
/// its count and its share of the row. Clicking a cell emits cellClicked.
class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);

    void setMatrix(const std::vector<std::vector<std::int64_t>>& counts, const QStringList& labelNames);
    const std::vector<std::vector<std::int64_t>>& matrix() const { return m_counts; }
    /// What an empty matrix says (no run shown).
    void setPlaceholder(const QString& text)
    {
        m_placeholder = text;
        update();
    }
    const QString& placeholder() const { return m_placeholder; }
    /// The selected cell, or (-1, -1).
    QPoint selectedCell() const { return m_selected; }
    void clearSelection();
    /// Where cell (trueClass, predicted) is drawn, in widget coordinates.
    QRect cellRect(int trueClass, int predicted) const;
    /// Saves the matrix as PNG or SVG (by extension); false with `error` set when it fails.
    bool exportTo(const QString& path, QString* error = nullptr);

    QSize sizeHint() const override { return {360, 300}; }
    QSize minimumSizeHint() const override { return {196, 180}; }

Q_SIGNALS:
    void cellClicked(int trueClass, int predictedClass);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    QRect gridRect() const;

    std::vector<std::vector<std::int64_t>> m_counts;
    QString m_placeholder = tr("No run selected");
    QStringList m_names;
    QPoint m_selected{-1, -1};
};

} // namespace headbench
