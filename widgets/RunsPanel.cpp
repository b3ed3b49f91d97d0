#include "RunsPanel.h"

#include <QAction>
#include <QEvent>

#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QMenu>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>

namespace headbench {
namespace {

constexpr int DirRole = Qt::UserRole + 1;
constexpr int FinishedRole = Qt::UserRole + 2;

/// Sorts numbers as numbers and keeps sweep groups sorted by their own text.
class RunItem : public QTreeWidgetItem {
public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override
    {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        const QVariant a = data(column, Qt::UserRole), b = other.data(column, Qt::UserRole);
        if (a.isValid() && b.isValid())
            return a.toDouble() < b.toDouble();
        return QTreeWidgetItem::operator<(other);
    }
};

void setNumber(QTreeWidgetItem* item, int column, double value, int decimals = 3)
{
    item->setText(column, std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("–"));
    item->setData(column, Qt::UserRole, std::isfinite(value) ? value : -1.0);
    item->setTextAlignment(column, Qt::AlignRight | Qt::AlignVCenter);
}

} // namespace

RunsPanel::RunsPanel(QWidget* parent)
    : QWidget(parent)
    , m_tree(new QTreeWidget)
    , m_compare(new QPushButton(tr("Compare selected")))
{
    m_tree->setColumnCount(ColumnCount);
    m_tree->setHeaderLabels({tr("name"), tr("status"), tr("date"), tr("head"), tr("val F1"), tr("test F1"), tr("test AUC"),
                             tr("test ECE"), tr("best epoch"), tr("backbone"), tr("features"), tr("tags")});
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(DateColumn, Qt::DescendingOrder);
    m_tree->setAlternatingRowColors(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    // F2 or a double click renames; not a click on a selected row, which kept a multi-selection
    // (a plain click on one of two selected runs left both selected, waiting to edit).
    m_tree->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::DoubleClicked);
    m_tree->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_tree->setColumnWidth(NameColumn, 170);
    // Wide enough for the longest status ("features missing", "interrupted").
    const QFontMetrics fm = m_tree->fontMetrics();
    int statusWidth = 0;
    for (const QString& s : {tr("status"), tr("interrupted"), tr("damaged"), tr("features changed"), tr("features missing"), tr("running")})
        statusWidth = std::max(statusWidth, fm.horizontalAdvance(s));
    m_tree->setColumnWidth(StatusColumn, statusWidth + 24);
    m_tree->setColumnWidth(DateColumn, 110);
    m_tree->setColumnWidth(HeadColumn, 150);
    m_tree->viewport()->installEventFilter(this);
    connect(m_tree->header(), &QHeaderView::sectionResized, this, [this](int section, int, int) {
        if (section == NameColumn && !m_fitting)
            m_userSizedName = true;
    });
    m_compare->setToolTip(tr("Select two or more runs (Ctrl+click) to compare them side by side"));
    m_compare->setEnabled(false);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_compare);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_tree, 1);
    layout->addLayout(buttons);

    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, [this] {
        const QStringList dirs = selectedRunDirs();
        m_compare->setEnabled(dirs.size() >= 2);
        if (dirs.size() == 1)
            Q_EMIT openRequested(dirs.first());
        const auto items = m_tree->selectedItems();
        if (dirs.isEmpty() && items.size() == 1 && !items.first()->data(0, DirRole).toString().isEmpty())
            Q_EMIT unfinishedSelected(items.first()->data(0, DirRole).toString());
    });
    connect(m_compare, &QPushButton::clicked, this, [this] { Q_EMIT compareRequested(selectedRunDirs()); });
    connect(m_tree, &QTreeWidget::itemClicked, this, [this](QTreeWidgetItem* item) {
        if (item && item->childCount() > 0 && item->data(0, DirRole).toString().isEmpty())
            Q_EMIT sweepGroupActivated(item->text(NameColumn));
    });
    connect(m_tree, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item, int column) {
        if (m_filling || column != NameColumn || item->data(0, DirRole).toString().isEmpty())
            return;
        Q_EMIT renameRequested(item->data(0, DirRole).toString(), item->text(NameColumn).trimmed());
    });
    connect(m_tree, &QWidget::customContextMenuRequested, this, &RunsPanel::contextMenu);

    // Keys of the runs list, as actions so that the context menu shows them and Help ▸
    // Keyboard shortcuts lists them (the dialog reads "shortcutPlace").
    m_renameAction = new QAction(tr("Rename run"), this);
    m_renameAction->setShortcut(QKeySequence(Qt::Key_F2));
    m_deleteAction = new QAction(tr("Delete selected runs…"), this);
    m_deleteAction->setShortcut(QKeySequence::Delete);
    for (QAction* a : {m_renameAction, m_deleteAction}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        a->setProperty("shortcutPlace", tr("Runs list"));
        m_tree->addAction(a);
    }
    connect(m_renameAction, &QAction::triggered, this, [this] {
        QTreeWidgetItem* item = m_tree->currentItem();
        if (item && item->data(0, FinishedRole).toBool())
            m_tree->editItem(item, NameColumn);
    });
    connect(m_deleteAction, &QAction::triggered, this, [this] {
        QStringList dirs;
        for (QTreeWidgetItem* selected : m_tree->selectedItems())
            if (!selected->data(0, DirRole).toString().isEmpty())
                dirs << selected->data(0, DirRole).toString();
        if (!dirs.isEmpty())
            Q_EMIT deleteRequested(dirs);
    });
}

