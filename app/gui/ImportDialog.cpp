#include "ImportDialog.h"

#include <headbench/data/Dataset.h>
#include <headbench/core/Error.h>
#include <headbench/extract/HfFolder.h>

#include <QCheckBox>
#include <QComboBox>
#include <QSet>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QToolButton>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScreen>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <fstream>

namespace headbench {
namespace {

/// A word-wrapped label whose height is that of its lines at its width: a QLabel's own size hint
/// guesses a narrow width, and the form then gave the summary the height of five lines.
class WrappedLabel : public QLabel {
public:
    QSize sizeHint() const override
    {
        QSize hint = QLabel::sizeHint();
        if (width() > 0)
            hint.setHeight(heightForWidth(width()));
        return hint;
    }

protected:
    void resizeEvent(QResizeEvent* event) override
    {
        QLabel::resizeEvent(event);
        if (heightForWidth(width()) != height())
            updateGeometry();
    }
};

} // namespace

ImportDialog::ImportDialog(const QString& datasetPath, const QString& workspace, QWidget* parent)
    : QDialog(parent)
    , m_path(datasetPath)
    , m_text(new QComboBox)
    , m_label(new QComboBox)
    , m_id(new QComboBox)
    , m_split(new QComboBox)
    , m_group(new QComboBox)
    , m_holds(new QComboBox)
    , m_validFile(new QLineEdit)
    , m_testFile(new QLineEdit)
    , m_skipInvalid(new QCheckBox(tr("Skip invalid rows (empty code, missing label) and report them")))
    , m_dedup(new QCheckBox(tr("Drop exact duplicates and rows whose code has two labels")))
    , m_classNames(new QLineEdit)
    , m_backbone(new QComboBox)
    , m_dim(new QSpinBox)
    , m_model(new QLineEdit)
    , m_folder(new QLineEdit)
    , m_folderSummary(new WrappedLabel)
    , m_tokenizer(new QLineEdit)
    , m_pooling(new QComboBox)
    , m_layers(new QComboBox)
    , m_maxLength(new QSpinBox)
    , m_longMode(new QComboBox)
    , m_normalize(new QCheckBox(tr("L2-normalise each vector")))
    , m_batch(new QSpinBox)
    , m_out(new QLineEdit)
    , m_preview(new QTableWidget)
    , m_message(new QLabel)
{
    setWindowTitle(tr("Import %1").arg(QFileInfo(datasetPath).fileName()));
    m_backbone->addItem(tr("hashed-ngram (built in, no download)"), QStringLiteral("hashed-ngram"));
    m_backbone->addItem(tr("TorchScript model file…"), QStringLiteral("torchscript"));
    m_backbone->addItem(tr("Hugging Face model folder…"), QStringLiteral("hf-folder"));
    m_backbone->setToolTip(tr("Built-in: C-aware token n-grams, hashed; needs no download.\n"
                              "TorchScript: a pretrained model exported with tools/export_backbone.py.\n"
                              "Hugging Face folder: a bert, roberta, xlm-roberta, llama, mistral or qwen2 model as the Hub ships it "
                              "(config.json, model.safetensors or its shards, tokenizer.json or tokenizer.model)"));
    m_dim->setRange(8, 1 << 20);
    m_dim->setValue(1024);
    m_model->setPlaceholderText(tr("model.pt (torch.jit.save)"));
    m_folder->setPlaceholderText(tr("a folder with config.json and model.safetensors"));
    m_folderSummary->setWordWrap(true);
    m_folderSummary->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_folderSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tokenizer->setPlaceholderText(tr("tokenizer.json or tokenizer.model"));
    m_pooling->addItem(tr("mean over tokens"), QStringLiteral("mean"));
    m_pooling->addItem(tr("first token (CLS)"), QStringLiteral("cls"));
    m_pooling->addItem(tr("last token (decoder models)"), QStringLiteral("last"));
    m_pooling->addItem(tr("max over tokens"), QStringLiteral("max"));
    // Which hidden states: the last, or every one (one feature set each, for Rank and the
    // designer's Feature set chooser), or a list typed as the CLI's --layers takes it.
    m_layers->setEditable(true);
    m_layers->addItem(tr("last layer"), QStringLiteral("last"));
    m_layers->addItem(tr("every layer (one feature set each)"), QStringLiteral("all"));
    m_layers->setObjectName(QStringLiteral("layers"));
    m_layers->setToolTip(tr("Hidden states to pool: the last, every one (a model folder gives them all; a TorchScript "
                            "file must be exported with them), or a list such as -1,-4,8 (0 = the embeddings)"));
    m_maxLength->setRange(2, 1 << 20);
    m_maxLength->setValue(512);
    m_maxLength->setSuffix(tr(" tokens"));
    m_longMode->setObjectName(QStringLiteral("longMode"));
    m_longMode->addItem(tr("keep the start (head)"), QStringLiteral("head"));
    m_longMode->addItem(tr("keep the end (tail)"), QStringLiteral("tail"));
    m_longMode->addItem(tr("read all: overlapping windows, mean of their vectors"), QStringLiteral("windows"));
    m_longMode->setToolTip(tr("What the model reads of a function longer than the max length"));
    // Their longest entries need not set the column's width: the list opens wider.
    for (QComboBox* box : {m_backbone, m_longMode}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(22);
    }
    m_batch->setRange(1, 4096);
    m_batch->setValue(16);
    m_out->setText(QDir(workspace).filePath(QStringLiteral("features/") + QFileInfo(datasetPath).completeBaseName() + QStringLiteral(".h5")));
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->verticalHeader()->setVisible(false);
    m_preview->horizontalHeader()->setStretchLastSection(true);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c62828;"));

    m_backbone->setObjectName(QStringLiteral("backbone"));
    m_text->setObjectName(QStringLiteral("textField"));
    m_label->setObjectName(QStringLiteral("labelField"));
    m_id->setObjectName(QStringLiteral("idField"));
    m_preview->setObjectName(QStringLiteral("preview"));
    m_model->setObjectName(QStringLiteral("modelPath"));
    m_folder->setObjectName(QStringLiteral("modelFolder"));
    m_folderSummary->setObjectName(QStringLiteral("folderSummary"));
    m_tokenizer->setObjectName(QStringLiteral("tokenizerPath"));
    m_split->setObjectName(QStringLiteral("splitField"));
    m_group->setObjectName(QStringLiteral("groupField"));
    m_holds->setObjectName(QStringLiteral("fileHolds"));
    m_skipInvalid->setObjectName(QStringLiteral("skipInvalid"));
    m_dedup->setObjectName(QStringLiteral("dedup"));
    m_classNames->setObjectName(QStringLiteral("classNames"));
    m_split->setToolTip(tr("A field naming each row's split: train, valid/dev, test (or 0, 1, 2). Training then uses "
                           "exactly that split."));
    m_group->setToolTip(tr("A field naming each row's group: fix pair, project, commit, family. A split made by "
                           "HeadBench keeps every group on one side, so near-identical rows cannot leak across."));
    m_holds->addItem(tr("all rows"), QStringLiteral("all"));
    m_holds->addItem(tr("the training split (CodeXGLUE: train/valid/test files)"), QStringLiteral("train"));
    m_validFile->setPlaceholderText(tr("valid.jsonl"));
    m_testFile->setPlaceholderText(tr("test.jsonl (optional)"));
    m_classNames->setToolTip(tr("Names for the classes in their order, comma-separated (stored as label_names)"));
    // CodeXGLUE ships train.jsonl beside valid.jsonl and test.jsonl: offer them when present.
    const QFileInfo info(datasetPath);
    if (info.completeBaseName().compare(QLatin1String("train"), Qt::CaseInsensitive) == 0) {
        const QDir folder = info.absoluteDir();
        for (const auto& [edit, names] : {std::pair{m_validFile, QStringList{QStringLiteral("valid"), QStringLiteral("validation"), QStringLiteral("dev")}},
                                          std::pair{m_testFile, QStringList{QStringLiteral("test")}}})
            for (const QString& n : names)
                if (const QString f = folder.filePath(n + QLatin1Char('.') + info.suffix()); QFileInfo::exists(f) && edit->text().isEmpty())
                    edit->setText(f);
        if (!m_validFile->text().isEmpty())
            m_holds->setCurrentIndex(1);
    }

    // Two columns, the rows on the left and the features on the right: one column was taller
    // than a 1024x680 screen with a model's rows shown.
    auto* form = new QFormLayout;
    m_rowsForm = form;
    form->addRow(tr("&Text field"), m_text);
    form->addRow(tr("&Label field"), m_label);
    form->addRow(tr("&Id field"), m_id);
    form->addRow(tr("Spl&it field"), m_split);
    form->addRow(tr("&Group field"), m_group);
    form->addRow(tr("This file &holds"), m_holds);
    m_validRow = fileRow(m_validFile, tr("Datasets (*.jsonl *.json *.ndjson *.csv);;All files (*)"));
    m_testRow = fileRow(m_testFile, tr("Datasets (*.jsonl *.json *.ndjson *.csv);;All files (*)"));
    form->addRow(tr("&Validation file"), m_validRow);
    form->addRow(tr("T&est file"), m_testRow);
    form->addRow(tr("Class &names"), m_classNames);
    form->addRow(QString(), m_skipInvalid);
    form->addRow(QString(), m_dedup);
    auto* rowsBox = new QGroupBox(tr("Rows"));
    rowsBox->setLayout(form);
    form = new QFormLayout;
    m_form = form;
    form->addRow(tr("&Backbone"), m_backbone);
    form->addRow(tr("&Dimension"), m_dim);
    m_modelRow = fileRow(m_model, tr("TorchScript models (*.pt *.pth *.ts *.jit);;All files (*)"));
    m_tokenizerRow = fileRow(m_tokenizer, tr("Tokenizers (tokenizer.json *.json *.model);;All files (*)"));
    form->addRow(tr("&Model file"), m_modelRow);
    m_folderRow = fileRow(m_folder, QString());
    form->addRow(tr("Model &folder"), m_folderRow);
    form->addRow(QString(), m_folderSummary);
    form->addRow(tr("T&okenizer"), m_tokenizerRow);
    form->addRow(tr("&Pooling"), m_pooling);
    form->addRow(tr("La&yers"), m_layers);
    form->addRow(tr("Max &length"), m_maxLength);
    form->addRow(tr("Longer &texts"), m_longMode);
    form->addRow(QString(), m_normalize);
    form->addRow(tr("Batch si&ze"), m_batch);
    form->addRow(tr("&Output file"), m_out);
    auto* featuresBox = new QGroupBox(tr("Features"));
    featuresBox->setLayout(form);
    auto* columns = new QHBoxLayout;
    columns->addWidget(rowsBox, 2);
    columns->addWidget(featuresBox, 3);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("Extract"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(columns);
    layout->addWidget(new QLabel(tr("Preview of the first rows:")));
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (auto* box : {m_text, m_label, m_id})
        connect(box, &QComboBox::currentIndexChanged, this, &ImportDialog::updatePreview);
    connect(m_holds, &QComboBox::currentIndexChanged, this, &ImportDialog::updateSplitRows);
    connect(m_split, &QComboBox::currentIndexChanged, this, &ImportDialog::updateSplitRows);
    connect(m_validFile, &QLineEdit::textChanged, this, &ImportDialog::updateOkButton);
    connect(m_backbone, &QComboBox::currentIndexChanged, this, &ImportDialog::updateBackboneRows);
    for (auto* edit : {m_model, m_tokenizer, m_out})
        connect(edit, &QLineEdit::textChanged, this, &ImportDialog::updateOkButton);
    connect(m_folder, &QLineEdit::textChanged, this, &ImportDialog::inspectFolder);
    // Wide enough for both columns and the preview's text, within a small screen.
    const QRect screenArea = screen()->availableGeometry();
    resize(std::min(1000, screenArea.width() - 24), std::min(660, screenArea.height() - 40));
    inspectFolder();
    loadPreview();
    updateBackboneRows();
    updateSplitRows();
}

void ImportDialog::updateSplitRows()
{
    const bool byFiles = m_holds->currentData().toString() == QLatin1String("train");
    m_rowsForm->setRowVisible(m_validRow, byFiles);
    m_rowsForm->setRowVisible(m_testRow, byFiles);
    // A split per file and a split field say the same thing twice: one or the other.
    m_split->setEnabled(!byFiles);
    if (byFiles)
        m_split->setCurrentIndex(0);
    updateOkButton();
}

QWidget* ImportDialog::fileRow(QLineEdit* edit, const QString& filter)
{
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QToolButton;
    browse->setText(tr("Browse…"));
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, edit, filter] {
        const QString dir = QFileInfo(m_path).absolutePath();
        const QString file = filter.isEmpty()
            ? QFileDialog::getExistingDirectory(this, tr("Choose a model folder"),
                                                QFileInfo(edit->text()).isDir() ? edit->text() : dir)
            : QFileDialog::getOpenFileName(this, tr("Choose a file"), dir, filter);
        if (!file.isEmpty())
            edit->setText(file);
    });
    return row;
}

