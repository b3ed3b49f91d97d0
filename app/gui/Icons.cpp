#include "Icons.h"

#include <mutex>

// Q_INIT_RESOURCE must be used outside any namespace. The resources live in a static library:
// without this explicit reference the linker would drop their registration.
static void initHeadBenchResources()
{
    Q_INIT_RESOURCE(headbench);
}

namespace headbench {

namespace {
void ensureResources()
{
    static std::once_flag once;
    std::call_once(once, initHeadBenchResources);
}
} // namespace

QIcon actionIcon(const QString& name)
{
    ensureResources();
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(name));
}

QIcon applicationIcon()
{
    return actionIcon(QString::fromLatin1(kApplicationId));
}

} // namespace headbench
