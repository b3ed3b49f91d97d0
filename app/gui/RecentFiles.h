#pragma once
/// \file RecentFiles.h
/// File ▸ Recent: the last eight workspaces and feature files, kept in QSettings.
#include <QObject>

class QMenu;

namespace headbench {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    /// Fills `menu` (owned by the caller) from the settings and keeps it up to date.
    explicit RecentFiles(QMenu* menu, QObject* parent = nullptr);

    void rememberWorkspace(const QString& dir);
    void rememberFeatures(const QString& path);

Q_SIGNALS:
    void workspaceChosen(const QString& dir);
    void featuresChosen(const QString& path);

private:
    void remember(const QString& key, const QString& path);
    void rebuild();

    QMenu* m_menu;
};

} // namespace headbench