QTreeWidgetItem* RunsPanel::itemFor(const RunRecord& r, FeaturesState state)
{
    auto* item = new RunItem;
    item->setText(NameColumn, QString::fromStdString(r.name));
    // The whole name where the column cuts it, and what tells runs of one default name apart.
    QString nameTip = QString::fromStdString(r.name);
    if (!r.created.empty())
        nameTip += QLatin1Char('\n') + tr("trained %1").arg(QString::fromStdString(r.created).left(19).replace(QLatin1Char('T'), QLatin1Char(' ')));
    if (r.finished() && r.epochsRun > 0 && resolvedOptimizer(r.spec) != Optimizer::Lbfgs)
        nameTip += QLatin1Char('\n') + tr("%1 of %2 epochs, best %3").arg(r.epochsRun).arg(r.spec.epochs).arg(r.bestEpoch);
    if (r.finished() && std::isfinite(r.validation.f1))
        nameTip += QLatin1Char('\n') + tr("validation F1 %1").arg(r.validation.f1, 0, 'f', 3);
    item->setToolTip(NameColumn, nameTip);
    // A sweep point under its sweep's line is told by its point and values, as `runs` lists it:
    // its default name ("1x64 relu, ce · activation=relu, dropout=0.1 · juliet.h5") was cut before
    // the values. A name the user gave is kept.
    if (!r.sweepId.empty()) {
        const std::string fields = sweepPointText(r.sweepParams);
        if (!fields.empty() && r.name.find(fields) != std::string::npos)
            item->setText(NameColumn, QString::fromStdString(r.sweepPoint >= 0 ? std::to_string(r.sweepPoint + 1) + " · " + fields
                                                                                : fields));
    }
    item->setData(0, DirRole, QString::fromStdString(r.dir));
    item->setData(0, FinishedRole, r.finished());
    QString status = QString::fromStdString(r.status);
    if (r.finished() && state == FeaturesState::Changed)
        status = tr("features changed");
    else if (r.finished() && state == FeaturesState::Missing)
        status = tr("features missing");
    if (r.finished() && state == FeaturesState::Same && r.finishedByUser) {
        status = tr("ended by you");
        item->setToolTip(StatusColumn, resolvedOptimizer(r.spec) == Optimizer::Lbfgs
                                           ? tr("Finish Now ended the L2 path after %1 penalties; the run is complete and saved")
                                                 .arg(r.epochsRun)
                                           : tr("Finish Now ended training after epoch %1 of %2; the run is complete and saved")
                                                 .arg(r.epochsRun)
                                                 .arg(r.spec.epochs));
    }
    item->setText(StatusColumn, status);
    item->setText(DateColumn, QString::fromStdString(r.created).left(16).replace(QLatin1Char('T'), QLatin1Char(' ')));
    item->setText(HeadColumn, QString::fromStdString(summary(r.spec)));
    item->setText(BackboneColumn, QString::fromStdString(r.backbone));
    item->setText(FeaturesColumn, QString::fromStdString(r.featuresPath).section(QLatin1Char('/'), -1));
    item->setToolTip(FeaturesColumn, QString::fromStdString(r.featuresPath));
    QStringList tags;
    for (const auto& t : r.tags)
        tags << QString::fromStdString(t);
    item->setText(TagsColumn, tags.join(QStringLiteral(", ")));
    if (r.finished()) {
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        setNumber(item, ValF1Column, r.validation.f1);
        setNumber(item, TestF1Column, r.test.f1);
        if (r.test.ci && r.test.ci->f1.valid()) { // the interval, sorted by the value
            item->setText(TestF1Column, tr("%1 [%2, %3]")
                                            .arg(r.test.f1, 0, 'f', 3)
                                            .arg(r.test.ci->f1.low, 0, 'f', 2)
                                            .arg(r.test.ci->f1.high, 0, 'f', 2));
            item->setToolTip(TestF1Column, tr("test F1 with its %1% bootstrap interval").arg(100 * r.test.ci->level, 0, 'f', 0));
        }
        setNumber(item, TestAucColumn, r.test.rocAuc);
        setNumber(item, TestEceColumn, r.test.ece);
        setNumber(item, BestEpochColumn, r.bestEpoch, 0);
        if (state != FeaturesState::Same) {
            item->setForeground(StatusColumn, QColor(0xe6, 0x51, 0x00));
            item->setToolTip(StatusColumn, tr("The feature file changed or disappeared since this run was trained"));
        }
    } else {
        for (int c = 0; c < ColumnCount; ++c)
            item->setForeground(c, QColor(0x9e, 0x9e, 0x9e));
        if (r.status == "damaged") {
            // Listed, not hidden: the folder is there and the user should know why it shows nothing.
            item->setForeground(StatusColumn, QColor(0xc6, 0x28, 0x28));
            for (int c : {int(NameColumn), int(StatusColumn)})
                item->setToolTip(c, QString::fromStdString(r.problem));
        } else {
            item->setToolTip(StatusColumn, r.status == "interrupted" ? tr("Training was interrupted (closed or killed); no results")
                                                                     : tr("Training is running"));
        }
    }
    return item;
}

