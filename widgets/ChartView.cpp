#include "ChartView.h"

#include "WidgetExport.h"

#include <QPainter>

namespace headbench {

ChartView::ChartView(QWidget* parent)
    : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing);
    chart()->legend()->setAlignment(Qt::AlignBottom);
    chart()->setMargins(QMargins(4, 4, 4, 4));
}

bool ChartView::exportTo(const QString& path, QString* error)
{
    return exportWidgetImage(this, path, chart()->title(), error);
}

void ChartView::contextMenuEvent(QContextMenuEvent* event)
{
    QString base = chart()->title().isEmpty() ? QStringLiteral("chart") : chart()->title().toLower();
    base.replace(QLatin1Char(' '), QLatin1Char('-'));
    offerWidgetExport(this, event, tr("Export chart"), base, chart()->title());
}

} // namespace headbench
