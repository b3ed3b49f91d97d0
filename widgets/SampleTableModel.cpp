#include "SampleTableModel.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>

#include <QColor>
#include <QFile>
#include <QTextStream>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <cmath>
#include <limits>

namespace headbench {

SampleTableModel::SampleTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void SampleTableModel::setSamples(std::shared_ptr<const SampleData> data, std::vector<std::int64_t> rows)
{
    beginResetModel();
    m_data = std::move(data);
    m_numericIds = m_data && !m_data->ids.empty();
    if (m_numericIds)
        for (const auto& id : m_data->ids) {
            long long v = 0;
            const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
            if (ec != std::errc() || end != id.data() + id.size()) {
                m_numericIds = false;
                break;
            }
        }
    m_rows = std::move(rows);
    endResetModel();
}

void SampleTableModel::setThreshold(double threshold)
{
    if (threshold == m_threshold)
        return;
    m_threshold = threshold;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, PredictedColumn), index(rowCount() - 1, ConfidenceColumn));
}

int SampleTableModel::trueClass(int row) const
{
    return m_data->labels[static_cast<std::size_t>(sampleRow(row))];
}

int SampleTableModel::predicted(int row) const
{
    const int k = m_data->numClasses;
    const float* p = m_data->probabilities.data() + sampleRow(row) * k;
    if (k == 2)
        return p[1] >= m_threshold ? 1 : 0;
    return static_cast<int>(std::max_element(p, p + k) - p);
}

float SampleTableModel::confidence(int row) const
{
    return m_data->probabilities[static_cast<std::size_t>(sampleRow(row) * m_data->numClasses + predicted(row))];
}

const std::string& SampleTableModel::text(int row) const
{
    static const std::string empty;
    return m_data->texts.empty() ? empty : m_data->texts[static_cast<std::size_t>(sampleRow(row))];
}

int SampleTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_data ? 0 : static_cast<int>(m_rows.size());
}

int SampleTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_data
               ? 0
               : FirstProbabilityColumn + m_data->numClasses + (issueColumn() >= 0 ? 1 : 0) + (tokensColumn() >= 0 ? 1 : 0);
}

int SampleTableModel::tokensColumn() const
{
    if (!m_data || m_data->nTokens.empty())
        return -1;
    return FirstProbabilityColumn + m_data->numClasses + (m_data->issueScore.empty() ? 0 : 1);
}

int SampleTableModel::issueColumn() const
{
    return m_data && !m_data->issueScore.empty() ? FirstProbabilityColumn + m_data->numClasses : -1;
}

float SampleTableModel::issueScore(int row) const
{
    const auto sample = static_cast<std::size_t>(sampleRow(row));
    return m_data && sample < m_data->issueScore.size() ? m_data->issueScore[sample] : std::numeric_limits<float>::quiet_NaN();
}

QVariant SampleTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_data || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const int row = index.row();
    const int col = index.column();
    const auto& names = m_data->labelNames;
    auto className = [&](int k) { return QString::fromStdString(k < static_cast<int>(names.size()) ? names[k] : std::to_string(k)); };
    if (role == SampleRowRole)
        return QVariant::fromValue<qint64>(sampleRow(row));
    if (role == Qt::DisplayRole || role == SortRole) {
        const bool sort = role == SortRole;
        switch (col) {
        case IdColumn: {
            const auto& id = m_data->ids[static_cast<std::size_t>(sampleRow(row))];
            if (sort && m_numericIds)
                return QVariant(std::stoll(id));
            return QString::fromStdString(id);
        }
        case TrueColumn: return sort ? QVariant(trueClass(row)) : QVariant(className(trueClass(row)));
        case PredictedColumn: return sort ? QVariant(predicted(row)) : QVariant(className(predicted(row)));
        case CorrectColumn: {
            const bool ok = predicted(row) == trueClass(row);
            return sort ? QVariant(ok ? 1 : 0) : QVariant(ok ? tr("yes") : tr("no"));
        }
        case ConfidenceColumn:
            return sort ? QVariant(confidence(row)) : QVariant(QString::number(confidence(row), 'f', 3));
        default: {
            if (col == tokensColumn()) {
                const std::int64_t sample = sampleRow(row);
                const std::int64_t n = m_data->nTokens[static_cast<std::size_t>(sample)];
                if (sort)
                    return QVariant(static_cast<qlonglong>(n));
                return m_data->truncated(sample) ? tr("%1 (cut)").arg(n) : QString::number(n);
            }
            if (col == issueColumn()) {
                // Not an issue sorts below every issue; shown empty.
                const float s = issueScore(row);
                const std::size_t sample = static_cast<std::size_t>(sampleRow(row));
                if (sort)
                    return QVariant(std::isnan(s) ? -1.0f : s);
                if (std::isnan(s))
                    return QString();
                const int suggested = sample < m_data->issueSuggested.size() ? m_data->issueSuggested[sample] : -1;
                return suggested >= 0 ? tr("%1 → %2").arg(QString::number(s, 'f', 3), className(suggested))
                                      : QString::number(s, 'f', 3);
            }
            const float p = m_data->probabilities[static_cast<std::size_t>(sampleRow(row) * m_data->numClasses + col - FirstProbabilityColumn)];
            return sort ? QVariant(p) : QVariant(QString::number(p, 'f', 3));
        }
        }
    }
    if (role == Qt::ForegroundRole && col == tokensColumn() && m_data->truncated(sampleRow(row)))
        return QColor(0xb2, 0x6a, 0x00);
    if (role == Qt::ToolTipRole && col == tokensColumn())
        return m_data->truncated(sampleRow(row))
                   ? tr("The model saw %1 of these %2 tokens (max length %1, %3 kept)")
                         .arg(m_data->window)
                         .arg(m_data->nTokens[static_cast<std::size_t>(sampleRow(row))])
                         .arg(m_data->longMode == "tail" ? tr("the end") : tr("the start"))
                   : tr("Tokens the model read, special tokens included");
    if (role == Qt::ForegroundRole && col == CorrectColumn)
        return predicted(row) == trueClass(row) ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28);
    if (role == Qt::TextAlignmentRole && col >= ConfidenceColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant SampleTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || !m_data)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn: return tr("id");
    case TrueColumn: return tr("true");
    case PredictedColumn: return tr("predicted");
    case CorrectColumn: return tr("correct");
    case ConfidenceColumn: return tr("confidence");
    default: {
        if (section == issueColumn())
            return tr("label issue");
        if (section == tokensColumn())
            return tr("tokens");
        const int k = section - FirstProbabilityColumn;
        if (k >= 0 && k < static_cast<int>(m_data->labelNames.size()))
            return tr("p(%1)").arg(QString::fromStdString(m_data->labelNames[k]));
        return {};
    }
    }
}

