#pragma once
/// \file JobStatusBar.h
/// The window's status bar: a message, and while a job runs (an import, an extraction,
/// training) its progress, the time left and a Cancel button for the workspace's jobs.
#include <headbench/core/ProgressEstimate.h>

#include <QObject>
#include <QString>

class QLabel;
class QProgressBar;
class QPushButton;
class QStatusBar;

namespace headbench {

struct EpochStats;

class JobStatusBar : public QObject {
    Q_OBJECT
public:
    /// Puts its widgets into `bar`.
    explicit JobStatusBar(QStatusBar* bar, QObject* parent = nullptr);

    void showMessage(const QString& message);
    /// A message about the run on screen ("threshold saved", "interrupted after 3 epochs"):
    /// it goes when another run is shown (runChanged), where it would read as that run's.
    void showRunMessage(const QString& message);
    /// Another run is shown: clears a message of the previous run, keeps any other.
    void runChanged();
    QString text() const;
    QPushButton* cancelButton() const { return m_cancel; }

    /// A workspace job (import, extraction): busy until its first progress report.
    void jobStarted(const QString& title);
    /// `rowsPerSecond` so far; `secondsLeft` NaN until known.
    void jobProgress(qint64 done, qint64 total, double rowsPerSecond, double secondsLeft);
    void jobFinished();

    void trainingStarted(int epochs);
    void trainingBatch(int epoch, int batch, int batches);
    void trainingEpoch(const EpochStats& stats);
    /// Cross-validation after the run: fold (0-based) of folds, `progress` of all folds in [0, 1].
    void crossValidationProgress(int fold, int folds, double progress);
    /// Training ended (saved, stopped or failed): the bar goes, the message stays.
    void trainingEnded(const QString& message);

    /// "1 min 34 s", "9 s"; "–" when not known.
    static QString formatSeconds(double seconds);

Q_SIGNALS:
    void cancelClicked();

private:
    double trainingSeconds() const;

    QLabel* m_label;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    qint64 m_trainStartMs = 0;
    int m_trainEpochs = 0;
    ProgressEstimate m_trainEstimate; ///< in epochs, fed every batch
    qint64 m_cvStartMs = 0;
    ProgressEstimate m_cvEstimate;    ///< in folds (0..1 of all), fed as the fold heads train
    QString m_runMessage; ///< the last message about the run on screen
};

} // namespace headbench