QString ImportDialog::backboneKind() const
{
    return m_backbone->currentData().toString();
}

void ImportDialog::updateBackboneRows()
{
    const QString kind = backboneKind();
    const bool folder = kind == QLatin1String("hf-folder");
    const bool model = kind != QLatin1String("hashed-ngram");
    m_form->setRowVisible(m_dim, !model);
    m_form->setRowVisible(m_modelRow, kind == QLatin1String("torchscript"));
    m_form->setRowVisible(m_folderRow, folder);
    m_form->setRowVisible(m_folderSummary, folder);
    for (QWidget* w : {m_tokenizerRow, static_cast<QWidget*>(m_pooling), static_cast<QWidget*>(m_layers),
                       static_cast<QWidget*>(m_maxLength),
                       static_cast<QWidget*>(m_longMode), static_cast<QWidget*>(m_normalize), static_cast<QWidget*>(m_batch)})
        m_form->setRowVisible(w, model);
    // A folder's tokenizer is optional: the folder's own unless another is chosen.
    if (!folder)
        m_tokenizer->setPlaceholderText(tr("tokenizer.json or tokenizer.model"));
    else if (m_folderTokenizer.isEmpty() && m_folderError.isEmpty() && !m_folder->text().trimmed().isEmpty())
        m_tokenizer->setPlaceholderText(tr("none in the folder: choose one"));
    else if (m_folderTokenizer.isEmpty())
        m_tokenizer->setPlaceholderText(tr("the folder's tokenizer.json/.model"));
    else
        m_tokenizer->setPlaceholderText(tr("the folder's %1").arg(QFileInfo(m_folderTokenizer).fileName()));
    updateOkButton();
}

