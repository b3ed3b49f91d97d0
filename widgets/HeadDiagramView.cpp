#include "HeadDiagramView.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

namespace headbench {

HeadDiagramView::HeadDiagramView(QWidget* parent)
    : QWidget(parent)
{
}

void HeadDiagramView::setLayers(const std::vector<LayerInfo>& layers, std::int64_t inputDim)
{
    m_layers = layers;
    m_inputDim = inputDim;
    update();
}

void HeadDiagramView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    const int n = static_cast<int>(m_layers.size()) + 1; // + the input
    const int gap = 6;
    const int boxH = std::clamp((height() - 8 - gap * (n - 1)) / std::max(n, 1), 14, 30);
    const int boxW = std::min(width() - 16, 260);
    const int x = (width() - boxW) / 2;
    int y = 4;
    auto box = [&](const QString& text, const QString& shape, const QColor& color) {
        const QRect r(x, y, boxW, boxH);
        QPainterPath path;
        path.addRoundedRect(r, 5, 5);
        p.fillPath(path, color);
        p.setPen(color.darker(140));
        p.drawPath(path);
        p.setPen(Qt::black);
        p.drawText(r.adjusted(8, 0, -8, 0), Qt::AlignVCenter | Qt::AlignLeft, text);
        p.setPen(QColor(0x42, 0x42, 0x42));
        p.drawText(r.adjusted(8, 0, -8, 0), Qt::AlignVCenter | Qt::AlignRight, shape);
        y += boxH + gap;
    };
    box(tr("features"), QStringLiteral("[N, %1]").arg(m_inputDim), QColor(0xec, 0xef, 0xf1));
    for (const auto& l : m_layers) {
        const QString kind = QString::fromStdString(l.kind);
        QColor color(0xe3, 0xf2, 0xfd);
        QString shape = QStringLiteral("[N, %1]").arg(l.out);
        if (kind == QLatin1String("Linear")) {
            color = QColor(0xbb, 0xde, 0xfb);
            shape = QStringLiteral("%1 → %2").arg(l.in).arg(l.out);
        } else if (kind.contains(QLatin1String("Norm"))) {
            color = QColor(0xd1, 0xc4, 0xe9);
        } else if (kind.startsWith(QLatin1String("Dropout"))) {
            color = QColor(0xf5, 0xf5, 0xf5);
        } else if (kind == QLatin1String("Softmax") || kind == QLatin1String("Sigmoid")) {
            color = QColor(0xc8, 0xe6, 0xc9);
            shape = tr("%1 classes").arg(l.out);
        } else {
            color = QColor(0xff, 0xe0, 0xb2);
        }
        box(kind, shape, color);
    }
}

} // namespace headbench
