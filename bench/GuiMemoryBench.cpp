// Peak memory of the workbench window with a large feature file: the file opened several times
// (each re-open must free the previous matrix) and a run evaluated (trained beforehand in
// another process, as headbench-cli does; with --train-in-window the default head is trained in
// the window instead). Prints the resident set after each step and the peak, against the size
// of the feature matrix (the window must stay under 2x the matrix).
//
//   QT_QPA_PLATFORM=offscreen build/bench/gui_memory_bench [--rows 149183] [--dim 1024] [--reopen 3] [--train-in-window]
#include "MainWindow.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/compute/Runtime.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunSession.h>

#include "SyntheticFeatures.h"

#include <QApplication>
#include <QSpinBox>
#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

using namespace headbench;

namespace {

/// VmRSS or VmHWM of this process, in MiB.
double statusMiB(const char* key)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0)
            return std::stod(line.substr(std::string(key).size() + 1)) / 1024.0;
    return -1;
}

/// Writes the synthetic feature file in a child process, so its memory is not this one's peak.
bool writeInChild(const std::string& path, int rows, int dim)
{
    const pid_t pid = fork();
    if (pid == 0) {
        writeFeatureFile(path, bench::syntheticFeatures(rows, dim, /*texts=*/true));
        _exit(0);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// Trains the default head on the file into `workspace` in a child process (as the CLI would).
bool trainInChild(const std::string& path, const std::string& workspace)
{
    const pid_t pid = fork();
    if (pid == 0) {
        configureRuntime(0);
        const FeatureSet data = readFeatureFile(path, {.loadTexts = true, .requireTwoClasses = true});
        const RunSessionResult r = runSession(data, HeadSpec{}, {.workspace = workspace}, nullptr);
        _exit(r.outcome == RunOutcome::Saved ? 0 : 1);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

} // namespace

int main(int argc, char** argv)
{
    int rows = 149183, dim = 1024, reopen = 3, cv = 0;
    bool trainInWindow = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool value = i + 1 < argc;
        if (a == "--train-in-window")
            trainInWindow = true;
        else if (a == "--rows" && value)
            rows = std::stoi(argv[++i]);
        else if (a == "--dim" && value)
            dim = std::stoi(argv[++i]);
        else if (a == "--cv" && value) // with --train-in-window: the designer's cross-validation folds
            cv = std::stoi(argv[++i]);
        else if (a == "--reopen" && value)
            reopen = std::stoi(argv[++i]);
    }
    QTemporaryDir dir;
    QDir(dir.path()).mkpath(QStringLiteral("features"));
    const QString file = dir.filePath(QStringLiteral("features/bench.h5"));
    if (!writeInChild(file.toStdString(), rows, dim)) {
        std::fprintf(stderr, "could not write %s\n", qPrintable(file));
        return 1;
    }
    if (!trainInWindow && !trainInChild(file.toStdString(), dir.path().toStdString())) {
        std::fprintf(stderr, "could not train a run on %s\n", qPrintable(file));
        return 1;
    }
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    configureRuntime(0);
    const double matrixMiB = static_cast<double>(rows) * dim * sizeof(float) / (1024.0 * 1024.0);
    std::printf("gui_memory  rows=%d dim=%d  feature matrix %.0f MiB; window at start %.0f MiB\n", rows, dim, matrixMiB,
                statusMiB("VmRSS:"));

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    int opened = 0;
    QObject::connect(window.workspace(), &WorkspaceController::featuresLoaded, [&] {
        ++opened;
        std::printf("  after opening the file (%d of %d): %.0f MiB\n", opened, reopen, statusMiB("VmRSS:"));
        std::fflush(stdout);
        if (opened < reopen)
            QTimer::singleShot(200, [&] { window.workspace()->openFeatures(file); });
        else if (trainInWindow) {
            auto* folds = window.findChild<QSpinBox*>(QStringLiteral("crossValidation"));
            if (cv > 0 && folds)
                folds->setValue(cv);
            if ((cv > 0 && !folds) || !window.startTraining())
                QApplication::exit(1);
        }
        else if (!trainInWindow)
            QTimer::singleShot(3000, [&] {
                std::printf("  with the run shown (evaluation, samples): %.0f MiB\n", statusMiB("VmRSS:"));
                QApplication::quit();
            });
    });
    QObject::connect(window.training(), &TrainingController::finished, [&] {
        std::printf("  when training has finished: %.0f MiB (peak so far %.0f MiB)\n", statusMiB("VmRSS:"),
                    statusMiB("VmHWM:"));
        // Measured once the finished run is loaded into the evaluation and samples views.
        QTimer::singleShot(3000, [&] {
            std::printf("  after training the default head and showing its run: %.0f MiB\n", statusMiB("VmRSS:"));
            QApplication::quit();
        });
    });
    QObject::connect(window.training(), &TrainingController::failed, [&](const QString& m) {
        std::fprintf(stderr, "failed: %s\n", qPrintable(m));
        QApplication::exit(1);
    });
    window.openWorkspace(dir.path());
    const int rc = QApplication::exec();
    const double peak = statusMiB("VmHWM:");
    std::printf("gui_memory  peak resident %.0f MiB = %.2fx the feature matrix (%.0f MiB)\n", peak, peak / matrixMiB, matrixMiB);
    return rc;
}
