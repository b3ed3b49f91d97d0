#include "ImportDialog.h"

#include "CsvReader.h"
#include "Error.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <fstream>

namespace headbench {

ImportDialog::ImportDialog(const QString& datasetPath, const QString& workspace, QWidget* parent)
    : QDialog(parent)
    , m_path(datasetPath)
    , m_text(new QComboBox)
    , m_label(new QComboBox)
    , m_id(new QComboBox)
    , m_backbone(new QComboBox)
    , m_dim(new QSpinBox)
    , m_out(new QLineEdit)
    , m_preview(new QTableWidget)
    , m_message(new QLabel)
{
    setWindowTitle(tr("Import %1").arg(QFileInfo(datasetPath).fileName()));
    m_backbone->addItem(QStringLiteral("hashed-ngram"));
    m_backbone->setToolTip(tr("Built-in: C-aware token n-grams, hashed; needs no download"));
    m_dim->setRange(8, 1 << 20);
    m_dim->setValue(1024);
    m_out->setText(QDir(workspace).filePath(QStringLiteral("features/") + QFileInfo(datasetPath).completeBaseName() + QStringLiteral(".h5")));
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->verticalHeader()->setVisible(false);
    m_preview->horizontalHeader()->setStretchLastSection(true);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c62828;"));

    auto* form = new QFormLayout;
    form->addRow(tr("&Text field"), m_text);
    form->addRow(tr("&Label field"), m_label);
    form->addRow(tr("&Id field"), m_id);
    form->addRow(tr("&Backbone"), m_backbone);
    form->addRow(tr("&Dimension"), m_dim);
    form->addRow(tr("&Output file"), m_out);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Extract"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Preview of the first rows:")));
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (auto* box : {m_text, m_label, m_id})
        connect(box, &QComboBox::currentIndexChanged, this, &ImportDialog::updatePreview);
    resize(760, 480);
    loadPreview();
    buttons->button(QDialogButtonBox::Ok)->setEnabled(m_ok);
}

void ImportDialog::loadPreview()
{
    const bool csv = m_path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
    try {
        if (csv) {
            std::ifstream in(m_path.toStdString(), std::ios::binary);
            if (!in)
                throw Error(m_path.toStdString() + ": cannot be opened for reading");
            CsvReader reader(in, m_path.toStdString());
            std::vector<std::string> record;
            std::size_t line = 0;
            if (!reader.next(record, line))
                throw Error(m_path.toStdString() + ": the file is empty");
            for (const auto& h : record)
                m_columns << QString::fromStdString(h);
            while (m_rows.size() < 8 && reader.next(record, line)) {
                QMap<QString, QString> row;
                for (std::size_t c = 0; c < record.size() && c < static_cast<std::size_t>(m_columns.size()); ++c)
                    row[m_columns[static_cast<int>(c)]] = QString::fromStdString(record[c]);
                m_rows << row;
            }
        } else {
            QFile file(m_path);
            if (!file.open(QIODevice::ReadOnly))
                throw Error(m_path.toStdString() + ": cannot be opened for reading");
            int lineNo = 0;
            while (m_rows.size() < 8 && !file.atEnd()) {
                const QByteArray line = file.readLine().trimmed();
                ++lineNo;
                if (line.isEmpty())
                    continue;
                QJsonParseError error;
                const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
                if (!doc.isObject())
                    throw Error(QStringLiteral("%1:%2: not a JSON object (%3)").arg(m_path).arg(lineNo).arg(error.errorString()).toStdString());
                QMap<QString, QString> row;
                const QJsonObject obj = doc.object();
                for (auto it = obj.begin(); it != obj.end(); ++it) {
                    if (!m_columns.contains(it.key()))
                        m_columns << it.key();
                    row[it.key()] = it.value().isString() ? it.value().toString() : it.value().toVariant().toString();
                }
                m_rows << row;
            }
        }
        if (m_rows.isEmpty())
            throw Error(m_path.toStdString() + ": no records");
        m_ok = true;
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
    f.id = id.isEmpty() ? std::string("\x01no-id-field") : id.toStdString();
    return f;
}

QString ImportDialog::backbone() const { return m_backbone->currentText(); }
int ImportDialog::dimension() const { return m_dim->value(); }
QString ImportDialog::outputPath() const { return m_out->text(); }

} // namespace headbench
