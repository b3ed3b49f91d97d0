#include "ConfusionMatrixView.h"

#include "WidgetExport.h"

#include <QMouseEvent>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace headbench {

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(false);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Click a cell to show its samples"));
}

void ConfusionMatrixView::setMatrix(const std::vector<std::vector<std::int64_t>>& counts, const QStringList& labelNames)
{
    m_counts = counts;
    m_names = labelNames;
    if (m_selected.x() >= static_cast<int>(counts.size()) || m_selected.y() >= static_cast<int>(counts.size()))
        m_selected = {-1, -1};
    update();
}

void ConfusionMatrixView::clearSelection()
{
    m_selected = {-1, -1};
    update();
}

QRect ConfusionMatrixView::gridRect() const
{
    const int left = 100, top = 46, right = 8, bottom = 12;
    const int k = std::max<int>(1, static_cast<int>(m_counts.size()));
    const int side = std::max(10, std::min(width() - left - right, height() - top - bottom));
    const int cell = side / k;
    // Centred in the space left of the labels, so a wide or tall widget has no lopsided gap.
    const int x = left + std::max(0, (width() - left - right - cell * k) / 2);
    const int y = top + std::max(0, (height() - top - bottom - cell * k) / 2);
    return {x, y, cell * k, cell * k};
}

QRect ConfusionMatrixView::cellRect(int t, int p) const
{
    const QRect g = gridRect();
    const int k = std::max<int>(1, static_cast<int>(m_counts.size()));
    const int cell = g.width() / k;
    return {g.left() + p * cell, g.top() + t * cell, cell, cell};
}

void ConfusionMatrixView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().base());
    const int k = static_cast<int>(m_counts.size());
    if (k == 0) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(12, 0, -12, 0), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    const QRect g = gridRect();
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRect(g.left(), g.top() - 46, g.width(), 20), Qt::AlignCenter, tr("predicted"));
    painter.save();
    painter.translate(g.left() - 90, g.center().y());
    painter.rotate(-90);
    painter.drawText(QRect(-g.height() / 2, -10, g.height(), 20), Qt::AlignCenter, tr("true"));
    painter.restore();
    painter.setFont(font());
    for (int i = 0; i < k; ++i) {
        const QString name = i < m_names.size() ? m_names[i] : QString::number(i);
        const QRect col = cellRect(0, i);
        // A class name wider than its column is set smaller (down to 6.5 pt) before it is cut.
        QFont small = font();
        const int room = col.width() - 4;
        if (small.pointSizeF() > 0)
            while (QFontMetrics(small).horizontalAdvance(name) > room && small.pointSizeF() > 6.5)
                small.setPointSizeF(small.pointSizeF() - 0.5);
        painter.setFont(small);
        painter.drawText(QRect(col.left(), g.top() - 24, col.width(), 20), Qt::AlignCenter,
                         painter.fontMetrics().elidedText(name, Qt::ElideRight, room));
        painter.setFont(font());
        const QRect row = cellRect(i, 0);
        painter.drawText(QRect(g.left() - 78, row.top(), 74, row.height()), Qt::AlignVCenter | Qt::AlignRight,
                         painter.fontMetrics().elidedText(name, Qt::ElideRight, 72));
    }
    for (int t = 0; t < k; ++t) {
        std::int64_t rowTotal = 0;
        for (auto c : m_counts[t])
            rowTotal += c;
        for (int p = 0; p < k; ++p) {
            const std::int64_t count = m_counts[t][p];
            const double share = rowTotal > 0 ? static_cast<double>(count) / static_cast<double>(rowTotal) : 0.0;
            // Correct cells in blue, errors in orange; intensity by row share.
            const QColor base = t == p ? QColor(0x15, 0x65, 0xc0) : QColor(0xe6, 0x51, 0x00);
            QColor fill = base;
            fill.setAlphaF(0.08 + 0.85 * share);
            const QRect cell = cellRect(t, p).adjusted(1, 1, -1, -1);
            painter.fillRect(cell, fill);
            painter.setPen(share > 0.5 ? Qt::white : palette().color(QPalette::Text));
            QFont big = font();
            big.setPointSizeF(font().pointSizeF() * 1.25);
            big.setBold(true);
            painter.setFont(big);
            painter.drawText(cell.adjusted(0, 0, 0, -cell.height() / 5), Qt::AlignCenter, QString::number(count));
            painter.setFont(font());
            painter.drawText(cell.adjusted(0, cell.height() / 3, 0, 0), Qt::AlignCenter,
                             QStringLiteral("%1%").arg(share * 100, 0, 'f', 1));
            if (m_selected == QPoint(p, t)) {
                painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
                painter.drawRect(cell.adjusted(1, 1, -1, -1));
            }
        }
    }
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent* event)
{
    const int k = static_cast<int>(m_counts.size());
    for (int t = 0; t < k; ++t)
        for (int p = 0; p < k; ++p)
            if (cellRect(t, p).contains(event->position().toPoint())) {
                m_selected = QPoint(p, t);
                update();
                Q_EMIT cellClicked(t, p);
                return;
            }
}

bool ConfusionMatrixView::exportTo(const QString& path, QString* error)
{
    return exportWidgetImage(this, path, tr("Confusion matrix"), error);
}

void ConfusionMatrixView::contextMenuEvent(QContextMenuEvent* event)
{
    offerWidgetExport(this, event, tr("Export confusion matrix"), QStringLiteral("confusion"), tr("Confusion matrix"));
}

} // namespace headbench