namespace {

/// 124.6 M, 1.2 B, 30.1 k: a parameter count in a few digits.
QString shortCount(std::int64_t n)
{
    const double v = static_cast<double>(n);
    if (v >= 1e9)
        return QStringLiteral("%1 B").arg(v / 1e9, 0, 'f', 1);
    if (v >= 1e6)
        return QStringLiteral("%1 M").arg(v / 1e6, 0, 'f', 1);
    if (v >= 1e3)
        return QStringLiteral("%1 k").arg(v / 1e3, 0, 'f', 1);
    return QString::number(n);
}

} // namespace

void ImportDialog::inspectFolder()
{
    const QString text = m_folder->text().trimmed();
    const QString folder = QDir::cleanPath(text);
    m_folderError.clear();
    m_folderTokenizer.clear();
    QString summary;
    if (text.isEmpty()) {
        summary = tr("config.json, model.safetensors (or its shards) and tokenizer.json, as the Hugging Face Hub ships a "
                     "bert, roberta, xlm-roberta, llama, mistral or qwen2 model");
    } else if (!QFileInfo(folder).isDir()) {
        m_folderError = tr("%1 is not a folder").arg(folder);
    } else {
        try {
            // Reads config.json and the weights' headers only: fast enough on every edit.
            const HfModelInfo info = inspectModelFolder(folder.toStdString());
            const HfConfig& c = info.config;
            m_folderTokenizer = QString::fromStdString(info.tokenizer);
            QString model = QString::fromStdString(c.modelType);
            if (!c.architectures.empty()) {
                QStringList names;
                for (const auto& a : c.architectures)
                    names << QString::fromStdString(a);
                model += QStringLiteral(" (%1)").arg(names.join(QStringLiteral(", ")));
            }
            QStringList parts{model,
                              c.layers == 1 ? tr("1 layer") : tr("%1 layers").arg(c.layers),
                              tr("hidden %1").arg(c.hiddenSize),
                              tr("%1 parameters").arg(shortCount(info.parameters)),
                              QString::fromStdString(info.dtype),
                              m_folderTokenizer.isEmpty() ? tr("no tokenizer") : QFileInfo(m_folderTokenizer).fileName()};
            summary = parts.join(QStringLiteral(" · "));
        } catch (const std::exception& e) {
            m_folderError = QString::fromStdString(e.what());
        }
    }
    if (!m_folderError.isEmpty()) {
        // The folder is on the line above: the error without it, the full one in the message line.
        QString shown = m_folderError;
        for (const QString& prefix : {folder + QStringLiteral(": "), folder + QLatin1Char('/')})
            if (shown.startsWith(prefix) && shown.size() > prefix.size()) {
                shown = shown.mid(prefix.size());
                break;
            }
        summary = tr("Cannot use this folder: %1").arg(shown);
    }
    m_folderSummary->setText(summary);
    m_folderSummary->setToolTip(m_folderError);
    m_folderSummary->setStyleSheet(!m_folderError.isEmpty() ? QStringLiteral("color: #c62828;")
                                   : text.isEmpty()          ? QStringLiteral("color: palette(mid);")
                                                             : QString());
    updateBackboneRows();
}

