#include "SamplesPanel.h"
#include "WidgetExport.h"

#include <headbench/text/Tokenizer.h>

#include "CodeViewer.h"
#include "ProbabilityBarsView.h"

#include <headbench/compute/Leakage.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QGridLayout>
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
namespace {

/// The table beside the code: the code pane (the second child) keeps at least a third of the
/// width, whether the window is resized or the handle dragged. Sizes are clamped rather than a
/// minimum width set, which would make the whole window's minimum follow its current width.
/// Too narrow for both side by side (a small screen, wide docks), the code goes below the table
/// at full width instead of shrinking to a column a few words wide.
class CodeSplitter : public QSplitter {
public:
    static constexpr int kCodeMin = 360; ///< the narrowest code pane beside the table

    CodeSplitter()
        : QSplitter(Qt::Horizontal)
    {
    }
    void keepCodeThird()
    {
        if (orientation() != Qt::Horizontal)
            return;
        QList<int> s = sizes();
        if (s.size() != 2 || s[0] + s[1] <= 0)
            return;
        const int total = s[0] + s[1], third = (total + 2) / 3;
        const int tableMin = widget(0)->minimumSizeHint().width();
        if (s[1] >= third || s[0] <= tableMin)
            return;
        s[1] = std::min(third, total - tableMin);
        s[0] = total - s[1];
        setSizes(s);
    }

protected:
    void resizeEvent(QResizeEvent* event) override
    {
        QSplitter::resizeEvent(event);
        const int sideBySide = widget(0)->minimumSizeHint().width() + kCodeMin + handleWidth();
        // A margin between the two switches, so a width near the line does not flip back and forth.
        const Qt::Orientation wanted = width() < sideBySide ? Qt::Vertical
                                       : width() >= sideBySide + 40 ? Qt::Horizontal
                                                                    : orientation();
        if (wanted != orientation()) {
            setOrientation(wanted);
            const int total = wanted == Qt::Horizontal ? width() : height();
            setSizes({total * 3 / 5, total - total * 3 / 5});
        }
        keepCodeThird();
    }
};

/// Columns as wide as their header and what they show, measured on this many rows (the visible
/// ones first): a 100k-row table is never measured whole.
constexpr int kMeasuredRows = 300;

} // namespace

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
    m_trueBox->setObjectName(QStringLiteral("trueClassFilter"));
    m_predBox->setObjectName(QStringLiteral("predictedClassFilter"));
    m_onlyNear->setToolTip(tr("Only samples whose nearest training row is a near duplicate (the run's leakage check)"));
    m_onlyIssues->setObjectName(QStringLiteral("labelIssueFilter"));
    m_onlyIssues->setEnabled(false);
    m_onlyTruncated->setObjectName(QStringLiteral("truncatedFilter"));
    m_onlyTruncated->setEnabled(false);
    m_table->setObjectName(QStringLiteral("samplesTable"));
    m_count->setObjectName(QStringLiteral("sampleCount"));
    m_sampleTitle->setObjectName(QStringLiteral("sampleTitle"));
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

    // Filters in short rows: the table side stays narrow enough to leave the code a third.
    auto* filters = new QGridLayout;
    filters->addWidget(m_onlyWrong, 0, 0);
    filters->addWidget(m_onlyNear, 0, 1);
    filters->addWidget(m_onlyIssues, 1, 0);
    filters->addWidget(m_onlyTruncated, 1, 1);
    filters->setColumnStretch(2, 1);
    auto* filters2 = new QHBoxLayout;
    filters2->addWidget(new QLabel(tr("true:")));
    filters2->addWidget(m_trueBox);
    filters2->addWidget(new QLabel(tr("predicted:")));
    filters2->addWidget(m_predBox);
    filters2->addStretch(1);
    filters2->addWidget(m_count);
    auto* filters3 = new QHBoxLayout;
    filters3->addWidget(new QLabel(tr("confidence:")));
    filters3->addWidget(m_confLo);
    filters3->addWidget(new QLabel(QStringLiteral("–")));
    filters3->addWidget(m_confHi);
    filters3->addWidget(m_search, 1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(worst);
    buttons->addWidget(reset);
    buttons->addStretch(1);
    buttons->addWidget(exportButton);

    auto* tableSide = new QWidget;
    auto* tableLayout = new QVBoxLayout(tableSide);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(filters);
    tableLayout->addLayout(filters2);
    tableLayout->addLayout(filters3);
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

    // Long lines wrap: a sample is read whole without scrolling sideways.
    m_code->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_neighbour->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    auto* splitter = new CodeSplitter;
    splitter->setObjectName(QStringLiteral("samplesSplitter"));
    splitter->addWidget(tableSide);
    splitter->addWidget(codeSide);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    // The code (and its nearest training row) must stay readable beside the table.
    splitter->setChildrenCollapsible(false);
    connect(splitter, &QSplitter::splitterMoved, splitter, &CodeSplitter::keepCodeThird);
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
        updateCount(); // its explanation depends on the box, not only on the rows
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
        if (path.isEmpty())
            return;
        if (exportCsv(path, &error))
            announceSaved(this, path);
        else
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
    // Probabilities right after the id, where they are seen without scrolling. The view's
    // order only: the model's columns (and the CSV export) keep theirs.
    QHeaderView* header = m_table->horizontalHeader();
    for (int c = 0; c < m_model->columnCount(); ++c) // the model's order first, whatever the last run moved
        header->moveSection(header->visualIndex(c), c);
    if (const auto* d = m_model->samples())
        for (int k = 0; k < d->numClasses; ++k)
            header->moveSection(header->visualIndex(SampleTableModel::FirstProbabilityColumn + k), 1 + k);
    // Widths from the contents of a sample of rows, capped so one long id cannot take the table.
    header->setResizeContentsPrecision(kMeasuredRows);
    m_table->resizeColumnsToContents();
    for (int c = 0; c < m_model->columnCount(); ++c)
        m_table->setColumnWidth(c, std::min(m_table->columnWidth(c), c == SampleTableModel::IdColumn ? 320 : 220));
    // Every class name fits the class columns, also those the measured rows did not hold.
    const QFontMetrics metrics(m_table->font());
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
    m_neighbour->hide(); // until a sample with a nearest training row is selected
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
    // The shown sample's prediction (and the threshold its title names) moved too: its title
    // only, not its code (re-highlighting a long function at every slider step).
    if (const QModelIndex current = m_table->selectionModel()->currentIndex(); current.isValid() && m_model->samples())
        showSampleTitle(m_proxy->mapToSource(current).row());
}

