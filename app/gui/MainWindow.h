#pragma once
/// \file MainWindow.h
#include "RunCompareView.h"
#include "RunView.h"
#include <headbench/runs/RunPlan.h>
#include <headbench/runs/RunStore.h>
#include <headbench/runs/Sweep.h>

#include <QFutureWatcher>
#include <QMainWindow>
#include <QPointer>

#include <memory>

QT_BEGIN_NAMESPACE
class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QSlider;
class QTabWidget;
QT_END_NAMESPACE

namespace headbench {

class DataPanel;
class EvaluationView;
class JobStatusBar;
class RecentFiles;
class ImportDialog;
class RunCompareView;
class RunShowController;
class RunsPanel;
class SweepView;
class HeadDesignerPanel;
class LossChartView;
class SamplesPanel;
class TrainingController;
class WorkspaceController;
struct SampleData;
struct EpochStats;

/// The workbench window: data and runs on the left, the head designer on the right, and the
/// training curves, evaluation and samples as tabs in the middle.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum Tab { TrainingTab, EvaluationTab, SamplesTab, CompareTab, SweepTab };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    WorkspaceController* workspace() const { return m_workspace; }
    TrainingController* training() const { return m_training; }
    /// Shows saved runs and locates their moved feature files.
    RunShowController* runShow() const { return m_runShow; }
    HeadDesignerPanel* designer() const { return m_designer; }
    EvaluationView* evaluation() const { return m_evaluation; }
    SamplesPanel* samples() const { return m_samples; }
    LossChartView* lossChart() const { return m_lossChart; }
    RunsPanel* runsPanel() const { return m_runsPanel; }
    RunCompareView* compareView() const { return m_compare; }
    SweepView* sweepView() const { return m_sweepView; }
    QTabWidget* tabs() const { return m_tabs; }
    /// The warning above the evaluation when the shown run's split leaks.
    QLabel* leakageBanner() const { return m_leakageBanner; }
    /// The split the next training uses.
    QComboBox* splitModeBox() const;
    QAction* trainAction() const { return m_trainAction; }
    QAction* stopAction() const { return m_stopAction; }
    QAction* finishAction() const { return m_finishAction; }
    /// The status bar's Cancel button of a running extraction or load.
    QPushButton* cancelJobButton() const;
    QString statusText() const;
    /// The last error shown to the user (empty when none).
    QString lastError() const { return m_lastError; }
    /// The run shown in the evaluation and samples views.
    QString currentRunDir() const;
    /// The run last asked for by showRun (shown, being read, or waiting for its features).
    QString requestedRunDir() const;

