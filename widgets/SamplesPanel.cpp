#include "SamplesPanel.h"

#include <headbench/text/Tokenizer.h>

#include "CodeViewer.h"
#include "ProbabilityBarsView.h"

#include <headbench/data/Leakage.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace headbench {

SamplesPanel::SamplesPanel(QWidget* parent)
    : QWidget(parent)
    , m_model(new SampleTableModel(this))
    , m_proxy(new SampleFilterProxy(this))
    , m_table(new QTableView)
    , m_onlyWrong(new QCheckBox(tr("Only &misclassified")))
    , m_onlyNear(new QCheckBox(tr("Near d&uplicate in training")))
    , m_onlyIssues(new QCheckBox(tr("Likely &label issue")))
    , m_onlyTruncated(new QCheckBox(tr("Cut by the &token window")))
    , m_trueBox(new QComboBox)
    , m_predBox(new QComboBox)
    , m_confLo(new QDoubleSpinBox)
    , m_confHi(new QDoubleSpinBox)
    , m_search(new QLineEdit)
    , m_count(new QLabel)
    , m_sampleTitle(new QLabel)
    , m_bars(new ProbabilityBarsView)
    , m_code(new CodeViewer)
    , m_neighbourTitle(new QLabel)
    , m_neighbour(new CodeViewer)
{
    m_onlyNear->setObjectName(QStringLiteral("nearDuplicateFilter"));
    m_onlyNear->setToolTip(tr("Only samples whose nearest training row is a near duplicate (the run's leakage check)"));
    m_onlyIssues->setObjectName(QStringLiteral("labelIssueFilter"));
    m_onlyIssues->setEnabled(false);
    m_onlyTruncated->setObjectName(QStringLiteral("truncatedFilter"));
    m_onlyTruncated->setEnabled(false);
    m_code->setObjectName(QStringLiteral("codeViewer"));
    m_neighbour->setObjectName(QStringLiteral("neighbourViewer"));
    m_neighbourTitle->setObjectName(QStringLiteral("neighbourTitle"));
    m_proxy->setSourceModel(m_model);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(22);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    for (auto* box : {m_confLo, m_confHi}) {
        box->setRange(0, 1);
        box->setDecimals(2);
        box->setSingleStep(0.05);
    }
    m_confHi->setValue(1);
    m_search->setPlaceholderText(tr("Search in code…"));
    m_search->setClearButtonEnabled(true);
    auto* worst = new QPushButton(tr("Most confidently &wrong"));
    worst->setToolTip(tr("Misclassified samples, most confident first"));
    auto* reset = new QPushButton(tr("&Clear filters"));
    auto* exportButton = new QPushButton(tr("Export CSV…"));

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_onlyWrong);
    filters->addWidget(m_onlyNear);
    filters->addWidget(m_onlyIssues);
    filters->addWidget(m_onlyTruncated);
    filters->addStretch(1);
    auto* filters2 = new QHBoxLayout;
    filters2->addWidget(new QLabel(tr("true:")));
    filters2->addWidget(m_trueBox);
    filters2->addWidget(new QLabel(tr("predicted:")));
    filters2->addWidget(m_predBox);
    filters2->addWidget(new QLabel(tr("confidence:")));
    filters2->addWidget(m_confLo);
    filters2->addWidget(new QLabel(QStringLiteral("–")));
    filters2->addWidget(m_confHi);
    filters2->addStretch(1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(worst);
    buttons->addWidget(reset);
    buttons->addStretch(1);
    buttons->addWidget(m_count);
    buttons->addWidget(exportButton);

    auto* tableSide = new QWidget;
    auto* tableLayout = new QVBoxLayout(tableSide);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(filters);
    tableLayout->addLayout(filters2);
    tableLayout->addWidget(m_search);
    tableLayout->addLayout(buttons);
    tableLayout->addWidget(m_table, 1);

    auto* codeSide = new QWidget;
    auto* codeLayout = new QVBoxLayout(codeSide);
    codeLayout->setContentsMargins(0, 0, 0, 0);
    m_sampleTitle->setWordWrap(true);
    m_sampleTitle->setTextFormat(Qt::RichText);
    codeLayout->addWidget(m_sampleTitle);
    codeLayout->addWidget(m_bars);
    codeLayout->addWidget(m_code, 3);
    m_neighbourTitle->setWordWrap(true);
    m_neighbourTitle->setTextFormat(Qt::RichText);
    codeLayout->addWidget(m_neighbourTitle);
    codeLayout->addWidget(m_neighbour, 2);
    m_neighbourTitle->hide();
    m_neighbour->hide();

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->addWidget(tableSide);
    splitter->addWidget(codeSide);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    // The code (and its nearest training row) must stay readable beside the table.
    splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);

    connect(m_onlyWrong, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_syncing)
            m_proxy->setOnlyMisclassified(on);
    });
    connect(m_onlyNear, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_syncing)
            m_proxy->setOnlyNearDuplicates(on);
    });
    connect(m_onlyIssues, &QCheckBox::toggled, this, [this](bool on) {
        if (m_syncing)
            return;
        m_proxy->setOnlyLabelIssues(on);
        if (on && m_model->issueColumn() >= 0)
            m_table->sortByColumn(m_model->issueColumn(), Qt::DescendingOrder);
    });
    connect(m_onlyTruncated, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_syncing)
            m_proxy->setOnlyTruncated(on);
    });
    connect(m_trueBox, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_syncing)
            m_proxy->setTrueClass(m_trueBox->currentData().toInt());
    });
    connect(m_predBox, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_syncing)
            m_proxy->setPredictedClass(m_predBox->currentData().toInt());
    });
    auto confidence = [this] { m_proxy->setConfidenceRange(m_confLo->value(), m_confHi->value()); };
    connect(m_confLo, &QDoubleSpinBox::valueChanged, this, confidence);
    connect(m_confHi, &QDoubleSpinBox::valueChanged, this, confidence);
    // Text search over 100k snippets: wait for a pause in typing.
    auto* searchTimer = new QTimer(this);
    searchTimer->setSingleShot(true);
    searchTimer->setInterval(200);
    connect(m_search, &QLineEdit::textChanged, searchTimer, qOverload<>(&QTimer::start));
    connect(searchTimer, &QTimer::timeout, this, [this] { m_proxy->setCodeFilter(m_search->text()); });
    connect(worst, &QPushButton::clicked, this, &SamplesPanel::showMostConfidentlyWrong);
    connect(reset, &QPushButton::clicked, this, &SamplesPanel::clearFilters);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export samples"), QStringLiteral("samples.csv"),
                                                          tr("CSV files (*.csv)"));
        QString error;
        if (!path.isEmpty() && !exportCsv(path, &error))
            QMessageBox::warning(this, tr("Export failed"), error);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showSample(current); });
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &SamplesPanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &SamplesPanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &SamplesPanel::updateCount);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &SamplesPanel::updateCount);
    updateCount();
}

