#include "ShortcutsDialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>

namespace headbench {
namespace {

QString withoutMnemonic(QString text)
{
    text.replace(QLatin1String("&&"), QString(QChar(0x1)));
    text.remove(QLatin1Char('&'));
    text.replace(QChar(0x1), QLatin1Char('&'));
    return text;
}

QString shortcutText(const QAction* action)
{
    QStringList keys;
    for (const QKeySequence& k : action->shortcuts())
        keys << k.toString(QKeySequence::NativeText);
    return keys.join(QStringLiteral(", "));
}

void collectMenu(const QMenu* menu, const QString& path, QSet<const QAction*>& seen, QList<ShortcutsDialog::Entry>& out)
{
    const auto actions = menu->actions();
    for (const QAction* a : actions) {
        if (a->isSeparator() || seen.contains(a))
            continue;
        seen.insert(a);
        if (a->menu())
            collectMenu(a->menu(), path + QStringLiteral(" ▸ ") + withoutMnemonic(a->menu()->title()), seen, out);
        else if (!a->shortcuts().isEmpty())
            out.append({path, withoutMnemonic(a->text()), shortcutText(a)});
    }
}

} // namespace

QList<ShortcutsDialog::Entry> ShortcutsDialog::collect(QMainWindow* window)
{
    QList<Entry> out;
    QSet<const QAction*> seen;
    const auto top = window->menuBar()->actions();
    for (const QAction* a : top)
        if (a->menu()) {
            seen.insert(a);
            collectMenu(a->menu(), withoutMnemonic(a->menu()->title()), seen, out);
        }
    // Shortcuts of actions that sit in no menu (a panel's own actions).
    const auto all = window->findChildren<QAction*>();
    for (const QAction* a : all)
        if (!seen.contains(a) && !a->isSeparator() && !a->menu() && !a->shortcuts().isEmpty()) {
            seen.insert(a);
            out.append({a->property("shortcutPlace").isValid() ? a->property("shortcutPlace").toString() : tr("Other"),
                        withoutMnemonic(a->text()), shortcutText(a)});
        }
    return out;
}

ShortcutsDialog::ShortcutsDialog(QMainWindow* window)
    : QDialog(window)
    , m_table(new QTableWidget)
{
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard shortcuts"));
    const QList<Entry> entries = collect(window);
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Menu"), tr("Action"), tr("Shortcut")});
    m_table->setRowCount(static_cast<int>(entries.size()));
    for (int r = 0; r < entries.size(); ++r) {
        const Entry& e = entries[r];
        int c = 0;
        for (const QString& text : {e.menu, e.action, e.shortcuts})
            m_table->setItem(r, c++, new QTableWidgetItem(text));
    }
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->resizeColumnsToContents();
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    resize(520, 460);
}

} // namespace headbench
