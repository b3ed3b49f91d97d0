#include "MainWindow.h"
#include "WidgetExport.h"

#include <headbench/compute/Leakage.h>
#include <headbench/core/Plural.h>

#include <unordered_map>

#include "DataPanel.h"
#include "EvaluationView.h"
#include "JobStatusBar.h"
#include "HeadDesignerPanel.h"
#include "Icons.h"
#include "ImportDialog.h"
#include "LossChartView.h"
#include "RecentFiles.h"
#include "RunShowController.h"
#include "RunView.h"
#include "RunsPanel.h"
#include "SamplesPanel.h"
#include "SweepView.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/core/Error.h>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QSpinBox>
#include <QComboBox>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScreen>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <utility>

namespace headbench {
MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_workspace(new WorkspaceController(this))
    , m_training(new TrainingController(this))
    , m_runShow(new RunShowController(m_workspace, m_training, this))
    , m_designer(new HeadDesignerPanel)
    , m_evaluation(new EvaluationView)
    , m_leakageBanner(new QLabel)
    , m_samples(new SamplesPanel)
    , m_lossChart(new LossChartView)
    , m_runsPanel(new RunsPanel)
    , m_compare(new RunCompareView)
    , m_sweepView(new SweepView)
    , m_tabs(new QTabWidget)
    , m_dataPanel(new DataPanel)
    , m_smoothing(new QSlider(Qt::Horizontal))
    , m_logScale(new QCheckBox(tr("&Log scale")))
{
    setWindowTitle(tr("HeadBench"));
    setAcceptDrops(true);
    buildActions();
    buildLayout();
    connectControllers();
    m_defaultState = saveState();
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(defaultSize());
    else if (const QScreen* screen = this->screen()) // a saved size larger than this screen is cut to it
        resize(size().boundedTo(screen->availableGeometry().size()));
    if (!restoreState(settings.value(QStringLiteral("window/state")).toByteArray()))
        arrangeDocks();
    updateActions();
    updateDataSummary();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    addNewWorkspaceAction(file);
    QAction* openWorkspaceAction = file->addAction(tr("Open &workspace…"), QKeySequence::Open, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open workspace"));
        if (!dir.isEmpty())
            openWorkspace(dir);
    });
    QAction* openFeaturesAction = file->addAction(tr("Open &features…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open feature file"), m_workspace->workspace(),
                                                          tr("HDF5 feature files (*.h5 *.hdf5)"));
        if (!path.isEmpty())
            openFeatureFile(path);
    });
    QAction* importAction = file->addAction(tr("&Import dataset…"), QKeySequence(Qt::CTRL | Qt::Key_I), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Import dataset"), QString(),
                                                          tr("Datasets (*.jsonl *.json *.ndjson *.csv)"));
        if (!path.isEmpty())
            importDataset(path);
    });
    file->addAction(tr("Open the &demo workspace"), this, &MainWindow::openDemoWorkspace);
    m_recent = new RecentFiles(file->addMenu(tr("&Recent")), this);
    connect(m_recent, &RecentFiles::workspaceChosen, this, &MainWindow::openWorkspace);
    connect(m_recent, &RecentFiles::featuresChosen, this, &MainWindow::openFeatureFile);
    file->addSeparator();
    QAction* exportAction = file->addAction(tr("&Export samples as CSV…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export samples"), QStringLiteral("samples.csv"), tr("CSV (*.csv)"));
        QString error;
        if (path.isEmpty())
            return;
        if (m_samples->exportCsv(path, &error))
            announceSaved(this, path);
        else
            showError(error);
    });
    // Each chart's own context menu exports it alone; this exports what the tab shows.
    QAction* exportViewAction = file->addAction(tr("Export the current &view as image…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), this, [this] {
        const QString stem = exportFileStem(viewCaption());
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the view"), stem + QStringLiteral(".png"),
                                                          tr("PNG images (*.png);;SVG images (*.svg)"));
        QString error;
        if (path.isEmpty())
            return;
        if (exportCurrentView(path, &error))
            announceSaved(this, path);
        else
            showError(error);
    });
    exportViewAction->setObjectName(QStringLiteral("exportViewAction"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    m_trainAction = run->addAction(tr("&Train"), this, [this] { startTraining(); });
    m_trainAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_T), QKeySequence(Qt::Key_F5)});
    m_trainAction->setToolTip(tr("Train the designed head on the loaded features (Ctrl+T)"));
    m_stopAction = run->addAction(tr("&Stop"), this, [this] { m_training->stop(); });
    m_stopAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    m_stopAction->setToolTip(tr("Stop training and discard the run (Shift+F5)"));
    m_finishAction = run->addAction(tr("&Finish Now"), this, [this] {
        m_training->finishNow();
        m_status->showMessage(tr("Finishing after this epoch; the run will be saved"));
    });
    m_finishAction->setObjectName(QStringLiteral("finishAction"));
    m_finishAction->setIconText(tr("Finish"));
    m_finishAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F5));
    m_finishAction->setToolTip(tr("End training after this epoch and save the run, as early stopping would "
                                  "(Ctrl+Shift+F5)"));
    QAction* sweepAction = run->addAction(tr("S&weep…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T), this,
                                          &MainWindow::openSweepDialog);
    QAction* compareAction = run->addAction(tr("&Compare selected runs"), QKeySequence(Qt::CTRL | Qt::Key_D), this,
                                            [this] { compareRuns(m_runsPanel->selectedRunDirs()); });
    QAction* loadSpecAction = run->addAction(tr("&Load spec of the shown run into designer"), this, [this] {
        if (currentRunDir().isEmpty())
            showError(tr("Show a run first (select it in the runs panel)."));
        else
            loadSpecIntoDesigner(currentRunDir());
    });
    loadSpecAction->setObjectName(QStringLiteral("loadSpecAction"));
    run->addAction(tr("&Rank representations…"), this, &MainWindow::openRankDialog)->setObjectName(QStringLiteral("rankAction"));
    QAction* wrongAction = run->addAction(tr("Most confidently &wrong"), QKeySequence(Qt::CTRL | Qt::Key_W), this, [this] {
        m_samples->showMostConfidentlyWrong();
        m_tabs->setCurrentIndex(SamplesTab);
    });

    // Icons from resources/headbench.qrc; the toolbar shows the short icon texts.
    const std::pair<QAction*, const char*> icons[] = {
        {openWorkspaceAction, "workspace"}, {openFeaturesAction, "features"}, {importAction, "import"},
        {exportAction, "export"}, {m_trainAction, "train"}, {m_stopAction, "stop"}, {m_finishAction, "finish"}, {sweepAction, "sweep"},
        {compareAction, "compare"}, {wrongAction, "wrong"}};
    for (const auto& [action, name] : icons)
        action->setIcon(actionIcon(QLatin1String(name)));
    importAction->setIconText(tr("Import"));
    openFeaturesAction->setIconText(tr("Features"));
    sweepAction->setIconText(tr("Sweep"));
    compareAction->setIconText(tr("Compare"));
    exportAction->setIconText(tr("Export"));

    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName(QStringLiteral("mainToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(importAction);
    tools->addAction(openFeaturesAction);
    tools->addSeparator();
    tools->addAction(m_trainAction);
    tools->addAction(m_finishAction);
    tools->addAction(m_stopAction);
    tools->addSeparator();
    tools->addAction(sweepAction);
    tools->addAction(compareAction);
    tools->addAction(exportAction);
}

void MainWindow::buildLayout()
{
    // Centre: training curves, evaluation, samples.
    auto* trainingTab = new QWidget;
    auto* controls = new QHBoxLayout;
    m_smoothing->setRange(0, 95);
    m_smoothing->setMaximumWidth(160);
    m_smoothing->setToolTip(tr("Exponential smoothing of the curves"));
    controls->addWidget(new QLabel(tr("Smoothing:")));
    controls->addWidget(m_smoothing);
    controls->addWidget(m_logScale);
    controls->addStretch(1);
    auto* trainingLayout = new QVBoxLayout(trainingTab);
    trainingLayout->addLayout(controls);
    trainingLayout->addWidget(m_lossChart, 1);
    m_tabs->addTab(trainingTab, tr("&Training"));
    // The evaluation with a banner above it when the run's split leaks (near duplicates of
    // validation/test rows in training): the figures below it are then not to be trusted.
    auto* evaluationTab = new QWidget;
    auto* evaluationLayout = new QVBoxLayout(evaluationTab);
    evaluationLayout->setContentsMargins(0, 0, 0, 0);
    evaluationLayout->setSpacing(0);
    m_leakageBanner->setObjectName(QStringLiteral("leakageBanner"));
    m_leakageBanner->setWordWrap(true);
    m_leakageBanner->setTextFormat(Qt::RichText);
    m_leakageBanner->setStyleSheet(QStringLiteral("QLabel { background: #fff3cd; color: #5c4400; border-bottom: 1px solid #e0c068;"
                                                  " padding: 6px 10px; }"));
    m_leakageBanner->hide();
    evaluationLayout->addWidget(m_leakageBanner);
    evaluationLayout->addWidget(m_evaluation, 1);
    m_tabs->addTab(evaluationTab, tr("E&valuation"));
    m_tabs->addTab(m_samples, tr("&Samples"));
    m_tabs->addTab(m_compare, tr("&Compare"));
    m_tabs->addTab(m_sweepView, tr("S&weep"));
    // The views' room comes first in a small window: the samples table's seven columns and the
    // confusion matrix beside its 2x2 grid and figures need about 580 px, and the docks give way to them.
    // Without this floor the docks kept their 1280-px widths at 1024x680 whenever no page
    // happened to ask for more (an empty Compare), and the samples table scrolled sideways.
    m_tabs->setMinimumWidth(580);
    setCentralWidget(m_tabs);

    // Left: data and runs.
    connect(m_dataPanel, &DataPanel::openFeaturesClicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open feature file"), m_workspace->workspace(),
                                                          tr("HDF5 feature files (*.h5 *.hdf5)"));
        if (!path.isEmpty())
            openFeatureFile(path);
    });
    connect(m_dataPanel, &DataPanel::importClicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Import dataset"), QString(),
                                                          tr("Datasets (*.jsonl *.json *.ndjson *.csv)"));
        if (!path.isEmpty())
            importDataset(path);
    });
    connect(m_dataPanel, &DataPanel::demoClicked, this, &MainWindow::openDemoWorkspace);
    auto* dataDock = new QDockWidget(tr("Data"));
    dataDock->setObjectName(QStringLiteral("dataDock"));
    dataDock->setWidget(m_dataPanel);
    addDockWidget(Qt::LeftDockWidgetArea, dataDock);

    auto* runsDock = new QDockWidget(tr("Runs"));
    runsDock->setObjectName(QStringLiteral("runsDock"));
    runsDock->setWidget(m_runsPanel);
    addDockWidget(Qt::LeftDockWidgetArea, runsDock);

    // Right: the head designer, scrollable so it fits at 1280x800 and 1024x680.
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_designer);
    scroll->setWidgetResizable(true);
    // As needed: on a narrow screen a field is scrolled to, never cut off.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    auto* designerDock = new QDockWidget(tr("Head designer"));
    designerDock->setObjectName(QStringLiteral("designerDock"));
    auto* designerWidget = new QWidget;
    auto* designerLayout = new QVBoxLayout(designerWidget);
    designerLayout->setContentsMargins(0, 0, 0, 0);
    designerLayout->addWidget(scroll, 1);
    // Repeats, cross-validation or calibration set further up (perhaps scrolled out of view)
    // multiply what Train costs: said here, by the button.
    auto* extraWork = new QLabel;
    extraWork->setObjectName(QStringLiteral("trainExtraWork"));
    extraWork->setWordWrap(true);
    extraWork->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    const auto showExtraWork = [extraWork](const QString& text) {
        extraWork->setText(text.isEmpty() ? QString() : tr("Train runs: %1").arg(text));
        extraWork->setVisible(!text.isEmpty());
    };
    showExtraWork(m_designer->extraWork());
    connect(m_designer, &HeadDesignerPanel::extraWorkChanged, extraWork, showExtraWork);
    designerLayout->addWidget(extraWork);
    auto* trainButton = new QPushButton(tr("Train"));
    trainButton->setDefault(true);
    connect(trainButton, &QPushButton::clicked, m_trainAction, &QAction::trigger);
    connect(m_trainAction, &QAction::changed, trainButton, [this, trainButton] { trainButton->setEnabled(m_trainAction->isEnabled()); });
    designerLayout->addWidget(trainButton);
    designerDock->setWidget(designerWidget);
    designerDock->setMinimumWidth(240);
    addDockWidget(Qt::RightDockWidgetArea, designerDock);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : {dataDock, runsDock, designerDock})
        view->addAction(dock->toggleViewAction());
    for (int i = 0; i < m_tabs->count(); ++i)
        view->addAction(m_tabs->tabText(i).remove(QLatin1Char('&')), QKeySequence(Qt::CTRL | (Qt::Key_1 + i)), this,
                        [this, i] { m_tabs->setCurrentIndex(i); });
    view->addSeparator();
    QAction* reset = view->addAction(tr("&Reset layout"), this, &MainWindow::resetLayout);
    reset->setObjectName(QStringLiteral("resetLayoutAction"));
    reset->setToolTip(tr("Docks back to their places and sizes, the window to 1280×800 or the screen"));
    buildHelpMenu();

    m_status = new JobStatusBar(statusBar(), this);
    connect(m_status, &JobStatusBar::cancelClicked, m_workspace, &WorkspaceController::cancelJob);

    connect(m_smoothing, &QSlider::valueChanged, this, [this](int v) { m_lossChart->setSmoothing(v / 100.0); });
    connect(m_logScale, &QCheckBox::toggled, m_lossChart, &LossChartView::setLogScale);
    connect(m_evaluation, &EvaluationView::thresholdChanged, m_samples, &SamplesPanel::setThreshold);
    connect(m_evaluation, &EvaluationView::splitChanged, this, &MainWindow::showSamplesForSplit);
    connect(m_evaluation, &EvaluationView::saveThresholdRequested, this, [this](double threshold) {
        if (currentRunDir().isEmpty())
            return;
        try {
            setRunThreshold(currentRunDir().toStdString(), threshold);
            m_status->showRunMessage(tr("Threshold %1 saved with the run; Compare and headbench-cli eval use it").arg(threshold, 0, 'f', 3));
        } catch (const Error& e) {
            showError(QString::fromStdString(e.what()));
        }
        m_workspace->refreshRuns();
    });
    connect(m_evaluation, &EvaluationView::cellClicked, this, [this](int t, int p) {
        m_samples->filterToCell(t, p);
        m_tabs->setCurrentIndex(SamplesTab);
    });
    connect(m_designer, &HeadDesignerPanel::validityChanged, this, &MainWindow::updateActions);
    connect(m_designer, &HeadDesignerPanel::featureSetChosen, this, [this](const QString& name) {
        if (const auto f = m_workspace->features(); f && !m_workspace->busy())
            m_workspace->openFeatures(QString::fromStdString(f->path), name);
    });
    buildRunViews();
}

