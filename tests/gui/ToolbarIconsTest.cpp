// The window's toolbar as a user sees it: every action on it shows an icon that draws (the
// SVG resources are compiled in and Qt's SVG icon engine renders them), and the application
// has its icon.
#include "Icons.h"
#include "MainWindow.h"

#include <headbench/compute/Runtime.h>

#include <QAction>
#include <QImage>
#include <QStandardPaths>
#include <QToolBar>
#include <QtTest>

using namespace headbench;

namespace {

/// How many pixels of the icon, drawn at `size`, are not transparent.
int drawnPixels(const QIcon& icon, int size, QIcon::Mode mode = QIcon::Normal)
{
    const QImage image = icon.pixmap(size, size, mode).toImage();
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            n += qAlpha(image.pixel(x, y)) > 0;
    return n;
}

} // namespace

class ToolbarIconsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        configureRuntime(1);
    }

    void everyToolbarActionShowsAnIconAndItsName()
    {
        MainWindow window;
        auto* toolbar = window.findChild<QToolBar*>(QStringLiteral("mainToolBar"));
        QVERIFY(toolbar);
        QCOMPARE(toolbar->toolButtonStyle(), Qt::ToolButtonTextBesideIcon);
        QStringList names;
        for (QAction* action : toolbar->actions()) {
            if (action->isSeparator())
                continue;
            names << action->iconText();
            QVERIFY2(!action->icon().isNull(), qPrintable(action->iconText()));
            // A 24 px icon that draws at least a sixth of its area, greyed too when disabled.
            QVERIFY2(drawnPixels(action->icon(), 24) > 24 * 24 / 6, qPrintable(action->iconText()));
            QVERIFY2(drawnPixels(action->icon(), 24, QIcon::Disabled) > 24 * 24 / 6, qPrintable(action->iconText()));
        }
        const QStringList expected{QStringLiteral("Import"), QStringLiteral("Features"), QStringLiteral("Train"),
                                   QStringLiteral("Finish"), QStringLiteral("Stop"), QStringLiteral("Sweep"), QStringLiteral("Compare"),
                                   QStringLiteral("Export")};
        QCOMPARE(names, expected);
        QVERIFY(window.trainAction()->icon().cacheKey() != window.stopAction()->icon().cacheKey());
    }

    void theApplicationIconDraws()
    {
        QVERIFY(drawnPixels(applicationIcon(), 64) > 64 * 64 / 2);
        QVERIFY(drawnPixels(actionIcon(QStringLiteral("no-such-icon")), 24) == 0);
    }
};

QTEST_MAIN(ToolbarIconsTest)
#include "ToolbarIconsTest.moc"
