#pragma once
/// \file RankDialog.h
#include <headbench/train/Rank.h>

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

QT_BEGIN_NAMESPACE
class QLabel;
class QProgressBar;
QT_END_NAMESPACE

namespace headbench {

class RankChartView;

/// Tools ▸ Rank representations: scores every feature set of the loaded file (rankFeatureSets,
/// off the GUI thread) and shows the chart per layer and the table.
class RankDialog : public QDialog {
    Q_OBJECT
public:
    explicit RankDialog(QStringList files, QWidget* parent = nullptr);
    /// Cancels a ranking still running and waits for its current feature set.
    ~RankDialog() override;

    /// Starts the ranking (the dialog does on show).
    void start();
    bool isRunning() const { return m_watcher.isRunning(); }
    RankChartView* view() const { return m_view; }
    QLabel* statusLabel() const { return m_status; }

Q_SIGNALS:
    void rankingFinished(bool ok);

private:
    struct Outcome {
        std::vector<RankEntry> entries;
        QString error;
    };
    /// Shared with the worker: progress it reports, the stop the GUI thread sets directly.
    struct Shared : RankObserver {
        std::atomic<bool> stop{false};
        std::atomic<int> done{0}, total{0};
        void onProgress(int d, int t, const std::string&) override
        {
            done = d;
            total = t;
        }
        bool shouldStop() override { return stop; }
    };

    QStringList m_files;
    std::shared_ptr<Shared> m_shared = std::make_shared<Shared>();
    QFutureWatcher<Outcome> m_watcher;
    RankChartView* m_view;
    QLabel* m_status;
    QProgressBar* m_progress;
    bool m_started = false;
};

} // namespace headbench