void MainWindow::connectControllers()
{
    connect(m_workspace, &WorkspaceController::errorOccurred, this, [this](const QString& message) {
        if (!m_importRunning || !m_importDialog)
            return showError(message);
        m_importError = message; // shown in the import dialog once its job has ended
        m_lastError = message;
        m_status->showMessage(tr("Import failed: %1").arg(message));
        Q_EMIT errorShown(message);
    });
    // Queued: runs after the job's own signals (errorOccurred, featuresLoaded) were handled.
    connect(m_workspace, &WorkspaceController::jobFinished, this, &MainWindow::finishImport, Qt::QueuedConnection);
    // The run shown follows the workspace; each after the window's own handler of the signal.
    connect(m_workspace, &WorkspaceController::errorOccurred, m_runShow, &RunShowController::featuresFailed);
    connect(m_workspace, &WorkspaceController::workspaceChanged, this, [this](const QString& dir) {
        setWindowTitle(tr("HeadBench — %1").arg(QDir::toNativeSeparators(dir)));
        m_recent->rememberWorkspace(dir);
    });
    connect(m_workspace, &WorkspaceController::workspaceChanged, m_runShow, &RunShowController::workspaceChanged);
    connect(m_workspace, &WorkspaceController::workspaceChanged, this, &MainWindow::updateDataSummary);
    connect(m_workspace, &WorkspaceController::runFeaturesUnavailable, m_runShow, &RunShowController::featuresUnavailable);
    connect(m_workspace, &WorkspaceController::featuresLoaded, this, [this](const QString& path) {
        m_recent->rememberFeatures(path);
        const auto f = m_workspace->features();
        m_designer->setDataShape(f->dim, f->numClasses());
        showFeatureSets(*f);
        if (std::exchange(m_featuresForShownRun, QString()) == path)
            m_status->showMessage(tr("Loaded %1, the features the shown run was trained on; Train now uses them")
                                      .arg(QFileInfo(path).fileName()));
        else
            m_status->showMessage(tr("Loaded %1").arg(QFileInfo(path).fileName()));
        updateDataSummary();
        updateActions();
    });
    connect(m_workspace, &WorkspaceController::featuresLoaded, m_runShow, &RunShowController::featuresLoaded);
    // A re-open lets go of the previous matrix before reading the next: the Data panel too (it
    // showed a 2.49x peak on a 583 MiB file otherwise); after the job it shows what is loaded,
    // the new file or, when that failed, the previous one given back.
    connect(m_workspace, &WorkspaceController::featuresReleased, this, &MainWindow::updateDataSummary);
    connect(m_workspace, &WorkspaceController::jobFinished, this, &MainWindow::updateDataSummary);
    connect(m_runShow, &RunShowController::featuresNeeded, this, [this](const QString& path) {
        m_featuresForShownRun = path; // said when loaded: what Train uses changes with it
        m_workspace->openFeatures(path);
    });
    connect(m_runShow, &RunShowController::featuresMissing, this, &MainWindow::offerLocateFeatures);
    connect(m_runShow, &RunShowController::runLoaded, this, &MainWindow::applyLoadedRun);
    connect(m_runShow, &RunShowController::runCleared, this, &MainWindow::clearShownRun);
    connect(m_runShow, &RunShowController::error, this, &MainWindow::showError);
    connect(m_workspace, &WorkspaceController::runsChanged, this, &MainWindow::updateRunList);
    connect(m_workspace, &WorkspaceController::jobStarted, this, [this](const QString& title) {
        m_status->jobStarted(title);
        updateActions();
    });
    connect(m_workspace, &WorkspaceController::jobProgress, m_status, &JobStatusBar::jobProgress);
    connect(m_workspace, &WorkspaceController::jobFinished, this, [this] {
        m_status->jobFinished();
        updateActions();
    });
    connect(m_workspace, &WorkspaceController::jobMessage, m_status, &JobStatusBar::showMessage);

    connect(m_training, &TrainingController::started, this, [this](int epochs) {
        m_lossChart->clear();
        m_lossChart->setRunName(tr("training now"));
        m_tabs->setCurrentIndex(TrainingTab);
        m_status->trainingStarted(epochs);
    });
    connect(m_training, &TrainingController::epochFinished, this, &MainWindow::onEpoch);
    connect(m_training, &TrainingController::batchProgress, m_status, &JobStatusBar::trainingBatch);
    // Cross-validation after the run: the folds' own progress, not a finished run's "ETA 0 s".
    connect(m_training, &TrainingController::crossValidationProgress, m_status, &JobStatusBar::crossValidationProgress);
    connect(m_training, &TrainingController::finished, this, [this](const QString& dir) {
        m_workspace->refreshRuns();
        QString ended;
        for (const RunRecord& r : m_workspace->runs())
            if (QString::fromStdString(r.dir) == dir && r.finishedByUser)
                ended = resolvedOptimizer(r.spec) == Optimizer::Lbfgs
                            ? tr(" (ended by Finish Now after %1 L2 penalties)").arg(r.epochsRun)
                            : tr(" (ended by Finish Now after %1 of %2 epochs)").arg(r.epochsRun).arg(r.spec.epochs);
        m_status->trainingEnded(tr("Run saved in %1").arg(QDir::toNativeSeparators(dir)) + ended);
        // A new run opens on its validation split, the one it was chosen on: the split picked
        // for the last run (train, say) made a fresh head look better than it is. Between
        // saved runs the choice stays, so they are read on the same rows.
        m_evaluation->setSplit(kValidation);
        showRun(dir);
        m_tabs->setCurrentIndex(EvaluationTab);
    });
    connect(m_training, &TrainingController::cancelled, this, [this] {
        m_status->trainingEnded(tr("Training stopped; no run was saved (Finish Now ends training and keeps the run)"));
        m_lossChart->setRunName(tr("stopped, not saved"));
        m_workspace->refreshRuns();
    });
    connect(m_training, &TrainingController::failed, this, [this](const QString& message) {
        m_status->trainingEnded(tr("Training failed"));
        showError(message);
    });
    connect(m_training, &TrainingController::runningChanged, this, &MainWindow::updateActions);
}

