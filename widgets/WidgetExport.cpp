#include "WidgetExport.h"

#include <QContextMenuEvent>
#include <QCoreApplication>
#include <QFileDialog>
#include <QFont>
#include <QFontMetrics>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QDir>
#include <QStatusBar>
#include <QMainWindow>
#include <QPainter>
#include <QSvgGenerator>
#include <QWidget>

#include <algorithm>

namespace headbench {

namespace {
constexpr const char* kCaptionProperty = "headbenchExportCaption";
constexpr const char* kNameProperty = "headbenchExportName";

QString tr(const char* text)
{
    return QCoreApplication::translate("headbench::WidgetExport", text);
}
} // namespace

void setExportCaption(QWidget* widget, const QString& caption)
{
    widget->setProperty(kCaptionProperty, caption);
}

QString exportCaption(const QWidget* widget)
{
    return widget->property(kCaptionProperty).toString();
}

void setExportName(QWidget* widget, const QString& name)
{
    widget->setProperty(kNameProperty, name);
}

QString exportFileStem(const QString& text)
{
    QString stem;
    for (const QChar c : text.toLower()) {
        if (c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('_'))
            stem += c;
        else if (!stem.isEmpty() && !stem.endsWith(QLatin1Char('-')))
            stem += QLatin1Char('-');
    }
    while (stem.endsWith(QLatin1Char('-')) || stem.endsWith(QLatin1Char('.')))
        stem.chop(1);
    return stem.isEmpty() ? QStringLiteral("export") : stem.left(120);
}

bool exportWidgetImage(QWidget* widget, const QString& path, const QString& title, QString* error)
{
    // The caption takes a band above the widget, as wide as it, on as many lines as it needs
    // (its last words, the figure, matter most: not cut).
    const QString caption = exportCaption(widget);
    QFont captionFont = widget->font();
    captionFont.setBold(true);
    const QFontMetrics metrics(captionFont);
    const QRect textArea(6, 4, std::max(widget->width() - 12, 40), 10000);
    const int flags = Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap;
    const int band = caption.isEmpty() ? 0 : metrics.boundingRect(textArea, flags, caption).height() + 8;
    const QSize size(widget->width(), widget->height() + band);
    const auto paint = [&](QPainter& painter) {
        painter.setRenderHint(QPainter::Antialiasing);
        if (band > 0) {
            painter.fillRect(QRect(QPoint(0, 0), QSize(size.width(), band)), Qt::white);
            painter.setFont(captionFont);
            painter.setPen(Qt::black);
            painter.drawText(QRect(textArea.topLeft(), QSize(textArea.width(), band)), flags, caption);
        }
        widget->render(&painter, QPoint(0, band));
    };
    bool ok = false;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator generator;
        generator.setFileName(path);
        // The screen's resolution: at the generator's default (72 dpi) text came out at three
        // quarters of its size, and words set in bold or italic drifted from their neighbours.
        generator.setResolution(widget->logicalDpiX());
        generator.setSize(size);
        generator.setViewBox(QRect(QPoint(0, 0), size));
        generator.setTitle(title);
        generator.setDescription(caption);
        QPainter painter;
        if (painter.begin(&generator)) {
            paint(painter);
            ok = painter.end();
        }
    } else {
        const qreal scale = 2.0; // sharper than the screen, for slides and papers
        QImage image(size * scale, QImage::Format_ARGB32);
        image.setDevicePixelRatio(scale);
        image.fill(Qt::white);
        QPainter painter(&image);
        paint(painter);
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
    const QString named = widget->property(kNameProperty).toString();
    const QString stem = exportFileStem(named.isEmpty() ? baseName : named);
    const QString path = QFileDialog::getSaveFileName(widget, dialogTitle, stem + (asSvg ? QStringLiteral(".svg") : QStringLiteral(".png")),
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
