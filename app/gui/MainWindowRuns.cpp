// MainWindow: the runs panel, run comparison and sweeps (kept apart from the window's layout).
#include "MainWindow.h"

#include "DataPanel.h"
#include "JobStatusBar.h"

#include "RankDialog.h"

#include <QCheckBox>

#include "RunCompareView.h"
#include "RunShowController.h"
#include "RunsPanel.h"
#include "SweepDialog.h"
#include "SweepView.h"
#include "TrainingController.h"
#include "WorkspaceController.h"

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/runs/RunComparison.h>
#include "HeadDesignerPanel.h"
#include "LossChartView.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrentRun>

namespace headbench {

void MainWindow::showSweepGroup(const QString& id)
{
    // One run per point, by point (the backend's grouping, as `runs` lists it).
    std::vector<const RunRecord*> members;
    for (const RunGroup& g : runGroups(m_workspace->runs()))
        if (QString::fromStdString(g.id) == id)
            members = g.members;
    if (members.empty())
        return;
    QStringList params;
    for (const RunRecord* r : members)
        params << QString::fromStdString(r->sweepParams);
    m_sweepView->setPoints(id, params);
    for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i]->finished())
            m_sweepView->setFinished(static_cast<int>(i), *members[i]);
        else
            m_sweepView->setFailed(static_cast<int>(i), QString::fromStdString(members[i]->status));
    m_sweepView->setEnded(false);
}

void MainWindow::buildRunViews()
{
    connect(m_runsPanel, &RunsPanel::openRequested, this, &MainWindow::showRun);
    connect(m_runsPanel, &RunsPanel::compareRequested, this, &MainWindow::compareRuns);
    // A sweep of an earlier session: clicking its group brings its chart back (the Sweep tab said
    // "No sweep yet" after a restart).
    connect(m_runsPanel, &RunsPanel::sweepGroupActivated, this, [this](const QString& id) {
        if (m_training->isSweeping())
            return;
        showSweepGroup(id);
        m_tabs->setCurrentIndex(SweepTab);
    });
    // Opening the Sweep tab of a workspace with saved sweeps shows the newest one, rather than
    // "No sweep yet" until a group is clicked.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab != SweepTab || m_training->isSweeping() || !m_sweepView->isEmpty())
            return;
        QString newest;
        std::string newestRun;
        for (const RunGroup& g : runGroups(m_workspace->runs()))
            for (const RunRecord* r : g.members)
                if (r->id > newestRun) {
                    newestRun = r->id;
                    newest = QString::fromStdString(g.id);
                }
        if (!newest.isEmpty())
            showSweepGroup(newest);
    });
    // An interrupted run has no predictions, but the epochs it finished are on disk: its curves.
    connect(m_runsPanel, &RunsPanel::unfinishedSelected, this, [this](const QString& dir) {
        if (m_training->isRunning())
            return;
        for (const RunRecord& r : m_workspace->runs())
            if (QString::fromStdString(r.dir) == dir) {
                showHistory(r.history, QString::fromStdString(r.name));
                m_tabs->setCurrentIndex(TrainingTab);
                m_status->showRunMessage(r.history.empty()
                                          ? tr("%1: %2 before its first epoch ended").arg(QString::fromStdString(r.name), QString::fromStdString(r.status))
                                          : tr("%1: %2 after %3; the curves show the epochs it finished")
                                                .arg(QString::fromStdString(r.name), QString::fromStdString(r.status),
                                                     QString::fromStdString(plural(r.history.size(), "epoch"))));
            }
    });
    connect(m_runsPanel, &RunsPanel::renameRequested, this, [this](const QString& dir, const QString& name) {
        try {
            renameRun(dir.toStdString(), name.toStdString());
            // The titles of the views that show it (Evaluation, Training curves) follow.
            if (dir == currentRunDir())
                showRun(dir);
        } catch (const Error& e) {
            showError(QString::fromStdString(e.what()));
        }
        m_workspace->refreshRuns();
    });
    connect(m_runsPanel, &RunsPanel::tagsRequested, this, &MainWindow::editTags);
    connect(m_runsPanel, &RunsPanel::loadSpecRequested, this, &MainWindow::loadSpecIntoDesigner);
    connect(m_runsPanel, &RunsPanel::deleteRequested, this, &MainWindow::deleteRuns);
    connect(&m_compareWatcher, &QFutureWatcher<LoadedComparison>::finished, this, [this] {
        LoadedComparison result = m_compareWatcher.result();
        if (!result.error.isEmpty()) {
            showError(result.error);
            return;
        }
        const auto features = m_workspace->features();
        TextColumn texts;
        // The code is shown when the loaded feature file is the one the runs were made on.
        const auto& runs = result.comparison.runs;
        if (features && !features->texts.empty() && !runs.empty() &&
            QFileInfo(m_workspace->featuresPath()).absoluteFilePath() == QString::fromStdString(runs.front().record.featuresPath))
            texts = features->texts; // shared, without keeping the matrix
        const int count = static_cast<int>(runs.size());
        m_compare->setComparison(std::move(result.comparison), texts);
        m_tabs->setCurrentIndex(CompareTab);
        Q_EMIT comparisonShown(count);
    });

    connect(m_sweepView, &SweepView::cancelRequested, m_training, &TrainingController::stop);
    connect(m_sweepView, &SweepView::runActivated, this, [this](const QString& dir) {
        showRun(dir);
        m_tabs->setCurrentIndex(EvaluationTab);
    });
    connect(m_training, &TrainingController::sweepRunStarted, this, [this](int index, int count) {
        m_sweepView->setRunning(index);
        m_lossChart->clear();
        m_lossChart->setRunName(tr("sweep run %1 of %2").arg(index + 1).arg(count));
        m_status->trainingStarted(index < static_cast<int>(m_planEpochs.size()) ? m_planEpochs[static_cast<std::size_t>(index)] : 0);
        m_status->showMessage(tr("Sweep: training run %1 of %2…").arg(index + 1).arg(count));
    });
    connect(m_training, &TrainingController::sweepRunFinished, this, [this](int index, const QString& dir) {
        try {
            m_sweepView->setFinished(index, loadRun(dir.toStdString()));
        } catch (const Error& e) {
            m_sweepView->setFailed(index, QString::fromStdString(e.what()));
        }
        m_workspace->refreshRuns(); // results appear in the runs panel as they finish
    });
    connect(m_training, &TrainingController::sweepRunFailed, this,
            [this](int index, const QString& message) { m_sweepView->setFailed(index, message); });
    connect(m_training, &TrainingController::sweepEnded, this, [this](bool cancelled) {
        m_sweepView->setEnded(cancelled);
        const QString runs = QString::fromStdString(plural(m_sweepView->finishedCount(), "run"));
        m_status->trainingEnded(cancelled ? tr("Sweep cancelled: %1 finished").arg(runs) : tr("Sweep done: %1").arg(runs));
        m_workspace->refreshRuns();
    });
}

