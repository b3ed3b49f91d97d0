#include "WidgetExport.h"

#include <QContextMenuEvent>
#include <QCoreApplication>
#include <QFileDialog>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QDir>
#include <QStatusBar>
#include <QMainWindow>
#include <QPainter>
#include <QSvgGenerator>
#include <QWidget>

namespace headbench {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("headbench::WidgetExport", text);
}
} // namespace

bool exportWidgetImage(QWidget* widget, const QString& path, const QString& title, QString* error)
{
    bool ok = false;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(widget->size());
        generator.setViewBox(widget->rect());
        generator.setTitle(title);
        QPainter painter;
        if (painter.begin(&generator)) {
            painter.setRenderHint(QPainter::Antialiasing);
            widget->render(&painter);
            ok = painter.end();
        }
    } else {
        const qreal scale = 2.0; // sharper than the screen, for slides and papers
        QImage image(widget->size() * scale, QImage::Format_ARGB32);
        image.setDevicePixelRatio(scale);
        image.fill(Qt::white);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        widget->render(&painter);
        painter.end();
        ok = image.save(path);
    }
    if (!ok && error)
        *error = tr("%1 could not be written.").arg(path);
    return ok;
}

void announceSaved(QWidget* from, const QString& path)
{
    if (auto* window = qobject_cast<QMainWindow*>(from->window()))
        window->statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 8000);
}

void offerWidgetExport(QWidget* widget, QContextMenuEvent* event, const QString& dialogTitle, const QString& baseName,
                       const QString& title)
{
    QMenu menu(widget);
    menu.addAction(tr("Export as PNG…"));
    QAction* svg = menu.addAction(tr("Export as SVG…"));
    QAction* chosen = menu.exec(event->globalPos());
    if (!chosen)
        return;
    const bool asSvg = chosen == svg;
    const QString path = QFileDialog::getSaveFileName(widget, dialogTitle, baseName + (asSvg ? QStringLiteral(".svg") : QStringLiteral(".png")),
                                                      asSvg ? tr("SVG images (*.svg)") : tr("PNG images (*.png)"));
    QString error;
    if (path.isEmpty())
        return;
    if (exportWidgetImage(widget, path, title, &error))
        announceSaved(widget, path);
    else
        QMessageBox::warning(widget, tr("Export failed"), error);
}

} // namespace headbench
