#include "DataPanel.h"

#include <headbench/core/Plural.h>
#include <headbench/data/FeatureFile.h>

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace headbench {

namespace {

/// A scroll area that asks for its text's whole height: the dock shows all of it when there is
/// room, and scrolls only when there is not.
class SummaryScrollArea : public QScrollArea {
public:
    QSize sizeHint() const override
    {
        QSize hint = QScrollArea::sizeHint();
        if (widget()) {
            const int w = viewport()->width() > 50 ? viewport()->width() : widget()->sizeHint().width();
            hint.setHeight(widget()->heightForWidth(w) + 2 * frameWidth());
        }
        return hint;
    }
};

} // namespace

DataPanel::DataPanel(QWidget* parent)
    : QWidget(parent)
    , m_summary(new QLabel)
    , m_summaryScroll(new SummaryScrollArea)
    , m_splitMode(new QComboBox)
{
    auto* layout = new QVBoxLayout(this);
    m_summary->setObjectName(QStringLiteral("dataSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    // In a short dock (1024x680) the summary scrolls rather than losing its last lines (the
    // split, what training uses) under the buttons.
    QScrollArea* summaryScroll = m_summaryScroll;
    summaryScroll->setObjectName(QStringLiteral("dataSummaryScroll"));
    summaryScroll->setWidgetResizable(true);
    summaryScroll->setFrameShape(QFrame::NoFrame);
    summaryScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    summaryScroll->setWidget(m_summary);
    summaryScroll->viewport()->setAutoFillBackground(false);
    m_summary->setAutoFillBackground(false);
    layout->addWidget(summaryScroll, 1);
    // Which split training uses: the file's own, by group, or random (the leakage check then
    // says how much the random one leaks).
    auto* splitRow = new QHBoxLayout;
    m_splitMode->setObjectName(QStringLiteral("splitMode"));
    // The dock stays narrow on a small screen: the combo may show its choice shortened.
    m_splitMode->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_splitMode->setMinimumContentsLength(10);
    // Short names, so that the choice shows whole in a dock 190 px wide (1024x680); each item's
    // tooltip says what it does.
    const struct {
        SplitMode mode;
        QString name, explanation;
    } modes[] = {{SplitMode::Auto, tr("auto"), tr("The file's own split, else by group, else random")},
                 {SplitMode::File, tr("file's own"), tr("The split stored in the feature file")},
                 {SplitMode::Group, tr("by group"), tr("80/10/10 with each group (fix pair, project) on one side")},
                 {SplitMode::Random, tr("random"), tr("80/10/10, stratified by class")}};
    for (const auto& m : modes) {
        m_splitMode->addItem(m.name, static_cast<int>(m.mode));
        m_splitMode->setItemData(m_splitMode->count() - 1, m.explanation, Qt::ToolTipRole);
    }
    m_splitMode->setToolTip(tr("The split training uses. By group keeps each group (fix pair, project) on one side; "
                               "random may put near-identical rows on both sides, which the leakage check reports."));
    splitRow->addWidget(new QLabel(tr("Split:")));
    splitRow->addWidget(m_splitMode, 1);
    layout->addLayout(splitRow);
    connect(m_splitMode, &QComboBox::currentIndexChanged, this, [this] {
        if (m_features) // the summary says which split training will use
            showData(m_workspace, m_featuresPath, m_features);
        Q_EMIT splitModeChanged(splitMode());
    });

    auto* openFeatures = new QPushButton(tr("Open features…"));
    auto* importData = new QPushButton(tr("Import dataset…"));
    auto* demo = new QPushButton(tr("Demo workspace"));
    openFeatures->setObjectName(QStringLiteral("openFeaturesButton"));
    importData->setObjectName(QStringLiteral("importDatasetButton"));
    demo->setObjectName(QStringLiteral("demoWorkspaceButton"));
    layout->addWidget(openFeatures);
    layout->addWidget(importData);
    layout->addWidget(demo);
    connect(openFeatures, &QPushButton::clicked, this, &DataPanel::openFeaturesClicked);
    connect(importData, &QPushButton::clicked, this, &DataPanel::importClicked);
    connect(demo, &QPushButton::clicked, this, &DataPanel::demoClicked);
}

SplitMode DataPanel::splitMode() const
{
    return static_cast<SplitMode>(m_splitMode->currentData().toInt());
}

QString DataPanel::summaryText() const
{
    return m_summary->text();
}

void DataPanel::showData(const QString& workspace, const QString& featuresPath, const std::shared_ptr<const FeatureSet>& features)
{
    m_workspace = workspace;
    m_featuresPath = featuresPath;
    m_features = features;
    QString html = tr("<b>Workspace</b><br>%1<br><br>")
                       .arg(workspace.isEmpty() ? tr("<i>none — open one or the demo</i>")
                                                : QDir::toNativeSeparators(workspace).toHtmlEscaped());
    if (!features) {
        m_summary->setToolTip(QString());
        html += tr("<b>Features</b><br><i>none loaded</i>");
        m_summary->setText(html);
        m_summaryScroll->updateGeometry(); // a longer summary asks the dock for more room
        return;
    }
    // The split choices the file can give: by group needs /groups, the file's own needs /split.
    // A choice made for another file falls back to auto instead of refusing to train.
    auto* model = qobject_cast<QStandardItemModel*>(m_splitMode->model());
    for (const auto& [mode, available] : {std::pair{SplitMode::Group, !features->groups.empty()},
                                          std::pair{SplitMode::File, !features->split.empty()}}) {
        const int i = m_splitMode->findData(static_cast<int>(mode));
        if (model && i >= 0)
            model->item(i)->setEnabled(available);
        if (!available && splitMode() == mode)
            m_splitMode->setCurrentIndex(m_splitMode->findData(static_cast<int>(SplitMode::Auto)));
    }
    const FeatureSummary s = summarize(*features);
    // Where the file is: relative to the workspace when inside it, else its whole path (a bare
    // "juliet.h5" hid that the file open was /tmp/ux/ws/juliet.h5, outside the workspace). Cut
    // in the middle past 44 characters, so the dock keeps its width; the tooltip has it whole.
    const QString absolute = QFileInfo(featuresPath).absoluteFilePath();
    QString shown = absolute;
    if (!workspace.isEmpty()) {
        const QString relative = QDir(workspace).relativeFilePath(absolute);
        if (!relative.startsWith(QLatin1String("..")) && !QDir::isAbsolutePath(relative))
            shown = relative;
    }
    shown = QDir::toNativeSeparators(shown);
    if (shown.size() > 44)
        shown = shown.left(14) + QChar(0x2026) + shown.right(29);
    m_summary->setToolTip(QDir::toNativeSeparators(absolute));
    html += tr("<b>Features</b><br>%1<br>%2 × %3 dims<br>backbone: %4<br>")
                .arg(shown.toHtmlEscaped())
                .arg(QString::fromStdString(plural(s.rows, "row")))
                .arg(s.dim)
                .arg(QString::fromStdString(s.backbone.empty() ? "?" : s.backbone).toHtmlEscaped());
    // At most 12 classes, names cut at 40 characters: a file with hundreds of classes, or class
    // names that are whole functions, must not stretch the dock (and the window) past the screen.
    constexpr std::size_t shownClasses = 12;
    for (std::size_t k = 0; k < s.labelNames.size() && k < shownClasses; ++k) {
        QString name = QString::fromStdString(s.labelNames[k]).simplified();
        if (name.size() > 40)
            name = name.left(39) + QChar(0x2026);
        html += tr("&nbsp;&nbsp;%1: %2 (%3%)<br>")
                    .arg(name.toHtmlEscaped())
                    .arg(s.classCounts[k])
                    .arg(100.0 * s.classCounts[k] / s.rows, 0, 'f', 1);
    }
    if (s.labelNames.size() > shownClasses)
        html += tr("&nbsp;&nbsp;… and %1 more %2<br>")
                    .arg(s.labelNames.size() - shownClasses)
                    .arg(s.labelNames.size() - shownClasses == 1 ? tr("class") : tr("classes"));
    // Each count named (a bare "8000 / 0 / 2000" left users guessing), and what an empty
    // validation split means for training.
    html += s.hasSplit ? tr("split (%1): %2 train · %3 validation · %4 test%5")
                             .arg(s.splitSource.empty() ? tr("stored") : QString::fromStdString(s.splitSource).toHtmlEscaped())
                             .arg(QLocale().toString(static_cast<qlonglong>(s.splitCounts[0])))
                             .arg(QLocale().toString(static_cast<qlonglong>(s.splitCounts[1])))
                             .arg(QLocale().toString(static_cast<qlonglong>(s.splitCounts[2])))
                             .arg(s.splitCounts[1] == 0 && s.splitCounts[0] > 0
                                      ? tr("<br>&nbsp;&nbsp;validation: a ninth of the train rows, set aside by training")
                                      : QString())
          : s.hasGroups ? tr("split: 80/10/10 by group (%1)").arg(QString::fromStdString(plural(s.groupCount, "group")))
                        : tr("split: stratified 80/10/10 by seed");
    // The file's split is not always the one training uses: say which one the chooser picked.
    if (splitMode() == SplitMode::Random && (s.hasSplit || s.hasGroups))
        html += tr("<br><b>training uses:</b> random, stratified 80/10/10 (chosen below)");
    else if (splitMode() == SplitMode::Group && s.hasSplit)
        html += tr("<br><b>training uses:</b> by group, 80/10/10 (chosen below)");
    m_summary->setText(html);
    m_summaryScroll->updateGeometry(); // a longer summary asks the dock for more room
}

} // namespace headbench