bool SampleTableModel::exportCsv(const QAbstractItemModel* model, const QString& path, QString* error)
{
    QString text;
    QTextStream out(&text);
    auto quote = [](QString s) {
        if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) || s.contains(QLatin1Char('\n')))
            s = QLatin1Char('"') + s.replace(QLatin1String("\""), QLatin1String("\"\"")) + QLatin1Char('"');
        return s;
    };
    QStringList header;
    for (int c = 0; c < model->columnCount(); ++c)
        header << quote(model->headerData(c, Qt::Horizontal).toString());
    out << header.join(QLatin1Char(',')) << '\n';
    for (int r = 0; r < model->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < model->columnCount(); ++c)
            cells << quote(model->index(r, c).data().toString());
        out << cells.join(QLatin1Char(',')) << '\n';
    }
    out.flush();
    try {
        // The backend's one atomic writer: temporary file, fsync, rename, fsync of the folder.
        const QByteArray bytes = text.toUtf8();
        writeFileAtomically(path.toStdString(), std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
    } catch (const std::exception& e) {
        if (error)
            *error = tr("%1 could not be written: %2").arg(path, QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

// ---- SampleFilterProxy ----

SampleFilterProxy::SampleFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(SampleTableModel::SortRole);
}

void SampleFilterProxy::setOnlyMisclassified(bool on)
{
    m_onlyWrong = on;
    refilter();
}

void SampleFilterProxy::setTrueClass(int k)
{
    m_true = k;
    refilter();
}

void SampleFilterProxy::setPredictedClass(int k)
{
    m_predicted = k;
    refilter();
}

void SampleFilterProxy::setConfidenceRange(double lo, double hi)
{
    m_lo = lo;
    m_hi = hi;
    refilter();
}

void SampleFilterProxy::setCodeFilter(const QString& text)
{
    m_code = text.toStdString();
    refilter();
}

void SampleFilterProxy::setOnlyNearDuplicates(bool on)
{
    m_onlyNear = on;
    refilter();
}

void SampleFilterProxy::setOnlyTruncated(bool on)
{
    m_onlyTruncated = on;
    refilter();
}

void SampleFilterProxy::setOnlyLabelIssues(bool on)
{
    m_onlyIssues = on;
    refilter();
}

void SampleFilterProxy::showCell(int trueClass, int predictedClass)
{
    clearCriteria();
    m_true = trueClass;
    m_predicted = predictedClass;
    refilter();
}

void SampleFilterProxy::clearCriteria()
{
    m_onlyWrong = false;
    m_onlyNear = false;
    m_onlyIssues = false;
    m_onlyTruncated = false;
    m_true = m_predicted = -1;
    m_lo = 0;
    m_hi = 1;
    m_code.clear();
}

void SampleFilterProxy::reset()
{
    clearCriteria();
    refilter();
}

void SampleFilterProxy::refilter()
{
    // invalidateFilter() removes and inserts the rows whose verdict changed range by range, and
    // the view updates its header for each range: seconds on 100,000 scattered rows. A layout
    // change rebuilds the mapping once.
    invalidate();
}

bool SampleFilterProxy::filterAcceptsRow(int row, const QModelIndex&) const
{
    const auto* model = static_cast<const SampleTableModel*>(sourceModel());
    if (!model || !model->samples())
        return false;
    const int pred = model->predicted(row);
    const int truth = model->trueClass(row);
    if (m_onlyWrong && pred == truth)
        return false;
    if (m_true >= 0 && truth != m_true)
        return false;
    if (m_predicted >= 0 && pred != m_predicted)
        return false;
    const float conf = model->confidence(row);
    if (conf < m_lo || conf > m_hi)
        return false;
    if (!m_code.empty() && model->text(row).find(m_code) == std::string::npos)
        return false;
    if (m_onlyNear) {
        const SampleData& d = *model->samples();
        const auto sample = static_cast<std::size_t>(model->sampleRow(row));
        if (sample >= d.leakFlags.size() || !(d.leakFlags[sample] & kNearDuplicate))
            return false;
    }
    if (m_onlyIssues && std::isnan(model->issueScore(row)))
        return false;
    if (m_onlyTruncated && !model->samples()->truncated(model->sampleRow(row)))
        return false;
    return true;
}

} // namespace headbench
