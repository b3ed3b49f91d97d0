#pragma once
// The icons of resources/headbench.qrc, compiled into the window's library.
#include <QIcon>
#include <QString>

namespace headbench {

/// The application id: names the .desktop file, the AppStream metainfo and the icon.
inline constexpr const char* kApplicationId = "org.headbench.HeadBench";

/// A toolbar and menu icon: actionIcon(u"train") is resources/icons/actions/train.svg.
QIcon actionIcon(const QString& name);

/// The application icon, resources/icons/org.headbench.HeadBench.svg.
QIcon applicationIcon();

} // namespace headbench