QSize MainWindow::defaultSize() const
{
    QSize size(1280, 800);
    if (const QScreen* screen = this->screen())
        size = size.boundedTo(screen->availableGeometry().size());
    return size;
}

void MainWindow::arrangeDocks()
{
    // Default arrangement for 1280x800: narrow data column, designer on the right.
    QDockWidget *data = nullptr, *runs = nullptr;
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        if (dock->objectName() == QLatin1String("dataDock"))
            resizeDocks({data = dock}, {230}, Qt::Horizontal);
        else if (dock->objectName() == QLatin1String("designerDock"))
            resizeDocks({dock}, {300}, Qt::Horizontal);
        else if (dock->objectName() == QLatin1String("runsDock"))
            runs = dock;
    // The data summary (rows, classes, split) over the runs list: a little more than half the
    // column, so that at 1024x680 it is read without scrolling.
    if (data && runs) {
        const int column = std::max(height() - menuBar()->height() - statusBar()->height() - 60, 300);
        resizeDocks({data, runs}, {column * 11 / 20, column - column * 11 / 20}, Qt::Vertical);
    }
}

void MainWindow::resetLayout()
{
    // A layout distorted once (a dock stretched by a long class list) was saved and came back
    // at every start; this puts the window as it first opens, and forgets the saved one.
    restoreState(m_defaultState);
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        dock->setVisible(true);
    showNormal();
    resize(defaultSize());
    arrangeDocks();
    QSettings settings;
    settings.remove(QStringLiteral("window/geometry"));
    settings.remove(QStringLiteral("window/state"));
    m_status->showMessage(tr("Layout reset"));
}

