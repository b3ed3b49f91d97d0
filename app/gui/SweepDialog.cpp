#include "SweepDialog.h"

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace headbench {
namespace {

/// The fields offered, with whether their values are numbers and an example.
struct FieldInfo {
    const char* name;
    bool numeric;
    bool logScale;
    const char* example;
};
constexpr FieldInfo kFields[] = {
    {"depth", true, false, "0, 1, 2"},
    {"width", true, false, "128, 256, 512"},
    {"activation", false, false, "relu, gelu"},
    {"dropout", true, false, "0, 0.2   or   0..0.5"},
    {"norm", false, false, "none, layernorm"},
    {"loss", false, false, "ce, focal"},
    {"focal_gamma", true, false, "1, 2, 3"},
    {"optimizer", false, false, "adamw, sgd"},
    {"l2", true, true, "0.0001, 0.001   or   0.00001..0.01"},
    {"lr", true, true, "0.0003, 0.001   or   0.0001..0.01"},
    {"weight_decay", true, true, "0, 0.0001"},
    {"batch_size", true, false, "64, 256"},
    {"epochs", true, false, "10, 30"},
    {"seed", true, false, "1, 2, 3"},
};

QJsonValue parseValue(const QString& text, bool numeric)
{
    if (!numeric)
        return text;
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (!ok)
        return text; // left as text: expandSweep will name the field and the problem
    return v == static_cast<double>(static_cast<long long>(v)) && !text.contains(QLatin1Char('.')) ? QJsonValue(static_cast<qint64>(v))
                                                                                                   : QJsonValue(v);
}

} // namespace

SweepDialog::SweepDialog(const HeadSpec& base, QWidget* parent)
    : QDialog(parent)
    , m_base(base)
    , m_grid(new QRadioButton(tr("&Grid: every combination")))
    , m_random(new QRadioButton(tr("&Random draws:")))
    , m_draws(new QSpinBox)
    , m_seed(new QSpinBox)
    , m_preview(new QLabel)
{
    setWindowTitle(tr("Sweep heads"));
    m_grid->setChecked(true);
    m_draws->setRange(1, 1000);
    m_draws->setValue(12);
    m_seed->setRange(0, 1000000);
    m_seed->setValue(7);
    auto* form = new QFormLayout;
    for (const FieldInfo& f : kFields) {
        auto* edit = new QLineEdit;
        edit->setPlaceholderText(QString::fromLatin1(f.example));
        form->addRow(QString::fromLatin1(f.name), edit);
        m_fields.emplace_back(QString::fromLatin1(f.name), edit);
        connect(edit, &QLineEdit::textChanged, this, &SweepDialog::updatePreview);
    }
    auto* fieldsBox = new QGroupBox(tr("Values to try (empty: keep the designer's value)"));
    fieldsBox->setLayout(form);
    auto* mode = new QHBoxLayout;
    mode->addWidget(m_grid);
    mode->addWidget(m_random);
    mode->addWidget(m_draws);
    mode->addWidget(new QLabel(tr("seed")));
    mode->addWidget(m_seed);
    mode->addStretch(1);
    m_preview->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Start sweep"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Base head: <b>%1</b>, %2").arg(QString::fromStdString(summary(base)), QString::fromStdString(plural(base.epochs, "epoch")))));
    layout->addWidget(fieldsBox);
    layout->addLayout(mode);
    layout->addWidget(m_preview);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QRadioButton* b : {m_grid, m_random})
        connect(b, &QRadioButton::toggled, this, &SweepDialog::updatePreview);
    connect(m_draws, &QSpinBox::valueChanged, this, &SweepDialog::updatePreview);
    connect(m_seed, &QSpinBox::valueChanged, this, &SweepDialog::updatePreview);
    updatePreview();
    auto* ok = buttons->button(QDialogButtonBox::Ok);
    auto refreshOk = [this, ok] { ok->setEnabled(!points().empty()); };
    for (const auto& [name, edit] : m_fields)
        connect(edit, &QLineEdit::textChanged, this, refreshOk);
    for (QRadioButton* b : {m_grid, m_random})
        connect(b, &QRadioButton::toggled, this, refreshOk);
    refreshOk();
}

QLineEdit* SweepDialog::valuesEdit(const QString& field) const
{
    for (const auto& [name, edit] : m_fields)
        if (name == field)
            return edit;
    return nullptr;
}

QString SweepDialog::definition() const
{
    QJsonObject base = QJsonDocument::fromJson(QByteArray::fromStdString(toJson(m_base))).object();
    QJsonObject varied;
    QJsonObject ranges;
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        const FieldInfo& info = kFields[i];
        const QString text = m_fields[i].second->text().trimmed();
        if (text.isEmpty())
            continue;
        const QString name = m_fields[i].first;
        if (m_random->isChecked() && info.numeric && text.contains(QLatin1String(".."))) {
            const QStringList bounds = text.split(QLatin1String(".."));
            const bool integer = name == QLatin1String("depth") || name == QLatin1String("width") ||
                                 name == QLatin1String("batch_size") || name == QLatin1String("epochs") ||
                                 name == QLatin1String("seed");
            const QString kind = integer ? QStringLiteral("int_uniform") : info.logScale ? QStringLiteral("log_uniform")
                                                                                         : QStringLiteral("uniform");
            ranges[name] = QJsonObject{{kind, QJsonArray{bounds.value(0).trimmed().toDouble(), bounds.value(1).trimmed().toDouble()}}};
            continue;
        }
        QJsonArray values;
        for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
            values.append(parseValue(part.trimmed(), info.numeric));
        if (m_random->isChecked())
            ranges[name] = QJsonObject{{QStringLiteral("choice"), values}};
        else
            varied[name] = values;
    }
    QJsonObject def{{QStringLiteral("base"), base}};
    if (m_random->isChecked())
        def[QStringLiteral("random")] = QJsonObject{{QStringLiteral("n"), m_draws->value()},
                                                    {QStringLiteral("seed"), m_seed->value()},
                                                    {QStringLiteral("fields"), ranges}};
    else
        def[QStringLiteral("grid")] = varied;
    return QString::fromUtf8(QJsonDocument(def).toJson(QJsonDocument::Compact));
}

std::vector<SweepPoint> SweepDialog::points(QString* error) const
{
    try {
        return expandSweep(definition().toStdString(), "sweep");
    } catch (const Error& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return {};
    }
}

void SweepDialog::updatePreview()
{
    QString error;
    const auto p = points(&error);
    if (p.empty())
        m_preview->setText(error.contains(QLatin1String("'grid' must map")) ? tr("Enter values for at least one field.")
                                                                           : QStringLiteral("<span style='color:#c62828'>%1</span>").arg(error.toHtmlEscaped()));
    else
        m_preview->setText(tr("%n runs will be trained one after the other.", nullptr, static_cast<int>(p.size())));
}

} // namespace headbench