void SamplesPanel::filterToCell(int trueClass, int predictedClass)
{
    resetFilterBoxes();
    m_syncing = true;
    m_trueBox->setCurrentIndex(m_trueBox->findData(trueClass));
    m_predBox->setCurrentIndex(m_predBox->findData(predictedClass));
    m_syncing = false;
    m_proxy->showCell(trueClass, predictedClass); // one pass over the rows, not one per filter
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
    resetFilterBoxes();
    m_proxy->reset();
    updateCount();
}

void SamplesPanel::resetFilterBoxes()
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
}

bool SamplesPanel::exportCsv(const QString& path, QString* error) const
{
    // With no run shown there is no table to write (it wrote a file of one empty line and said
    // "Saved").
    if (!m_model->samples()) {
        if (error)
            *error = tr("There are no samples to export: show a run first (select it in the Runs panel).");
        return false;
    }
    return SampleTableModel::exportCsv(m_proxy, path, error);
}

QString SamplesPanel::countText() const
{
    return m_count->text();
}

void SamplesPanel::setScope(const QString& splitName, const QString& runName)
{
    m_splitName = splitName;
    m_scopeTip = runName.isEmpty() ? QString() : tr("Samples of run %1, %2 split").arg(runName, splitName);
    updateCount();
}

void SamplesPanel::updateCount()
{
    QString text = m_splitName.isEmpty() || !m_model->samples()
                       ? tr("%1 of %2 samples").arg(m_proxy->rowCount()).arg(m_model->rowCount())
                       : tr("%1 of %2 %3 samples").arg(m_proxy->rowCount()).arg(m_model->rowCount()).arg(m_splitName);
    // No rows under the label-issue filter is not "no issues" on the test split: cross-validation
    // never saw its rows.
    if (m_proxy->rowCount() == 0 && m_onlyIssues->isChecked() && m_splitName == QStringLiteral("test"))
        text += tr(": label issues are looked for in the training and validation rows only");
    // Two classes: "predicted" and "correct" are at the Evaluation slider's threshold (the shown
    // sample's title says which); moving it there changes what this tab lists.
    QString tip = m_scopeTip;
    if (m_model->samples() && m_model->samples()->numClasses == 2) {
        tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) +
               tr("Predicted class 1 when p(1) ≥ %1: the threshold set on the Evaluation tab").arg(m_model->threshold(), 0, 'f', 3);
    }
    m_count->setToolTip(tip);
    m_count->setText(text);
    // A filter that hid the sample shown leaves no stale code, title or bars behind.
    if (!m_table->selectionModel()->currentIndex().isValid() && !m_sampleTitle->text().isEmpty()) {
        m_code->setCode(QString());
        m_sampleTitle->clear();
        m_bars->setProbabilities({}, {}, -1);
        m_neighbour->hide();
    }
}

void SamplesPanel::showSampleTitle(int row)
{
    const SampleData& d = *m_model->samples();
    const std::int64_t sample = m_model->sampleRow(row);
    const int truth = m_model->trueClass(row), pred = m_model->predicted(row);
    auto name = [&](int k) { return k >= 0 && k < d.numClasses ? QString::fromStdString(d.labelNames[static_cast<std::size_t>(k)]) : QString(); };
    // Two classes: the prediction is at the Evaluation slider's threshold; say which.
    const QString at = d.numClasses == 2 ? tr(" &nbsp; (threshold %1, set in Evaluation)").arg(m_model->threshold(), 0, 'f', 3)
                                         : QString();
    m_sampleTitle->setText(tr("<b>%1</b> &nbsp; true: <b>%2</b> &nbsp; predicted: <b style='color:%4'>%3</b>%5")
                               .arg(QString::fromStdString(d.ids[static_cast<std::size_t>(sample)]).toHtmlEscaped(),
                                    name(truth), name(pred),
                                    truth == pred ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828"), at));
}

void SamplesPanel::showSample(const QModelIndex& proxyIndex)
{
    if (!proxyIndex.isValid() || !m_model->samples())
        return;
    const int row = m_proxy->mapToSource(proxyIndex).row();
    const SampleData& d = *m_model->samples();
    const std::int64_t sample = m_model->sampleRow(row);
    const int truth = m_model->trueClass(row);
    QStringList names;
    for (const auto& n : d.labelNames)
        names << QString::fromStdString(n);
    showSampleTitle(row);
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
        m_neighbour->hide(); // an empty pane would only take the code's room
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
    m_neighbour->setVisible(!other.isEmpty());
    if (!other.isEmpty()) {
        // The lines that differ: on fix pairs, the fix itself.
        const QColor changed(255, 236, 179);
        m_code->setMarkedLines(CodeViewer::linesNotIn(code, other), changed);
        m_neighbour->setMarkedLines(CodeViewer::linesNotIn(other, code), changed);
    }
}

} // namespace headbench
