#pragma once
/// \file ProbabilityBarsView.h
#include <QStringList>
#include <QWidget>

#include <vector>

namespace headbench {

/// Horizontal bars with one sample's probability per class; the true class is outlined.
class ProbabilityBarsView : public QWidget {
    Q_OBJECT
public:
    explicit ProbabilityBarsView(QWidget* parent = nullptr);
    void setProbabilities(const std::vector<float>& probs, const QStringList& names, int trueClass);
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<float> m_probs;
    QStringList m_names;
    int m_true = -1;
};

} // namespace headbench