QString MainWindow::viewCaption() const
{
    const QString tab = m_tabs->tabText(m_tabs->currentIndex()).remove(QLatin1Char('&'));
    switch (m_tabs->currentIndex()) {
    case CompareTab: // every run compared, in column order (the shown run need not be one of them)
        return m_compare->runCount() > 0 ? tr("%1: %2").arg(tab, m_compare->runNames().join(tr(" vs "))) : tab;
    case TrainingTab: // its chart's title names whose curves they are
    case SweepTab:
        return tab;
    default:
        return m_shownRunName.isEmpty() ? tab : tr("%1: %2").arg(tab, m_shownRunName);
    }
}

bool MainWindow::exportCurrentView(const QString& path, QString* error)
{
    QWidget* page = m_tabs->currentWidget();
    const QString caption = viewCaption();
    // The page's own caption, if a view set one, is put back after the export.
    const QString own = exportCaption(page);
    setExportCaption(page, caption);
    const bool ok = exportWidgetImage(page, path, caption, error);
    setExportCaption(page, own);
    return ok;
}

QString MainWindow::stepNameOf(const EpochStats& first, const EpochStats& last)
{
    // An L-BFGS probe's history is one fit per L2 penalty of its path, not epochs: the axis says
    // which penalties its first and last points are (its index alone said nothing of the value).
    if (first.iterations <= 0)
        return tr("epoch");
    if (last.epoch <= first.epoch)
        return tr("L2 penalty tried (1 = %1, the strongest)").arg(first.l2, 0, 'g', 2);
    return tr("L2 penalty tried: 1 = %1 … %2 = %3").arg(first.l2, 0, 'g', 2).arg(last.epoch).arg(last.l2, 0, 'g', 2);
}