    void openWorkspace(const QString& dir);
    /// File ▸ New workspace: makes the empty (or missing) folder `dir` a workspace and switches
    /// to it; false, with the reason shown, when `dir` holds anything already.
    bool newWorkspace(const QString& dir);
    /// The README Help ▸ README opens: the installed documentation's, else the source tree's;
    /// empty when neither is there.
    static QString readmePath();
    void openFeatureFile(const QString& path);
    void importDataset(const QString& path);
    void openDemoWorkspace();
    /// Trains the head the designer describes; returns false (with a message) when it cannot.
    bool startTraining();
    /// Writes the current tab (its charts and tables as they are) to `path`, PNG or SVG by the
    /// name, captioned with the tab and the run shown; false with *error naming the file.
    bool exportCurrentView(const QString& path, QString* error);
    /// What the current tab shows, for an export's caption and file name: "Evaluation: <run>",
    /// "Compare: <run> vs <run>".
    QString viewCaption() const;
    /// Shows a saved run in the evaluation and sample views (RunShowController::showRun).
    void showRun(const QString& runDir);
    /// Puts the head spec of the run in `runDir` into the designer (to train a variant of it).
    bool loadSpecIntoDesigner(const QString& runDir);
    /// View ▸ Reset layout: docks, window size and the saved layout as on a first start.
    void resetLayout();
    /// Compares two or more runs with the backend's compareRuns (off the GUI thread; the same
    /// value `headbench-cli compare` prints) and shows it in the comparison tab.
    void compareRuns(const QStringList& runDirs);
    /// Trains the points of a sweep one after the other (sweepPlan with the designer's calibration
    /// and the Data panel's split); false when that cannot start.
    bool startSweep(std::vector<SweepPoint> points);
    /// Trains a plan (one run, repeats or a sweep): checks it against the loaded features, shows a
    /// group in the Sweep tab, and hands it to the training thread; false when it cannot start.
    bool startPlan(RunPlan plan);
    /// Opens the sweep dialog on the designer's head.
    void openSweepDialog();
    /// Run ▸ Rank representations: scores every feature set of the loaded file (RankDialog).
    void openRankDialog();

Q_SIGNALS:
    /// A run was loaded into the views (after training or by selection).
    void runShown(QString runDir);
    /// Runs were loaded into the comparison tab.
    void comparisonShown(int runs);
    /// An error was shown to the user (also in a message box).
    void errorShown(QString message);

private:
    void showFeatureSets(const FeatureSet& features);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildActions();
    QAction* addNewWorkspaceAction(QMenu* file);
    void buildHelpMenu();
    void showReadme(const QString& path);
    /// Clears the evaluation and samples (the run shown belonged to another workspace).
    void clearShownRun();
    /// Starts the extraction the import dialog asks for; a failure reopens the dialog with it.
    void startImport(ImportDialog* dialog);
    /// After an import's job: closes its dialog, or (failed) shows the error in it.
    void finishImport();
    void buildLayout();
    void connectControllers();
    void showError(const QString& message);
    void updateDataSummary();
    void updateRunList();
    void buildRunViews();
    /// The loss chart's x axis for a history starting with `e`: epochs, or L2 penalties.
    /// The x axis of a history from `first` to `last`: epochs, or the probe's L2 penalties.
    static QString stepNameOf(const EpochStats& first, const EpochStats& last);
    /// Fills the Sweep tab with the saved runs of sweep (or group of repeats) `id`.
    void showSweepGroup(const QString& id);
    void deleteRuns(const QStringList& dirs);
    void editTags(const QString& dir);
    void updateActions();
    void onEpoch(const EpochStats& stats);
    void showSamplesForSplit();
    /// Puts a run read by the RunShowController into the views.
    void applyLoadedRun(const LoadedRun& run);

    /// Offers to locate the moved or changed feature file (`featuresPath`, as the run records it)
    /// of the run in `runDir`: a message box whose Locate… button asks for the file.
    void offerLocateFeatures(const QString& runDir, const QString& featuresPath, const QString& reason);

    struct LoadedComparison {
        RunComparison comparison;
        QString error;
    };
    QFutureWatcher<LoadedComparison> m_compareWatcher;

    WorkspaceController* m_workspace;
    TrainingController* m_training;
    RunShowController* m_runShow;
    HeadDesignerPanel* m_designer;
    EvaluationView* m_evaluation;
    QLabel* m_leakageBanner;
    SamplesPanel* m_samples;
    LossChartView* m_lossChart;
    RunsPanel* m_runsPanel;
    RunCompareView* m_compare;
    SweepView* m_sweepView;
    QTabWidget* m_tabs;
    DataPanel* m_dataPanel;
    JobStatusBar* m_status = nullptr;
    /// A run's epochs (saved or, for an interrupted run, those it finished) in the loss chart.
    void showHistory(const std::vector<EpochStats>& history, const QString& runName);
    QByteArray m_defaultState; ///< the docks as built, before a saved layout is restored
    QSize defaultSize() const;
    void arrangeDocks();
    std::vector<int> m_planEpochs; ///< epochs (L-BFGS: penalties) planned for each run of a group, for its time left
    QSlider* m_smoothing;
    QCheckBox* m_logScale;
    QAction* m_trainAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_finishAction = nullptr;
    QString m_featuresForShownRun; ///< a feature file being loaded because a run shown needs it
    RecentFiles* m_recent = nullptr;
    QString m_lastError;
    std::shared_ptr<const SampleData> m_runSamples;
    QString m_shownRunName; ///< the run the Evaluation and Samples tabs show
    EpochStats m_firstStep; ///< the training run's first epoch (or L2 penalty), for the curves' x axis
    QString m_shownRunDir;
    /// The import dialog, kept until its extraction succeeds (or it is cancelled).
    QPointer<ImportDialog> m_importDialog;
    bool m_importRunning = false;
    QString m_importError;
    std::vector<std::uint8_t> m_runSplit;
};

} // namespace headbench
