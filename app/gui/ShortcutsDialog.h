#pragma once
/// \file ShortcutsDialog.h
#include <QDialog>
#include <QList>
#include <QString>

QT_BEGIN_NAMESPACE
class QMainWindow;
class QTableWidget;
QT_END_NAMESPACE

namespace headbench {

/// Help ▸ Keyboard shortcuts: every action of a window that has a shortcut, by menu. Read from
/// the window's QActions when it opens, so it lists what the keys do now, never a copy.
class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    /// One line of the list.
    struct Entry {
        QString menu;      ///< "File", "Run", "File ▸ Recent"; "Other" for actions in no menu
        QString action;    ///< the action's text without its mnemonic '&'
        QString shortcuts; ///< every shortcut of the action, in the platform's notation
    };

    explicit ShortcutsDialog(QMainWindow* window);

    /// The actions of `window` with a shortcut: menu bar order first, then those in no menu.
    static QList<Entry> collect(QMainWindow* window);
    QTableWidget* table() const { return m_table; }

private:
    QTableWidget* m_table;
};

} // namespace headbench