void MainWindow::showHistory(const std::vector<EpochStats>& history, const QString& runName)
{
    QList<QPointF> train, val, metric;
    m_lossChart->setRunName(runName);
    m_lossChart->setStepName(history.empty() ? stepNameOf({}, {}) : stepNameOf(history.front(), history.back()));
    for (const auto& e : history) {
        train.append(QPointF(e.epoch, e.trainLoss));
        val.append(QPointF(e.epoch, e.valLoss));
        if (std::isfinite(e.valF1))
            metric.append(QPointF(e.epoch, e.valF1));
    }
    m_lossChart->setHistory(train, val, metric);
}

void MainWindow::onEpoch(const EpochStats& e)
{
    if (e.epoch == 1)
        m_firstStep = e;
    m_lossChart->setStepName(stepNameOf(m_firstStep, e));
    m_lossChart->addEpoch(e.epoch, e.trainLoss, e.valLoss, e.valF1);
    m_status->trainingEpoch(e);
}

void MainWindow::showError(const QString& message)
{
    m_lastError = message;
    Q_EMIT errorShown(message);
    m_status->showMessage(tr("Error: %1").arg(message));
    // Non-blocking: the window stays usable (and tests are not stopped by a modal loop).
    auto* box = new QMessageBox(QMessageBox::Warning, tr("HeadBench"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QPushButton* MainWindow::cancelJobButton() const
{
    return m_status->cancelButton();
}

QString MainWindow::statusText() const
{
    return m_status->text();
}

void MainWindow::openWorkspace(const QString& dir)
{
    m_workspace->openWorkspace(dir);
}

void MainWindow::openFeatureFile(const QString& path)
{
    if (m_workspace->workspace().isEmpty())
        m_workspace->openWorkspace(QFileInfo(path).absolutePath());
    m_workspace->openFeatures(path);
}

void MainWindow::importDataset(const QString& path)
{
    if (m_workspace->workspace().isEmpty())
        m_workspace->openWorkspace(QFileInfo(path).absolutePath());
    if (m_importDialog) { // one import at a time; its mapping may still be wanted
        m_importDialog->raise();
        m_importDialog->activateWindow();
        return;
    }
    // Not modal-blocking, and kept until its extraction succeeds: a failed import shows its
    // error in the dialog, mapping unchanged, instead of closing it (the preview's own
    // failure is shown in it as well).
    auto* dialog = new ImportDialog(path, m_workspace->workspace(), this);
    m_importDialog = dialog;
    connect(dialog, &QDialog::accepted, this, [this, dialog] { startImport(dialog); });
    connect(dialog, &QDialog::rejected, dialog, &QObject::deleteLater);
    dialog->open();
}

void MainWindow::openDemoWorkspace()
{
    const QString dir = WorkspaceController::defaultDemoDir();
    if (QFileInfo::exists(QDir(dir).filePath(QStringLiteral("features/demo.h5"))))
        m_workspace->openWorkspace(dir);
    else
        m_workspace->createDemoWorkspace(dir);
}

bool MainWindow::startTraining()
{
    const QStringList problems = m_designer->problems();
    if (!problems.isEmpty()) {
        showError(problems.join(QLatin1Char('\n')));
        return false;
    }
    if (m_workspace->busy() || !m_workspace->features()) {
        showError(tr("Load a feature file first."));
        return false;
    }
    RunPlan plan;
    try {
        plan = m_designer->plan(m_dataPanel->splitMode());
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
    return startPlan(std::move(plan));
}

QString MainWindow::currentRunDir() const
{
    return m_runShow->currentRunDir();
}

QString MainWindow::requestedRunDir() const
{
    return m_runShow->requestedRunDir();
}

void MainWindow::showRun(const QString& runDir)
{
    m_runShow->showRun(runDir);
}

void MainWindow::applyLoadedRun(const LoadedRun& run)
{
    const RunRecord& rec = run.record;
    m_runSamples = run.samples;
    m_runSplit = run.split;
    m_runsPanel->selectRun(run.dir); // the list follows the run shown
    const QString name = QString::fromStdString(rec.name), head = QString::fromStdString(summary(rec.spec));
    m_shownRunName = name;
    if (run.dir != m_shownRunDir)
        m_status->runChanged(); // "threshold saved" and the like were about the previous run
    m_shownRunDir = run.dir;
    m_evaluation->setRun(m_runSamples, m_runSplit, name.startsWith(head) ? name : tr("%1 — %2").arg(name, head));
    // Each run starts at its own threshold: the saved one, else 0.5 (never the last run's).
    m_evaluation->setThreshold(rec.threshold.value_or(0.5));
    QString banner = leakageBannerText(rec.leakage, rec.splitSource);
    if (run.crossValidation) // cv.json's mean and sd, where the window showed them nowhere
        banner += (banner.isEmpty() ? QString() : QStringLiteral("<br>")) + crossValidationText(*run.crossValidation);
    else if (!run.crossValidationProblem.isEmpty())
        banner += (banner.isEmpty() ? QString() : QStringLiteral("<br>")) + run.crossValidationProblem.toHtmlEscaped();
    m_leakageBanner->setText(banner);
    m_leakageBanner->setVisible(!m_leakageBanner->text().isEmpty());
    m_evaluation->setIntervals(rec.validation.ci, rec.test.ci);
    if (rec.calibration.enabled())
        m_evaluation->setCalibrationTemperature(rec.calibration.temperature);
    showSamplesForSplit();
    if (!m_training->isRunning())
        showHistory(rec.history, name);
    Q_EMIT runShown(run.dir);
}

void MainWindow::offerLocateFeatures(const QString& runDir, const QString& featuresPath, const QString& reason)
{
    m_status->showMessage(reason);
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Feature file not found"), reason, QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("featuresUnavailableBox"));
    box->setInformativeText(tr("Locate the file to see the code of this run's samples."));
    QPushButton* locate = box->addButton(tr("Locate…"), QMessageBox::ActionRole);
    locate->setObjectName(QStringLiteral("locateFeaturesButton"));
    connect(locate, &QPushButton::clicked, this, [this, runDir, featuresPath] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Locate %1").arg(QFileInfo(featuresPath).fileName()),
                                                          m_workspace->workspace(), tr("HDF5 feature files (*.h5 *.hdf5)"));
        if (!path.isEmpty())
            m_runShow->locate(runDir, path);
    });
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showSamplesForSplit()
{
    if (m_runSamples) {
        m_samples->setSamples(m_runSamples, m_evaluation->rows());
        m_samples->setScope(m_evaluation->splitName(), m_shownRunName);
    }
    m_samples->setThreshold(m_evaluation->threshold());
}

QComboBox* MainWindow::splitModeBox() const
{
    return m_dataPanel->splitModeBox();
}

void MainWindow::updateDataSummary()
{
    m_dataPanel->showData(m_workspace->workspace(), m_workspace->featuresPath(), m_workspace->features());
}

void MainWindow::updateRunList()
{
    m_runsPanel->setRuns(m_workspace->runs(), m_workspace->featureStates());
    if (!currentRunDir().isEmpty())
        m_runsPanel->selectRun(currentRunDir());
}

void MainWindow::updateActions()
{
    const bool running = m_training->isRunning();
    m_trainAction->setEnabled(!running && !m_workspace->busy() && m_workspace->features() && m_designer->problems().isEmpty());
    m_stopAction->setEnabled(running);
    m_finishAction->setEnabled(running);
    m_lossChart->setPlaceholderText(
        running                    ? tr("Training: the losses appear here as each epoch ends.")
        : !m_workspace->features() ? tr("No features loaded. Open a feature file or import a dataset of code (Data "
                                        "panel, or File menu), or open the demo workspace.")
                                   : tr("Design a head on the right and press Train (F5): its loss curves appear "
                                        "here. A run chosen in the Runs panel shows its own."));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_training->isRunning()) {
        const auto answer = QMessageBox::question(this, tr("Training is running"),
                                                  tr("Stop the training and quit? The unfinished run is not saved."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        // A run that finished while the question was open is saved; only one still training
        // is stopped (and not saved).
        if (m_training->isRunning())
            m_training->stop();
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    for (const QUrl& url : event->mimeData()->urls()) {
        const QString path = url.toLocalFile();
        const QString suffix = QFileInfo(path).suffix().toLower();
        if (suffix == QLatin1String("h5") || suffix == QLatin1String("hdf5"))
            openFeatureFile(path);
        else if (suffix == QLatin1String("jsonl") || suffix == QLatin1String("csv") || suffix == QLatin1String("json"))
            importDataset(path);
        else if (QFileInfo(path).isDir())
            openWorkspace(path);
        else
            showError(tr("%1: not a feature file (.h5), a dataset (.jsonl, .csv) or a workspace folder").arg(path));
    }
}

} // namespace headbench
