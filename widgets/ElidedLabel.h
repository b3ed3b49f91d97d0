#pragma once
/// \file ElidedLabel.h
/// A one-line label for names of any length (run names, sweep points, feature paths): it never
/// widens its window; a text that does not fit ends in "…", and the whole text is its tooltip.
#include <QLabel>

namespace headbench {

class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);
    /// The whole text; what is shown is it cut to the label's width.
    void setFullText(const QString& text);
    QString fullText() const { return m_full; }
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void elide();
    QString m_full;
};

} // namespace headbench