void RunsPanel::setRuns(const std::vector<RunRecord>& runs, const std::vector<FeaturesState>& states)
{
    const QStringList selected = selectedRunDirs();
    m_filling = true;
    m_tree->setSortingEnabled(false);
    m_tree->clear();
    std::map<std::string, QTreeWidgetItem*> sweeps;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& r = runs[i];
        QTreeWidgetItem* item = itemFor(r, i < states.size() ? states[i] : FeaturesState::Same);
        if (r.sweepId.empty()) {
            m_tree->addTopLevelItem(item);
            continue;
        }
        auto& group = sweeps[r.sweepId];
        if (!group) {
            group = new RunItem;
            group->setText(NameColumn, QString::fromStdString(r.sweepId));
            group->setText(DateColumn, QString::fromStdString(r.created).left(16).replace(QLatin1Char('T'), QLatin1Char(' ')));
            group->setFlags(Qt::ItemIsEnabled);
            QFont bold = group->font(0);
            bold.setBold(true);
            group->setFont(NameColumn, bold);
            m_tree->addTopLevelItem(group);
            group->setExpanded(true);
        }
        item->setText(HeadColumn, QString::fromStdString(r.sweepParams));
        item->setToolTip(HeadColumn, QString::fromStdString(summary(r.spec)));
        group->addChild(item);
    }
    // A group's line says how far it is (points finished of planned, running): the tasks of a job
    // array land runs in it while it is listed.
    for (const RunGroup& g : runGroups(runs))
        if (const auto it = sweeps.find(g.id); it != sweeps.end()) {
            it->second->setText(StatusColumn, QString::fromStdString(g.shortStatusText()));
            it->second->setToolTip(StatusColumn, QString::fromStdString(g.statusText()));
        }
    // The status column fits the statuses listed (the group's line was cut to "6 of 6 fir…" at
    // 1280x800), and the name column gives way in a narrow dock.
    const QFontMetrics fm = m_tree->fontMetrics();
    int statusWidth = fm.horizontalAdvance(m_tree->headerItem()->text(StatusColumn));
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        statusWidth = std::max(statusWidth, fm.horizontalAdvance((*it)->text(StatusColumn)));
    m_tree->setColumnWidth(StatusColumn, std::min(statusWidth + 24, 220));
    fitNameColumn();
    m_tree->setSortingEnabled(true);
    m_filling = false;
    for (const QString& dir : selected)
        selectRun(dir, false);
}