void MainWindow::deleteRuns(const QStringList& dirs)
{
    if (dirs.isEmpty())
        return;
    // Named as the list names it: several runs may share a name, so the folder follows.
    QString which = dirs.first();
    if (dirs.size() == 1)
        try {
            which = tr("%1\n(%2)").arg(QString::fromStdString(loadRun(dirs.first().toStdString()).name), dirs.first());
        } catch (const Error&) {
        }
    const auto answer = QMessageBox::question(this, tr("Delete runs"),
                                              dirs.size() == 1 ? tr("Delete this run and all its files?\n%1").arg(which)
                                                               : tr("Delete these %1 runs and all their files?").arg(dirs.size()));
    if (answer != QMessageBox::Yes)
        return;
    QStringList deleted;
    for (const QString& dir : dirs) {
        try {
            deleteRun(dir.toStdString());
            deleted << dir;
        } catch (const Error& e) {
            showError(QString::fromStdString(e.what()));
        }
    }
    m_runShow->runsDeleted(deleted);
    m_workspace->refreshRuns();
}

bool MainWindow::loadSpecIntoDesigner(const QString& runDir)
{
    try {
        const RunRecord rec = loadRun(runDir.toStdString());
        // The run's settings too: loading a cross-validated, calibrated run's spec and training it
        // again trained neither (session 16's walkthrough).
        const auto cv = loadCrossValidationSummary(rec.dir);
        m_designer->setSpec(rec.spec);
        m_designer->setRunSettings(rec.calibration.enabled(), cv ? cv->k : 0);
        m_status->showMessage(tr("The designer holds the head of %1").arg(QString::fromStdString(rec.name)));
        return true;
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
}

void MainWindow::editTags(const QString& dir)
{
    try {
        const RunRecord rec = loadRun(dir.toStdString());
        QStringList tags;
        for (const auto& t : rec.tags)
            tags << QString::fromStdString(t);
        bool ok = false;
        const QString text = QInputDialog::getText(this, tr("Tags"), tr("Tags of %1 (comma separated):").arg(QString::fromStdString(rec.name)),
                                                   QLineEdit::Normal, tags.join(QStringLiteral(", ")), &ok);
        if (!ok)
            return;
        std::vector<std::string> newTags;
        for (const QString& t : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
            if (!t.trimmed().isEmpty())
                newTags.push_back(t.trimmed().toStdString());
        setRunTags(dir.toStdString(), newTags);
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
    }
    m_workspace->refreshRuns();
}

void MainWindow::compareRuns(const QStringList& runDirs)
{
    if (runDirs.size() < 2) {
        showError(tr("Select two or more finished runs to compare (Ctrl+click in the runs panel)."));
        return;
    }
    m_compareWatcher.setFuture(QtConcurrent::run([runDirs]() -> LoadedComparison {
        LoadedComparison out;
        try {
            std::vector<std::string> dirs;
            for (const QString& dir : runDirs)
                dirs.push_back(dir.toStdString());
            out.comparison = headbench::compareRuns(dirs);
        } catch (const std::exception& e) {
            out.error = QString::fromStdString(e.what());
        }
        return out;
    }));
}

bool MainWindow::startSweep(std::vector<SweepPoint> points)
{
    if (points.empty()) {
        showError(tr("A sweep needs at least one point."));
        return false;
    }
    return startPlan(sweepPlan(points, m_designer->sweepSettings(m_dataPanel->splitMode())));
}

bool MainWindow::startPlan(RunPlan plan)
{
    if (plan.runs.empty() || !m_workspace->features() || m_workspace->busy() || m_training->isRunning()) {
        showError(plan.kind == PlanKind::Sweep ? tr("A sweep needs loaded features and no training running.")
                                                : tr("Load a feature file first."));
        return false;
    }
    const auto features = m_workspace->features();
    if (const auto problems = planProblems(plan, features->numClasses()); !problems.empty()) {
        showError(plan.kind == PlanKind::Sweep ? tr("Sweep %1").arg(QString::fromStdString(problems.front()))
                                                : QString::fromStdString(problems.front()));
        return false;
    }
    for (const PlannedRun& run : plan.runs) // the window trains on the loaded set; the CLI's sweep reloads per point
        if (!run.featureSet.empty() && run.featureSet != features->featureSet) {
            showError(tr("This sweep varies feature_set (%1); the window trains on the loaded set (%2). Choose the set "
                         "in the head designer, or run the sweep with headbench-cli sweep.")
                          .arg(QString::fromStdString(run.featureSet), QString::fromStdString(features->featureSet)));
            return false;
        }
    if (const auto warnings = planWarnings(plan); !warnings.empty()) {
        // Not a refusal: the sweep runs, but the user learns why some of its points are equal.
        QStringList lines;
        for (const auto& w : warnings)
            lines << QString::fromStdString(w);
        auto* box = new QMessageBox(QMessageBox::Information, tr("Sweep points that train the same head"),
                                    lines.join(QLatin1Char('\n')), QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("sweepWarningBox"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        m_status->showMessage(lines.first());
    }
    if (plan.kind != PlanKind::Single) {
        QStringList params;
        for (const PlannedRun& run : plan.runs)
            params << QString::fromStdString(run.params);
        m_sweepView->setPoints(QString::fromStdString(plan.groupId), params);
        m_tabs->setCurrentIndex(SweepTab);
        m_planEpochs.clear();
        for (const PlannedRun& run : plan.runs)
            m_planEpochs.push_back(run.plannedEpochs());
    }
    return m_training->startPlan(features, std::move(plan), m_workspace->workspace());
}

void MainWindow::openSweepDialog()
{
    SweepDialog dialog(m_designer->spec(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    auto points = dialog.points(&error);
    if (points.empty()) {
        showError(error);
        return;
    }
    startSweep(std::move(points));
}

void MainWindow::showFeatureSets(const FeatureSet& features)
{
    QStringList names;
    for (const FeatureSetInfo& f : features.featureSets)
        names << QString::fromStdString(f.name);
    m_designer->setFeatureSets(names, QString::fromStdString(features.featureSet));
}

void MainWindow::openRankDialog()
{
    const auto f = m_workspace->features();
    if (!f || f->path.empty()) {
        showError(tr("Open a feature file first: ranking scores each of its feature sets."));
        return;
    }
    auto* dialog = new RankDialog({QString::fromStdString(f->path)}, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    dialog->start();
}

} // namespace headbench