void SamplesPanel::fillClassCombos()
{
    m_syncing = true;
    for (auto* box : {m_trueBox, m_predBox}) {
        box->clear();
        box->addItem(tr("any"), -1);
        if (const auto* d = m_model->samples())
            for (std::size_t k = 0; k < d->labelNames.size(); ++k)
                box->addItem(QString::fromStdString(d->labelNames[k]), static_cast<int>(k));
    }
    m_syncing = false;
}

void SamplesPanel::setSamples(std::shared_ptr<const SampleData> data, std::vector<std::int64_t> rows)
{
    m_model->setSamples(std::move(data), std::move(rows));
    fillClassCombos();
    clearFilters();
    // Widths from the headers, not from the contents: measuring 100k rows would stall the GUI.
    const QFontMetrics metrics(m_table->font());
    for (int c = 0; c < m_model->columnCount(); ++c) {
        const int header = metrics.horizontalAdvance(m_model->headerData(c, Qt::Horizontal).toString()) + 28;
        m_table->setColumnWidth(c, c == SampleTableModel::IdColumn ? std::max(header, 150) : std::max(header, 70));
    }
    int longestName = 0;
    if (const auto* d = m_model->samples())
        for (const auto& name : d->labelNames)
            longestName = std::max(longestName, metrics.horizontalAdvance(QString::fromStdString(name)) + 20);
    for (int c : {int(SampleTableModel::TrueColumn), int(SampleTableModel::PredictedColumn)})
        m_table->setColumnWidth(c, std::max(m_table->columnWidth(c), std::min(longestName, 220)));
    m_code->setCode(QString());
    m_sampleTitle->clear();
    m_bars->setProbabilities({}, {}, -1);
    const auto* d = m_model->samples();
    const bool leakage = d && !d->leakFlags.empty();
    m_onlyNear->setEnabled(leakage);
    m_onlyNear->setToolTip(leakage ? tr("Only samples with a near duplicate in the training split (the run's leakage check)")
                                   : tr("This run has no leakage check"));
    m_neighbourTitle->setVisible(leakage);
    m_neighbour->setVisible(leakage);
    const bool issues = d && !d->issueScore.empty();
    m_onlyIssues->setEnabled(issues);
    m_onlyIssues->setToolTip(issues ? tr("Only rows whose label is probably wrong (confident learning on the run's "
                                         "out-of-fold probabilities), most likely first. Test rows have none; "
                                         "headbench-cli label-issues lists the training rows too")
                                    : tr("Train with cross-validation (headbench-cli train --cv K) to find likely label errors"));
    const bool tokens = d && !d->nTokens.empty();
    m_onlyTruncated->setEnabled(tokens && d->window > 0 && d->longMode != "windows");
    m_onlyTruncated->setToolTip(!tokens ? tr("The feature file has no token counts (built-in backbone, or extracted before "
                                             "HeadBench kept them)")
                                : d->longMode == "windows"
                                    ? tr("Extracted with --long windows: the model read every text whole")
                                    : tr("Only samples longer than the model's window of %1 tokens: it saw part of them")
                                          .arg(d->window));
    if (!d || d->tokenizerPath != m_tokenizerPath) {
        m_tokenizer.reset();
        m_tokenizerPath.clear();
        m_tokenizerError.clear();
    }
    m_neighbourTitle->clear();
    m_neighbour->setCode(QString());
}