int RunsPanel::runCount() const
{
    int n = 0;
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        n += !(*it)->data(0, DirRole).toString().isEmpty();
    return n;
}

QStringList RunsPanel::selectedRunDirs() const
{
    QStringList dirs;
    for (QTreeWidgetItem* item : m_tree->selectedItems())
        if (item->data(0, FinishedRole).toBool())
            dirs << item->data(0, DirRole).toString();
    return dirs;
}

void RunsPanel::selectRun(const QString& dir, bool exclusive)
{
    if (exclusive) {
        const QStringList selected = selectedRunDirs();
        if (selected.size() == 1 && selected.first() == dir)
            return;
    }
    // The run is already shown: selecting its row must not ask to show it again.
    const QSignalBlocker blocker(m_tree);
    if (exclusive)
        m_tree->clearSelection();
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        if ((*it)->data(0, DirRole).toString() == dir) {
            m_tree->setCurrentItem(*it, 0, exclusive ? QItemSelectionModel::ClearAndSelect : QItemSelectionModel::Select);
            m_tree->scrollToItem(*it);
        }
    m_compare->setEnabled(selectedRunDirs().size() >= 2);
}

void RunsPanel::contextMenu(const QPoint& pos)
{
    QTreeWidgetItem* item = m_tree->itemAt(pos);
    QStringList dirs;
    for (QTreeWidgetItem* selected : m_tree->selectedItems())
        if (!selected->data(0, DirRole).toString().isEmpty())
            dirs << selected->data(0, DirRole).toString();
    if (!item || dirs.isEmpty())
        return;
    QMenu menu(this);
    const bool finished = item->data(0, FinishedRole).toBool();
    QAction* open = menu.addAction(tr("Open"));
    open->setEnabled(finished);
    QAction* compare = menu.addAction(tr("Compare selected"));
    compare->setEnabled(selectedRunDirs().size() >= 2);
    QAction* rename = menu.addAction(tr("Rename"));
    rename->setShortcut(m_renameAction->shortcut()); // shown beside the item; the key is the panel's
    rename->setEnabled(finished);
    QAction* tag = menu.addAction(tr("Tags…"));
    tag->setEnabled(finished);
    QAction* loadSpec = menu.addAction(tr("Load spec into designer"));
    loadSpec->setEnabled(finished);
    menu.addSeparator();
    QAction* remove = menu.addAction(dirs.size() > 1 ? tr("Delete %1 runs…").arg(dirs.size()) : tr("Delete…"));
    remove->setShortcut(m_deleteAction->shortcut());
    QAction* chosen = menu.exec(m_tree->viewport()->mapToGlobal(pos));
    if (chosen == open)
        Q_EMIT openRequested(item->data(0, DirRole).toString());
    else if (chosen == compare)
        Q_EMIT compareRequested(selectedRunDirs());
    else if (chosen == rename)
        m_tree->editItem(item, NameColumn);
    else if (chosen == tag)
        Q_EMIT tagsRequested(item->data(0, DirRole).toString());
    else if (chosen == loadSpec)
        Q_EMIT loadSpecRequested(item->data(0, DirRole).toString());
    else if (chosen == remove)
        Q_EMIT deleteRequested(dirs);
}

bool RunsPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_tree->viewport() && event->type() == QEvent::Resize)
        fitNameColumn();
    return QWidget::eventFilter(watched, event);
}

void RunsPanel::fitNameColumn()
{
    if (m_userSizedName)
        return;
    const int width = std::clamp(m_tree->viewport()->width() - m_tree->columnWidth(StatusColumn), 90, 170);
    if (width == m_tree->columnWidth(NameColumn))
        return;
    m_fitting = true;
    m_tree->setColumnWidth(NameColumn, width);
    m_fitting = false;
}

} // namespace headbench
