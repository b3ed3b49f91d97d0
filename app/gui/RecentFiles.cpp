#include "RecentFiles.h"

#include <QMenu>
#include <QSettings>

namespace headbench {
namespace {

const QString kWorkspaces = QStringLiteral("recent/workspaces");
const QString kFeatures = QStringLiteral("recent/features");
constexpr int kKept = 8;

} // namespace

RecentFiles::RecentFiles(QMenu* menu, QObject* parent)
    : QObject(parent)
    , m_menu(menu)
{
    rebuild();
}

void RecentFiles::rememberWorkspace(const QString& dir)
{
    remember(kWorkspaces, dir);
}

void RecentFiles::rememberFeatures(const QString& path)
{
    remember(kFeatures, path);
}

void RecentFiles::remember(const QString& key, const QString& path)
{
    QSettings settings;
    QStringList list = settings.value(key).toStringList();
    list.removeAll(path);
    list.prepend(path);
    settings.setValue(key, list.mid(0, kKept));
    rebuild();
}

void RecentFiles::rebuild()
{
    m_menu->clear();
    QSettings settings;
    for (const QString& dir : settings.value(kWorkspaces).toStringList())
        m_menu->addAction(tr("Workspace %1").arg(dir), this, [this, dir] { Q_EMIT workspaceChosen(dir); });
    for (const QString& file : settings.value(kFeatures).toStringList())
        m_menu->addAction(tr("Features %1").arg(file), this, [this, file] { Q_EMIT featuresChosen(file); });
    m_menu->setEnabled(!m_menu->isEmpty());
}

} // namespace headbench
