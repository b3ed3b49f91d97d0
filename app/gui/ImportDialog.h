#pragma once
/// \file ImportDialog.h
#include <headbench/data/Dataset.h>
#include "WorkspaceController.h"

#include <QDialog>

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
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
    /// The files, fields and options as one request for WorkspaceController::extractDataset.
    /// Throws headbench::Error for class names that cannot be parsed.
    DatasetRequest datasetRequest() const;
    /// The backbone and its settings chosen in the dialog.
    ExtractionRequest request() const;
    QString outputPath() const;
    /// False when the file could not be previewed (the reason is shown in the dialog).
    bool previewOk() const { return m_previewOk; }
    /// Shows why the import failed below the preview; the mapping stays as it was.
    void showError(const QString& message);
    /// The line below the preview: why Extract is disabled, or why the import failed.
    QString message() const;

private:
    void loadPreview();
    void updatePreview();
    void updateBackboneRows();
    void updateOkButton();
    void updateSplitRows();
    /// Reads the chosen model folder's config and weight headers and shows what it holds.
    void inspectFolder();
    /// "hashed-ngram", "torchscript" or "hf-folder".
    QString backboneKind() const;
    /// An edit with a Browse button: a file with `filter`, or a folder when `filter` is empty.
    QWidget* fileRow(QLineEdit* edit, const QString& filter);

    QString m_path;
    QComboBox* m_text;
    QComboBox* m_label;
    QComboBox* m_id;
    QComboBox* m_split;
    QComboBox* m_group;
    QComboBox* m_holds;
    QLineEdit* m_validFile;
    QLineEdit* m_testFile;
    QWidget* m_validRow = nullptr;
    QWidget* m_testRow = nullptr;
    QCheckBox* m_skipInvalid;
    QCheckBox* m_dedup;
    QLineEdit* m_classNames;
    QComboBox* m_backbone;
    QSpinBox* m_dim;
    QLineEdit* m_model;
    QLineEdit* m_folder;
    QLabel* m_folderSummary;
    QLineEdit* m_tokenizer;
    QComboBox* m_pooling;
    QComboBox* m_layers;
    QSpinBox* m_maxLength;
    QComboBox* m_longMode;
    QCheckBox* m_normalize;
    QSpinBox* m_batch;
    QFormLayout* m_rowsForm = nullptr; ///< the dataset's fields and splits (left)
    QFormLayout* m_form = nullptr;     ///< the backbone and the feature file (right)
    QWidget* m_modelRow = nullptr;
    QWidget* m_folderRow = nullptr;
    QString m_folderError;     ///< why the chosen folder cannot be used; empty when it can
    QString m_folderTokenizer; ///< the folder's own tokenizer; empty when it has none
    QWidget* m_tokenizerRow = nullptr;
    QPushButton* m_ok = nullptr;
    QLineEdit* m_out;
    QTableWidget* m_preview;
    QLabel* m_message;
    QStringList m_columns;
    QList<QMap<QString, QString>> m_rows;
    bool m_previewOk = false;
};

} // namespace headbench
