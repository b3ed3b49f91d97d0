#pragma once
/// \file RunsPanel.h
#include <headbench/runs/RunStore.h>

#include <QWidget>

QT_BEGIN_NAMESPACE
class QTreeWidget;
class QTreeWidgetItem;
class QPushButton;
class QAction;
QT_END_NAMESPACE

namespace headbench {

/// Every run of the workspace in a sortable tree: single runs at the top level, a sweep's
/// runs grouped under it. Shows name (editable), status, date, head, backbone, feature file,
/// best epoch and key metrics; marks interrupted runs and runs whose feature file changed.
class RunsPanel : public QWidget {
    Q_OBJECT
public:
    enum Column { NameColumn, StatusColumn, DateColumn, HeadColumn, ValF1Column, TestF1Column, TestAucColumn,
                  TestEceColumn, BestEpochColumn, BackboneColumn, FeaturesColumn, TagsColumn, ColumnCount };

    explicit RunsPanel(QWidget* parent = nullptr);

    /// Replaces the list; `featureStates` holds checkFeatures() of each run (same order).
    void setRuns(const std::vector<RunRecord>& runs, const std::vector<FeaturesState>& featureStates);
    /// Run folders of the selected runs (finished ones only).
    QStringList selectedRunDirs() const;
    /// Selects the run in `dir`; `exclusive`: it alone (the run shown), without re-emitting
    /// openRequested.
    void selectRun(const QString& dir, bool exclusive = true);
    QTreeWidget* tree() const { return m_tree; }
    int runCount() const;

Q_SIGNALS:
    void openRequested(QString dir);
    /// An interrupted (or still running) run alone was selected: its curves so far can be shown.
    void unfinishedSelected(QString dir);
    /// A sweep's (or repeats') group row was clicked: its runs can be shown as one sweep again.
    void sweepGroupActivated(QString sweepId);
    void compareRequested(QStringList dirs);
    void renameRequested(QString dir, QString name);
    void tagsRequested(QString dir);
    /// "Load spec into designer" on a run.
    void loadSpecRequested(QString dir);
    void deleteRequested(QStringList dirs);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void contextMenu(const QPoint& pos);
    /// Narrows the name column so that the status column stays in view in a narrow dock (at
    /// 1024x680 it showed "fi"), until the user sizes the name column.
    void fitNameColumn();
    QTreeWidgetItem* itemFor(const RunRecord& run, FeaturesState state);

    QTreeWidget* m_tree;
    QPushButton* m_compare;
    QAction* m_renameAction;
    QAction* m_deleteAction;
    bool m_filling = false;
    bool m_fitting = false;
    bool m_userSizedName = false;
};

} // namespace headbench