void ImportDialog::showError(const QString& message)
{
    m_message->setText(message);
}

QString ImportDialog::message() const
{
    return m_message->text();
}

void ImportDialog::updateOkButton()
{
    const QString kind = backboneKind();
    const bool torchscript = kind == QLatin1String("torchscript");
    const bool folder = kind == QLatin1String("hf-folder");
    const QString tokenizer = m_tokenizer->text().trimmed();
    QString why;
    if (torchscript && !QFileInfo(m_model->text()).isFile())
        why = tr("Choose the model file (a TorchScript .pt).");
    else if (torchscript && !QFileInfo(tokenizer).isFile())
        why = tr("Choose the model's tokenizer (tokenizer.json or tokenizer.model).");
    else if (folder && m_folder->text().trimmed().isEmpty())
        why = tr("Choose the model folder (config.json and model.safetensors, as on the Hugging Face Hub).");
    else if (folder && !m_folderError.isEmpty())
        why = m_folderError;
    else if (folder && !tokenizer.isEmpty() && !QFileInfo(tokenizer).isFile())
        why = tr("The tokenizer %1 is not a file; clear it to use the folder's own.").arg(tokenizer);
    else if (folder && tokenizer.isEmpty() && m_folderTokenizer.isEmpty())
        why = tr("The model folder has no tokenizer.json or tokenizer.model: choose the model's tokenizer.");
    else if (m_out->text().trimmed().isEmpty())
        why = tr("Choose where to write the feature file.");
    else if (m_holds->currentData().toString() == QLatin1String("train") && !QFileInfo(m_validFile->text()).isFile())
        why = tr("Choose the validation file (this file holds only the training split).");
    m_ok->setEnabled(m_previewOk && why.isEmpty());
    m_ok->setToolTip(why);
    if (m_previewOk)
        m_message->setText(why);
}

