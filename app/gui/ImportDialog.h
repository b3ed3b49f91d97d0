#pragma once
/// \file ImportDialog.h
#include "Dataset.h"

#include <QDialog>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;
QT_END_NAMESPACE

namespace headbench {

/// Maps a JSONL/CSV dataset's fields to text, label and id, with a preview of the first rows,
/// and chooses the backbone and the feature file to write.
class ImportDialog : public QDialog {
    Q_OBJECT
public:
    ImportDialog(const QString& datasetPath, const QString& workspace, QWidget* parent = nullptr);

    FieldMap fields() const;
    QString backbone() const;
    int dimension() const;
    QString outputPath() const;
    /// False when the file could not be previewed (the reason is shown in the dialog).
    bool previewOk() const { return m_ok; }

private:
    void loadPreview();
    void updatePreview();

    QString m_path;
    QComboBox* m_text;
    QComboBox* m_label;
    QComboBox* m_id;
    QComboBox* m_backbone;
    QSpinBox* m_dim;
    QLineEdit* m_out;
    QTableWidget* m_preview;
    QLabel* m_message;
    QStringList m_columns;
    QList<QMap<QString, QString>> m_rows;
    bool m_ok = false;
};

} // namespace headbench
