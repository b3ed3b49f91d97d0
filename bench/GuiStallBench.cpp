// Longest event-loop stall of the workbench window while it trains a head on 50,000 x 768
// features. A 1 ms timer records the gap between its ticks; any gap is time the GUI thread
// could not answer the user.
//
//   QT_QPA_PLATFORM=offscreen build/bench/gui_stall_bench [--rows N] [--dim D] [--epochs E] [--depth L --width W]
#include "HeadDesignerPanel.h"
#include "MainWindow.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/FeatureFile.h>

#include "SyntheticFeatures.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace headbench;

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCommandLineParser parser;
    const QCommandLineOption rowsOpt(QStringLiteral("rows"), QStringLiteral("rows"), QStringLiteral("N"), QStringLiteral("50000"));
    const QCommandLineOption dimOpt(QStringLiteral("dim"), QStringLiteral("dim"), QStringLiteral("D"), QStringLiteral("768"));
    const QCommandLineOption epochsOpt(QStringLiteral("epochs"), QStringLiteral("epochs"), QStringLiteral("E"), QStringLiteral("5"));
    const QCommandLineOption depthOpt(QStringLiteral("depth"), QStringLiteral("depth"), QStringLiteral("L"), QStringLiteral("1"));
    const QCommandLineOption widthOpt(QStringLiteral("width"), QStringLiteral("width"), QStringLiteral("W"), QStringLiteral("256"));
    parser.addOptions({rowsOpt, dimOpt, epochsOpt, depthOpt, widthOpt});
    parser.process(app);
    configureRuntime(0);

    const int rows = parser.value(rowsOpt).toInt(), dim = parser.value(dimOpt).toInt();
    QTemporaryDir dir;
    QDir(dir.path()).mkpath(QStringLiteral("features"));
    writeFeatureFile(dir.filePath(QStringLiteral("features/bench.h5")).toStdString(), bench::syntheticFeatures(rows, dim));

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    QElapsedTimer clock;
    qint64 last = 0, worstTraining = 0, worstAfter = 0, ticks = 0;
    bool training = false, finished = false;
    QTimer ticker;
    ticker.setInterval(1);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        const qint64 gap = now - last;
        last = now;
        ++ticks;
        if (training)
            worstTraining = std::max(worstTraining, gap);
        else if (finished)
            worstAfter = std::max(worstAfter, gap);
    });
    QObject::connect(window.workspace(), &WorkspaceController::featuresLoaded, [&] {
        window.designer()->depthBox()->setValue(parser.value(depthOpt).toInt());
        window.designer()->widthsEdit()->setText(parser.value(widthOpt));
        Q_EMIT window.designer()->widthsEdit()->textEdited(parser.value(widthOpt));
        window.designer()->epochsBox()->setValue(parser.value(epochsOpt).toInt());
        clock.start();
        last = 0;
        ticker.start();
        training = window.startTraining();
    });
    QObject::connect(window.training(), &TrainingController::finished, [&] {
        training = false;
        finished = true;
        // Keep measuring while the finished run is loaded into the views.
        QTimer::singleShot(1500, [&] { QApplication::quit(); });
    });
    QObject::connect(window.training(), &TrainingController::failed, [&](const QString& m) {
        std::fprintf(stderr, "failed: %s\n", qPrintable(m));
        QApplication::exit(1);
    });
    window.openWorkspace(dir.path());
    const int rc = QApplication::exec();
    std::printf("gui_stall  rows=%d dim=%d  longest stall while training: %.1f ms, after the run finished "
                "(loading it into the views): %.1f ms, %lld timer ticks in %.1f s\n",
                rows, dim, worstTraining / 1e6, worstAfter / 1e6, static_cast<long long>(ticks), clock.nsecsElapsed() / 1e9);
    return rc;
}
