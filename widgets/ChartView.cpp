#include "ChartView.h"

#include "WidgetExport.h"

#include <QFontMetrics>
#include <QPainter>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QValueAxis>

namespace headbench {

ChartView::ChartView(QWidget* parent)
    : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    // Axis labels that moved (a run's 20 epochs replacing the empty chart's 10, while the window
    // was first laid out) left their old text on screen until something covered the chart:
    // "1 2 2 4 3 6" on the epoch axis. A chart is small; it is repainted whole.
    setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
    chart()->legend()->setAlignment(Qt::AlignBottom);
    chart()->setMargins(QMargins(4, 4, 4, 4));
}

bool ChartView::exportTo(const QString& path, QString* error)
{
    return exportWidgetImage(this, path, chart()->title(), error);
}

void ChartView::keepLegible(QValueAxis* axis, int ticks, int fewTicks, int tallEnough)
{
    m_keepLegible = true;
    m_axis = axis;
    m_ticks = ticks;
    m_fewTicks = fewTicks;
    m_tallEnough = tallEnough;
    fitToSize();
}

int ChartView::legendWidthNeeded() const
{
    const QLegend* legend = chart()->legend();
    const QFontMetrics metrics(legend->font());
    // Per entry: the marker square, the gaps around it, and the label.
    int width = 2 * 10;
    for (QLegendMarker* marker : legend->markers())
        if (marker->isVisible())
            width += metrics.horizontalAdvance(marker->label()) + metrics.height() + 16;
    return width;
}

void ChartView::resizeEvent(QResizeEvent* event)
{
    QChartView::resizeEvent(event);
    fitToSize();
}

void ChartView::fitToSize()
{
    if (!m_keepLegible)
        return;
    // A legend row also takes ~25 px of the plot's height: in a 165-px precision-recall chart
    // (a 1024x680 window) the axis labels and title were then drawn as "…".
    chart()->legend()->setVisible(legendWidthNeeded() <= width() && height() >= kLegendMinHeight);
    if (m_axis)
        m_axis->setTickCount(height() >= m_tallEnough ? m_ticks : m_fewTicks);
}

void ChartView::contextMenuEvent(QContextMenuEvent* event)
{
    QString base = chart()->title().isEmpty() ? QStringLiteral("chart") : chart()->title().toLower();
    base.replace(QLatin1Char(' '), QLatin1Char('-'));
    offerWidgetExport(this, event, tr("Export chart"), base, chart()->title());
}

} // namespace headbench