void ImportDialog::loadPreview()
{
    try {
        const DatasetPreview preview = previewDataset(m_path.toStdString());
        for (const auto& c : preview.columns)
            m_columns << QString::fromStdString(c);
        for (const auto& record : preview.rows) {
            QMap<QString, QString> row;
            for (std::size_t c = 0; c < record.size(); ++c)
                row[m_columns[static_cast<int>(c)]] = QString::fromStdString(record[c]);
            m_rows << row;
        }
        m_previewOk = true;
    } catch (const Error& e) {
        m_message->setText(QString::fromStdString(e.what()));
        return;
    }
    const FieldMap defaults;
    auto fill = [this](QComboBox* box, const std::string& preferred, bool optional) {
        if (optional)
            box->addItem(tr("(row number)"), QString());
        for (const auto& c : std::as_const(m_columns))
            box->addItem(c, c);
        const int i = box->findData(QString::fromStdString(preferred));
        if (i >= 0)
            box->setCurrentIndex(i);
    };
    fill(m_text, defaults.text, false);
    fill(m_label, defaults.label, false);
    fill(m_id, defaults.id, true);
    // Without a 'target' field, the label is guessed among the usual names, else among the
    // fields that are neither the text nor the id and repeat their values in the preview; never
    // the text field (the code as a label made a class per row).
    if (m_label->findData(QString::fromStdString(defaults.label)) < 0) {
        int guess = -1;
        for (const char* name : {"label", "labels", "class", "y", "vul", "vulnerable", "is_vulnerable", "bug", "defect"})
            if (const int i = m_label->findData(QString::fromLatin1(name)); i >= 0 && guess < 0)
                guess = i;
        for (int i = 0; i < m_label->count() && guess < 0; ++i) {
            const QString column = m_label->itemData(i).toString();
            if (column == m_text->currentData().toString() || column == m_id->currentData().toString())
                continue;
            QSet<QString> values;
            for (const auto& row : std::as_const(m_rows))
                values.insert(row.value(column));
            if (m_rows.size() < 2 || values.size() * 2 <= m_rows.size())
                guess = i;
        }
        if (guess >= 0)
            m_label->setCurrentIndex(guess);
        else if (m_label->currentData() == m_text->currentData() && m_label->count() > 1)
            m_label->setCurrentIndex(m_label->currentIndex() == 0 ? 1 : 0);
    }
    for (auto* box : {m_split, m_group}) {
        box->addItem(tr("(none)"), QString());
        for (const auto& c : std::as_const(m_columns))
            box->addItem(c, c);
    }
    if (const int i = m_split->findData(QStringLiteral("split")); i >= 0)
        m_split->setCurrentIndex(i);
    for (const char* name : {"group", "pair", "project", "commit_id"})
        if (const int i = m_group->findData(QString::fromLatin1(name)); i >= 0 && m_group->currentIndex() == 0)
            m_group->setCurrentIndex(i);
    QStringList labels;
    for (const auto& row : std::as_const(m_rows))
        if (const QString l = row.value(QString::fromStdString(defaults.label)); !l.isEmpty() && !labels.contains(l))
            labels << l;
    std::sort(labels.begin(), labels.end());
    m_classNames->setPlaceholderText(labels.isEmpty() ? tr("e.g. safe,vulnerable")
                                                      : tr("as in the data (%1…); e.g. safe,vulnerable").arg(labels.join(QLatin1Char(','))));
    updatePreview();
}

