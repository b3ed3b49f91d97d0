#include "JobStatusBar.h"

#include <headbench/train/Trainer.h>

#include <QDateTime>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStatusBar>

#include <cmath>

namespace headbench {
namespace {

QString metricText(double v)
{
    return std::isfinite(v) ? QString::number(v, 'f', 3) : QStringLiteral("–");
}

} // namespace

JobStatusBar::JobStatusBar(QStatusBar* bar, QObject* parent)
    : QObject(parent)
    , m_label(new QLabel)
    , m_progress(new QProgressBar)
    , m_cancel(new QPushButton(tr("Cancel")))
{
    m_label->setObjectName(QStringLiteral("statusMessage"));
    // A long message (a run's folder, a file's path) is cut at the window's edge, never widens
    // the window; the whole of it is the tooltip.
    m_label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_progress->setObjectName(QStringLiteral("jobProgress"));
    m_cancel->setObjectName(QStringLiteral("cancelJobButton"));
    m_progress->setMaximumWidth(220);
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    bar->addWidget(m_label, 1);
    bar->addPermanentWidget(m_progress);
    bar->addPermanentWidget(m_cancel);
    connect(m_cancel, &QPushButton::clicked, this, &JobStatusBar::cancelClicked);
}

QString JobStatusBar::formatSeconds(double s)
{
    if (!std::isfinite(s) || s < 0)
        return QStringLiteral("–");
    const int t = static_cast<int>(std::lround(s));
    return t >= 60 ? tr("%1 min %2 s").arg(t / 60).arg(t % 60) : tr("%1 s").arg(t);
}

void JobStatusBar::showMessage(const QString& message)
{
    m_runMessage.clear();
    m_label->setText(message);
    m_label->setToolTip(message);
}

void JobStatusBar::showRunMessage(const QString& message)
{
    showMessage(message);
    m_runMessage = message;
}

void JobStatusBar::runChanged()
{
    // Only while it is still the text shown (training and jobs write their own).
    if (!m_runMessage.isEmpty() && m_label->text() == m_runMessage)
        showMessage(tr("Ready"));
    m_runMessage.clear();
}

QString JobStatusBar::text() const
{
    return m_label->text();
}

void JobStatusBar::jobStarted(const QString& title)
{
    m_label->setText(title + QStringLiteral("…"));
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_cancel->setVisible(true);
}

void JobStatusBar::jobProgress(qint64 done, qint64 total, double rate, double left)
{
    if (total <= 0)
        return;
    m_progress->setRange(0, 1000);
    m_progress->setValue(static_cast<int>(1000 * done / total));
    m_label->setText(tr("Extracting: %1 of %2 rows, %3 rows/s, %4 left")
                         .arg(done)
                         .arg(total)
                         .arg(rate, 0, 'f', 0)
                         .arg(formatSeconds(left)));
}

void JobStatusBar::jobFinished()
{
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    if (m_label->text().endsWith(QStringLiteral("…")) || m_label->text().startsWith(tr("Extracting")))
        m_label->setText(tr("Ready"));
}

double JobStatusBar::trainingSeconds() const
{
    return static_cast<double>(QDateTime::currentMSecsSinceEpoch() - m_trainStartMs) / 1000.0;
}

void JobStatusBar::trainingStarted(int epochs)
{
    m_trainStartMs = QDateTime::currentMSecsSinceEpoch();
    m_trainEpochs = std::max(1, epochs);
    m_trainEstimate.reset();
    m_trainEstimate.add(0.0, 0.0);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_label->setText(tr("Training…"));
}

void JobStatusBar::trainingBatch(int epoch, int batch, int batches)
{
    const double done = (epoch - 1) + static_cast<double>(batch) / std::max(1, batches);
    m_trainEstimate.add(trainingSeconds(), done);
    m_progress->setValue(static_cast<int>(1000.0 * done / m_trainEpochs));
}

void JobStatusBar::trainingEpoch(const EpochStats& e)
{
    const double elapsed = trainingSeconds();
    m_trainEstimate.add(elapsed, e.epoch);
    // Early stopping may end training sooner; the time left is for the epochs planned.
    // An L-BFGS probe's entries are the L2 penalties it tries, not epochs.
    const QString step = e.iterations > 0 ? tr("L2 penalty %1/%2 (%3)").arg(e.epoch).arg(m_trainEpochs).arg(e.l2, 0, 'g', 3)
                                          : tr("Epoch %1/%2").arg(e.epoch).arg(m_trainEpochs);
    m_label->setText(tr("%1 · train loss %2 · val loss %3 · val F1 %4 · elapsed %5 · ETA %6")
                         .arg(step)
                         .arg(e.trainLoss, 0, 'f', 4)
                         .arg(e.valLoss, 0, 'f', 4)
                         .arg(metricText(e.valF1), formatSeconds(elapsed),
                              formatSeconds(m_trainEstimate.secondsLeft(m_trainEpochs))));
}

void JobStatusBar::crossValidationProgress(int fold, int folds, double progress)
{
    if (fold == 0 && progress <= 0.0) { // the run is trained: time the folds on their own
        m_cvStartMs = QDateTime::currentMSecsSinceEpoch();
        m_cvEstimate.reset();
        m_cvEstimate.add(0.0, 0.0);
    }
    const double elapsed = static_cast<double>(QDateTime::currentMSecsSinceEpoch() - m_cvStartMs) / 1000.0;
    m_cvEstimate.add(elapsed, progress);
    m_progress->setVisible(true);
    m_progress->setValue(static_cast<int>(1000.0 * progress));
    m_label->setText(tr("Cross-validation: fold %1 of %2 · elapsed %3 · ETA %4")
                         .arg(fold + 1)
                         .arg(folds)
                         .arg(formatSeconds(elapsed), formatSeconds(m_cvEstimate.secondsLeft(1.0))));
}

void JobStatusBar::trainingEnded(const QString& message)
{
    m_progress->setVisible(false);
    m_label->setText(message);
}

} // namespace headbench
