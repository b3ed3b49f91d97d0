#include "RankDialog.h"

#include <headbench/core/Plural.h>

#include "RankChartView.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QLabel>
#include <QProgressBar>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace headbench {

RankDialog::RankDialog(QStringList files, QWidget* parent)
    : QDialog(parent)
    , m_files(std::move(files))
    , m_view(new RankChartView)
    , m_status(new QLabel)
    , m_progress(new QProgressBar)
{
    setObjectName(QStringLiteral("rankDialog"));
    setWindowTitle(tr("Rank representations"));
    m_status->setObjectName(QStringLiteral("rankStatus"));
    m_status->setWordWrap(true);
    QStringList names;
    for (const QString& f : m_files)
        names << QFileInfo(f).fileName();
    m_status->setText(tr("Scoring every feature set of %1 by LogME and a converged linear probe…").arg(names.join(QStringLiteral(", "))));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_progress);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(900, 640);

    auto* poll = new QTimer(this); // progress is polled: the worker never signals per feature set
    poll->setInterval(100);
    connect(poll, &QTimer::timeout, this, [this] {
        m_progress->setRange(0, std::max(1, m_shared->total.load()));
        m_progress->setValue(m_shared->done);
    });
    connect(&m_watcher, &QFutureWatcherBase::started, poll, qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFutureWatcherBase::finished, this, [this, poll] {
        poll->stop();
        m_progress->setVisible(false);
        const Outcome out = m_watcher.result();
        if (!out.error.isEmpty()) {
            m_status->setText(tr("Ranking failed: %1").arg(out.error));
            Q_EMIT rankingFinished(false);
            return;
        }
        m_view->setEntries(out.entries);
        const RankEntry* best = out.entries.empty() ? nullptr : &out.entries.front();
        m_status->setText(best ? tr("%1 scored; best by LogME: %2 (LogME %3, probe validation F1 %4).")
                                     .arg(QString::fromStdString(plural(out.entries.size(), "feature set")))
                                     .arg(QString::fromStdString(best->featureSet))
                                     .arg(best->logme, 0, 'f', 4)
                                     .arg(best->probeValF1, 0, 'f', 4)
                               : tr("No feature set was scored."));
        Q_EMIT rankingFinished(true);
    });
}

RankDialog::~RankDialog()
{
    // The worker holds only the shared state and copies of the paths; it stops between feature
    // sets, and the dialog waits for that so no result arrives after it is gone.
    m_shared->stop = true;
    m_watcher.waitForFinished();
}

void RankDialog::start()
{
    if (m_started)
        return;
    m_started = true;
    std::vector<std::string> files;
    for (const QString& f : m_files)
        files.push_back(f.toStdString());
    m_watcher.setFuture(QtConcurrent::run([files, shared = m_shared]() -> Outcome {
        Outcome out;
        try { // every exception ends here: none may escape into Qt's thread pool
            out.entries = rankFeatureSets(files, {}, shared.get());
        } catch (const std::exception& e) {
            out.error = QString::fromStdString(e.what());
        }
        return out;
    }));
}

} // namespace headbench
