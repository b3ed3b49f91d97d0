#include "ProbabilityBarsView.h"

#include <QPainter>

namespace headbench {

ProbabilityBarsView::ProbabilityBarsView(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void ProbabilityBarsView::setProbabilities(const std::vector<float>& probs, const QStringList& names, int trueClass)
{
    m_probs = probs;
    m_names = names;
    m_true = trueClass;
    updateGeometry();
    update();
}

QSize ProbabilityBarsView::sizeHint() const
{
    return {300, std::max<int>(1, static_cast<int>(m_probs.size())) * 22 + 4};
}

void ProbabilityBarsView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const int labelW = 110, valueW = 52, rowH = 22;
    for (std::size_t k = 0; k < m_probs.size(); ++k) {
        const int y = static_cast<int>(k) * rowH + 2;
        const QString name = static_cast<int>(k) < m_names.size() ? m_names[static_cast<int>(k)] : QString::number(k);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(0, y, labelW - 6, rowH - 4), Qt::AlignVCenter | Qt::AlignRight,
                   p.fontMetrics().elidedText(name, Qt::ElideRight, labelW - 8));
        const QRect track(labelW, y + 2, width() - labelW - valueW, rowH - 8);
        p.fillRect(track, QColor(0xee, 0xee, 0xee));
        QRect bar = track;
        bar.setWidth(static_cast<int>(track.width() * std::clamp(m_probs[k], 0.0f, 1.0f)));
        p.fillRect(bar, static_cast<int>(k) == m_true ? QColor(0x15, 0x65, 0xc0) : QColor(0x90, 0xa4, 0xae));
        if (static_cast<int>(k) == m_true) {
            p.setPen(QPen(QColor(0x0d, 0x47, 0xa1), 1.5));
            p.drawRect(track);
        }
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(width() - valueW + 4, y, valueW - 4, rowH - 4), Qt::AlignVCenter | Qt::AlignLeft,
                   QString::number(m_probs[k], 'f', 3));
    }
}

} // namespace headbench