SamplesPanel::~SamplesPanel() = default;

QString SamplesPanel::showSeenPart(std::int64_t sample)
{
    const SampleData& d = *m_model->samples();
    if (!d.truncated(sample) || d.texts.empty())
        return {};
    const std::int64_t n = d.nTokens[static_cast<std::size_t>(sample)];
    const QString saw = tr("the model saw %1 of %2 tokens").arg(d.window).arg(n);
    if (!m_tokenizer && m_tokenizerError.isEmpty()) {
        if (d.tokenizerPath.empty()) {
            m_tokenizerError = tr("its tokenizer %1 was not found, so where the cut fell is not shown")
                                   .arg(QString::fromStdString(d.tokenizerFile));
        } else {
            try {
                m_tokenizer = loadTokenizer(d.tokenizerPath);
                m_tokenizerPath = d.tokenizerPath;
            } catch (const std::exception& e) {
                m_tokenizerError = QString::fromStdString(e.what());
            }
        }
    }
    if (!m_tokenizer)
        return saw + QStringLiteral(" (") + m_tokenizerError.toHtmlEscaped() + QStringLiteral(")");
    const std::string& text = d.texts[static_cast<std::size_t>(sample)];
    const LongMode mode = d.longMode == "tail" ? LongMode::Tail : LongMode::Head;
    const SeenSpan span = seenSpan(*m_tokenizer, text, static_cast<int>(d.window), mode);
    if (!span.cut)
        return saw;
    // Byte offsets to positions in the QString the viewer holds (UTF-16).
    const int begin = static_cast<int>(QString::fromUtf8(text.data(), static_cast<qsizetype>(span.begin)).size());
    const int end = static_cast<int>(QString::fromUtf8(text.data(), static_cast<qsizetype>(span.end)).size());
    m_code->setSeenRange(begin, end,
                         mode == LongMode::Head ? tr("✂ the model's %1-token window ends here").arg(d.window)
                                                : tr("✂ the model's %1-token window starts here").arg(d.window));
    return saw + (mode == LongMode::Head ? tr("; the rest is greyed out") : tr("; the start is greyed out"));
}

void SamplesPanel::setThreshold(double threshold)
{
    m_model->setThreshold(threshold);
    m_proxy->invalidate(); // predictions moved, so filters and order may change
    updateCount();
}

void SamplesPanel::filterToCell(int trueClass, int predictedClass)
{
    clearFilters();
    m_syncing = true;
    m_trueBox->setCurrentIndex(m_trueBox->findData(trueClass));
    m_predBox->setCurrentIndex(m_predBox->findData(predictedClass));
    m_syncing = false;
    m_proxy->setTrueClass(trueClass);
    m_proxy->setPredictedClass(predictedClass);
    updateCount();
}

void SamplesPanel::showMostConfidentlyWrong()
{
    clearFilters();
    m_syncing = true;
    m_onlyWrong->setChecked(true);
    m_syncing = false;
    m_proxy->setOnlyMisclassified(true);
    m_table->sortByColumn(SampleTableModel::ConfidenceColumn, Qt::DescendingOrder);
    if (m_proxy->rowCount() > 0)
        m_table->selectRow(0);
    updateCount();
}

