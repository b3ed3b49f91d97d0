// headbench: the HeadBench desktop workbench.
#include "Icons.h"
#include "MainWindow.h"
#include "SamplesPanel.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/runs/RunStore.h>

#include <headbench/compute/Runtime.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

using namespace headbench;

namespace {

/// --screenshot: open the workspace (or the demo), show its newest finished run (train the
/// default head only when a feature file is loaded and there is no run), save a picture of the
/// window and quit. Whatever stops that ends the program with a message and exit code 2.
void arrangeScreenshot(MainWindow& window, const QString& path, const QString& view)
{
    auto* ws = window.workspace();
    auto fail = [](const QString& message) {
        std::fprintf(stderr, "error: %s\n", qPrintable(message));
        QApplication::exit(2);
    };
    auto showNewestOrTrain = [&window, ws, fail] {
        if (!window.requestedRunDir().isEmpty())
            return; // the window already shows (or is reading) a run
        if (const RunRecord* run = ws->newestFinishedRun())
            window.showRun(QString::fromStdString(run->dir));
        else if (ws->features())
            window.startTraining();
        else
            fail(QStringLiteral("%1 has no finished run and no feature file to train on").arg(ws->workspace()));
    };
    QObject::connect(ws, &WorkspaceController::featuresLoaded, &window, showNewestOrTrain);
    QObject::connect(ws, &WorkspaceController::workspaceChanged, &window, [ws, showNewestOrTrain] {
        // Nothing to load (no feature file found): decide once the opening has finished.
        QTimer::singleShot(0, ws, [ws, showNewestOrTrain] {
            if (!ws->busy())
                showNewestOrTrain();
        });
    });
    auto save = [&window, path] {
        QTimer::singleShot(500, &window, [&window, path] {
            const bool ok = window.grab().save(path);
            std::fprintf(stderr, ok ? "saved %s\n" : "could not write %s\n", qPrintable(path));
            QApplication::exit(ok ? 0 : 2);
        });
    };
    QObject::connect(&window, &MainWindow::comparisonShown, &window, save);
    QObject::connect(&window, &MainWindow::runShown, &window, [&window, ws, view, save, fail] {
        if (view == QLatin1String("compare")) { // the two newest finished runs side by side
            QStringList dirs;
            for (const RunRecord& r : ws->runs())
                if (r.finished() && dirs.size() < 2)
                    dirs << QString::fromStdString(r.dir);
            if (dirs.size() < 2)
                fail(QStringLiteral("--view compare needs two finished runs in %1").arg(ws->workspace()));
            else
                window.compareRuns(dirs);
            return;
        }
        if (view == QLatin1String("samples")) {
            window.samples()->showMostConfidentlyWrong();
            window.tabs()->setCurrentIndex(MainWindow::SamplesTab);
        } else {
            window.tabs()->setCurrentIndex(view == QLatin1String("training") ? MainWindow::TrainingTab : MainWindow::EvaluationTab);
        }
        save();
    });
    QObject::connect(&window, &MainWindow::errorShown, &window, fail);
    QObject::connect(window.training(), &TrainingController::failed, &window, fail);
    // Never wait forever: a screenshot that has not happened in ten minutes will not.
    QTimer::singleShot(10 * 60 * 1000, &window, [fail] { fail(QStringLiteral("gave up after 10 minutes without a run to show")); });
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("HeadBench"));
    QApplication::setOrganizationName(QStringLiteral("HeadBench"));
    QApplication::setApplicationVersion(QStringLiteral(HEADBENCH_VERSION));
    // The desktop file's name lets Wayland compositors and docks match the window to its icon.
    QApplication::setDesktopFileName(QString::fromLatin1(kApplicationId));
    QApplication::setWindowIcon(applicationIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train and compare classification heads on cached backbone features"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption workspaceOption(QStringLiteral("workspace"), QStringLiteral("Workspace folder to open."),
                                             QStringLiteral("DIR"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Train if needed, show the evaluation, save the window as PNG and quit."),
                                              QStringLiteral("FILE.png"));
    const QCommandLineOption threadsOption(QStringLiteral("threads"), QStringLiteral("Compute threads (default: all cores)."),
                                           QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption viewOption(QStringLiteral("view"),
                                        QStringLiteral("With --screenshot: the view to show (training, evaluation, samples, compare: the two newest runs)."),
                                        QStringLiteral("VIEW"), QStringLiteral("evaluation"));
    const QCommandLineOption demoOption(QStringLiteral("demo"), QStringLiteral("Open the built-in demo workspace."));
    const QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("Window size of --screenshot (default 1280x800)."),
                                        QStringLiteral("WxH"), QStringLiteral("1280x800"));
    parser.addOptions({workspaceOption, screenshotOption, viewOption, demoOption, threadsOption, sizeOption});
    parser.process(app);

    // Once, before any tensor work.
    configureRuntime(parser.value(threadsOption).toInt());

    MainWindow window;
    const QString screenshot = parser.value(screenshotOption);
    if (!screenshot.isEmpty()) {
        const QStringList size = parser.value(sizeOption).split(QLatin1Char('x'));
        const int w = size.value(0).toInt(), h = size.size() == 2 ? size.value(1).toInt() : 0;
        // At most 8192 a side: the grab is one image of w x h x 4 bytes, and Qt cannot paint
        // one of 100000 x 100000 (it crashed).
        if (w < 320 || h < 240 || w > 8192 || h > 8192) {
            std::fprintf(stderr, "error: --size %s: expected WIDTHxHEIGHT from 320x240 to 8192x8192, e.g. 1024x680\n",
                         qPrintable(parser.value(sizeOption)));
            return 2;
        }
        const QString view = parser.value(viewOption);
        if (!QStringList{QStringLiteral("training"), QStringLiteral("evaluation"), QStringLiteral("samples"), QStringLiteral("compare")}
                 .contains(view)) {
            std::fprintf(stderr, "error: --view %s: expected training, evaluation, samples or compare\n", qPrintable(view));
            return 2;
        }
        window.resize(w, h);
        arrangeScreenshot(window, QFileInfo(screenshot).absoluteFilePath(), parser.value(viewOption));
    }
    window.show();

    QString workspace = parser.value(workspaceOption);
    if (workspace.isEmpty() && screenshot.isEmpty() && !parser.isSet(demoOption))
        workspace = QSettings().value(QStringLiteral("recent/workspaces")).toStringList().value(0);
    if (!workspace.isEmpty() && QDir(workspace).exists())
        window.openWorkspace(workspace);
    else if (!workspace.isEmpty())
        window.openWorkspace(workspace); // a new folder becomes an empty workspace
    else
        window.openDemoWorkspace(); // first launch: the built-in demo, ready to train
    return QApplication::exec();
}
