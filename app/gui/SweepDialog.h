#pragma once
/// \file SweepDialog.h
#include <headbench/train/HeadSpec.h>
#include <headbench/runs/Sweep.h>

#include <QDialog>

QT_BEGIN_NAMESPACE
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;
QT_END_NAMESPACE

namespace headbench {

/// Defines a sweep from the designer's head: for any field, a list of values (grid: every
/// combination) or, for random draws, values to choose from or a range "lo..hi".
class SweepDialog : public QDialog {
    Q_OBJECT
public:
    SweepDialog(const HeadSpec& base, QWidget* parent = nullptr);

    /// The sweep definition (the JSON `headbench-cli sweep --grid` reads).
    QString definition() const;
    /// The expanded points; empty with `error` set when the definition is invalid.
    std::vector<SweepPoint> points(QString* error = nullptr) const;

    QLineEdit* valuesEdit(const QString& field) const;
    QRadioButton* gridButton() const { return m_grid; }
    QRadioButton* randomButton() const { return m_random; }
    QSpinBox* drawsBox() const { return m_draws; }

private:
    void updatePreview();

    HeadSpec m_base;
    std::vector<std::pair<QString, QLineEdit*>> m_fields;
    QRadioButton* m_grid;
    QRadioButton* m_random;
    QSpinBox* m_draws;
    QSpinBox* m_seed;
    QLabel* m_preview;
};

} // namespace headbench