void SamplesPanel::clearFilters()
{
    m_syncing = true;
    m_onlyWrong->setChecked(false);
    m_onlyNear->setChecked(false);
    m_onlyIssues->setChecked(false);
    m_onlyTruncated->setChecked(false);
    m_trueBox->setCurrentIndex(0);
    m_predBox->setCurrentIndex(0);
    m_confLo->setValue(0);
    m_confHi->setValue(1);
    m_search->clear();
    m_syncing = false;
    m_proxy->reset();
    updateCount();
}

bool SamplesPanel::exportCsv(const QString& path, QString* error) const
{
    return SampleTableModel::exportCsv(m_proxy, path, error);
}

void SamplesPanel::updateCount()
{
    m_count->setText(tr("%1 of %2 samples").arg(m_proxy->rowCount()).arg(m_model->rowCount()));
}

void SamplesPanel::showSample(const QModelIndex& proxyIndex)
{
    if (!proxyIndex.isValid() || !m_model->samples())
        return;
    const int row = m_proxy->mapToSource(proxyIndex).row();
    const SampleData& d = *m_model->samples();
    const std::int64_t sample = m_model->sampleRow(row);
    const int truth = m_model->trueClass(row), pred = m_model->predicted(row);
    QStringList names;
    for (const auto& n : d.labelNames)
        names << QString::fromStdString(n);
    const bool correct = truth == pred;
    m_sampleTitle->setText(tr("<b>%1</b> &nbsp; true: <b>%2</b> &nbsp; predicted: <b style='color:%4'>%3</b>")
                               .arg(QString::fromStdString(d.ids[static_cast<std::size_t>(sample)]).toHtmlEscaped(),
                                    names.value(truth), names.value(pred),
                                    correct ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828")));
    std::vector<float> probs(d.probabilities.begin() + sample * d.numClasses,
                             d.probabilities.begin() + (sample + 1) * d.numClasses);
    m_bars->setProbabilities(probs, names, truth);
    QString code;
    if (!d.texts.empty())
        code = QString::fromStdString(d.texts[static_cast<std::size_t>(sample)]);
    else if (!d.textsMissingReason.empty())
        code = QStringLiteral("// ") + QString::fromStdString(d.textsMissingReason);
    else
        code = tr("// The feature file has no /text dataset, so the code cannot be shown.");
    m_code->setCode(code);
    if (const QString seen = showSeenPart(sample); !seen.isEmpty())
        m_sampleTitle->setText(m_sampleTitle->text() + QStringLiteral("<br><span style='color:#b26a00'>✂ ") + seen +
                               QStringLiteral("</span>"));
    showNeighbour(sample, code);
}

void SamplesPanel::showNeighbour(std::int64_t sample, const QString& code)
{
    const SampleData& d = *m_model->samples();
    const auto s = static_cast<std::size_t>(sample);
    if (d.leakFlags.empty() || s >= d.nearestTrain.size())
        return;
    const std::int64_t t = d.nearestTrain[s];
    m_code->setMarkedLines({}, {});
    if (t < 0) {
        m_neighbourTitle->setText(tr("<b>Nearest training row</b>: none similar enough to check (no shared shingles "
                                     "or projections)"));
        m_neighbour->setCode(QString());
        return;
    }
    const auto ts = static_cast<std::size_t>(t);
    const bool near = d.leakFlags[s] & kNearDuplicate, exact = d.leakFlags[s] & kExactDuplicate;
    const QString measure = d.leakMethod == "text" ? tr("token-shingle Jaccard") : tr("centred-feature cosine");
    const QString label = QString::fromStdString(d.labelNames.at(static_cast<std::size_t>(d.labels[ts]))).toHtmlEscaped();
    const bool sameLabel = d.labels[ts] == d.labels[s];
    m_neighbourTitle->setText(
        tr("<b>Nearest training row</b> %1 &nbsp; label: <b style='color:%2'>%3</b> &nbsp; %4 %5%6")
            .arg(QString::fromStdString(d.ids[ts]).toHtmlEscaped(), sameLabel ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828"),
                 label, measure, QString::number(d.nearestSimilarity[s], 'f', 3),
                 exact ? tr(" — <b>exact duplicate</b>") : near ? tr(" — <b>near duplicate</b>") : QString()));
    const QString other = d.texts.empty() ? QString() : QString::fromStdString(d.texts[ts]);
    m_neighbour->setCode(other);
    if (!other.isEmpty()) {
        // The lines that differ: on fix pairs, the fix itself.
        const QColor changed(255, 236, 179);
        m_code->setMarkedLines(CodeViewer::linesNotIn(code, other), changed);
        m_neighbour->setMarkedLines(CodeViewer::linesNotIn(other, code), changed);
    }
}

} // namespace headbench
