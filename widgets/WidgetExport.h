#pragma once
/// \file WidgetExport.h
/// Saving a view as an image: PNG at twice the screen's resolution (for slides and papers) or
/// SVG, and the "Export as PNG…/SVG…" context menu that every exportable view offers.
#include <QString>

class QContextMenuEvent;
class QWidget;

namespace headbench {

/// Sets the line written above `widget` in its exported images: what the picture is of (run,
/// split, the figure it shows), which the on-screen view says elsewhere in the window.
void setExportCaption(QWidget* widget, const QString& caption);
QString exportCaption(const QWidget* widget);

/// Sets the name an export of `widget` suggests (e.g. "roc <run> test"); without one the menu
/// suggests its baseName. Either way the suggestion is made a file name: letters, digits, '.',
/// '_' and '-' ("Training curves: mlp" had a colon, and every run's ROC was "roc-curve.png").
void setExportName(QWidget* widget, const QString& name);
/// `text` as a file name stem: runs of other characters become one '-', in lower case.
QString exportFileStem(const QString& text);

/// Renders `widget` into `path` (SVG when the name ends in .svg, else PNG on white at 2x),
/// with its export caption (if any) above it.
/// Returns false and sets *error (naming the file) when the file could not be written.
bool exportWidgetImage(QWidget* widget, const QString& path, const QString& title, QString* error = nullptr);

/// Says in the status bar of `from`'s main window that `path` was written (an export that
/// returned without a word left users unsure it had happened).
void announceSaved(QWidget* from, const QString& path);

/// Shows the export menu at the event's position, asks for a file name (suggested from
/// `baseName`) and writes the image, reporting a failure in a message box.
void offerWidgetExport(QWidget* widget, QContextMenuEvent* event, const QString& dialogTitle, const QString& baseName,
                       const QString& title);

} // namespace headbench
