#include "ChartView.h"

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSvgGenerator>

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
    bool ok = false;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(size());
        generator.setViewBox(rect());
        generator.setTitle(chart()->title());
        QPainter painter;
        ok = painter.begin(&generator);
        if (ok) {
            painter.setRenderHint(QPainter::Antialiasing);
            render(&painter);
            ok = painter.end();
        }
    } else {
        const qreal scale = 2.0; // sharper than the screen, for slides and papers
        QImage image((size() * scale), QImage::Format_ARGB32);
        image.setDevicePixelRatio(scale);
        image.fill(Qt::white);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        render(&painter);
        painter.end();
        ok = image.save(path);
    }
    if (!ok && error)
        *error = tr("%1 could not be written.").arg(path);
    return ok;
}

void ChartView::contextMenuEvent(QContextMenuEvent* event)
{
    QMenu menu(this);
    QAction* png = menu.addAction(tr("Export as PNG…"));
    QAction* svg = menu.addAction(tr("Export as SVG…"));
    QAction* chosen = menu.exec(event->globalPos());
    if (!chosen)
        return;
    const bool asSvg = chosen == svg;
    QString base = chart()->title().isEmpty() ? QStringLiteral("chart") : chart()->title().toLower();
    base.replace(QLatin1Char(' '), QLatin1Char('-'));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart"), base + (asSvg ? QStringLiteral(".svg") : QStringLiteral(".png")),
                                                      asSvg ? tr("SVG images (*.svg)") : tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportTo(path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
    (void)png;
}

} // namespace headbench