void ImportDialog::updatePreview()
{
    const QStringList headers = {tr("id"), tr("label"), tr("text")};
    m_preview->setColumnCount(3);
    m_preview->setHorizontalHeaderLabels(headers);
    m_preview->setRowCount(static_cast<int>(m_rows.size()));
    for (int r = 0; r < m_rows.size(); ++r) {
        const auto& row = m_rows[r];
        const QString id = m_id->currentData().toString().isEmpty() ? QString::number(r) : row.value(m_id->currentData().toString());
        QString text = row.value(m_text->currentData().toString()).simplified();
        if (text.size() > 120)
            text = text.left(117) + QStringLiteral("…");
        m_preview->setItem(r, 0, new QTableWidgetItem(id));
        m_preview->setItem(r, 1, new QTableWidgetItem(row.value(m_label->currentData().toString())));
        m_preview->setItem(r, 2, new QTableWidgetItem(text));
    }
    m_preview->resizeColumnToContents(0);
    m_preview->resizeColumnToContents(1);
}

FieldMap ImportDialog::fields() const
{
    FieldMap f;
    f.text = m_text->currentData().toString().toStdString();
    f.label = m_label->currentData().toString().toStdString();
    const QString id = m_id->currentData().toString();
    f.id = id.toStdString(); // empty: no id field, rows are numbered
    return f;
}

DatasetRequest ImportDialog::datasetRequest() const
{
    DatasetRequest r;
    r.fields = fields();
    r.fields.split = m_split->currentData().toString().toStdString();
    r.fields.group = m_group->currentData().toString().toStdString();
    if (m_holds->currentData().toString() == QLatin1String("train")) {
        r.sources = {{m_path.toStdString(), 0}, {m_validFile->text().toStdString(), 1}};
        if (!m_testFile->text().trimmed().isEmpty())
            r.sources.push_back({m_testFile->text().trimmed().toStdString(), 2});
    } else {
        r.sources = {{m_path.toStdString(), -1}};
    }
    r.load.skipInvalid = m_skipInvalid->isChecked();
    r.dedupExact = m_dedup->isChecked();
    if (!m_classNames->text().trimmed().isEmpty())
        r.labelNames = parseLabelNames(m_classNames->text().toStdString());
    return r;
}

ExtractionRequest ImportDialog::request() const
{
    ExtractionRequest r;
    r.backbone = m_backbone->currentData().toString();
    r.dim = m_dim->value();
    const bool folder = r.backbone == QLatin1String("hf-folder");
    r.modelPath = folder ? QDir::cleanPath(m_folder->text().trimmed()) : m_model->text();
    r.tokenizerPath = m_tokenizer->text().trimmed(); // a folder: empty for its own
    r.pooling = m_pooling->currentData().toString();
    // A chosen entry gives its value; text typed by the user is taken as it is.
    const int chosen = m_layers->findText(m_layers->currentText());
    r.layers = chosen >= 0 ? m_layers->itemData(chosen).toString() : m_layers->currentText().trimmed();
    r.maxLength = m_maxLength->value();
    r.longMode = m_longMode->currentData().toString();
    r.normalize = m_normalize->isChecked();
    r.batchSize = r.backbone != QLatin1String("hashed-ngram") ? m_batch->value() : 0;
    return r;
}
QString ImportDialog::outputPath() const { return m_out->text(); }

} // namespace headbench
