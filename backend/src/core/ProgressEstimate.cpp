#include <headbench/core/ProgressEstimate.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace headbench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// The window: the last third of the work done since the first sample.
constexpr double kRecentShare = 1.0 / 3.0;

} // namespace

void ProgressEstimate::add(double seconds, double done)
{
    if (!std::isfinite(seconds) || !std::isfinite(done))
        return;
    if (!m_samples.empty()) {
        seconds = std::max(seconds, m_samples.back().first);
        done = std::max(done, m_samples.back().second);
        // No progress: the time still counts (a stall lowers the rate). The sample that reached
        // this amount keeps its time; a second one holds the newest.
        const std::size_t n = m_samples.size();
        if (done == m_samples.back().second && n > 1 && m_samples[n - 2].second == done) {
            m_samples.back().first = seconds;
            return;
        }
    }
    m_samples.emplace_back(seconds, done);
    // Samples older than the window are no longer needed, but for the one just before it
    // (the interpolation's left end) and the first (the job's start, which sets the window).
    const double startDone = m_samples.front().second;
    const double from = done - kRecentShare * (done - startDone);
    while (m_samples.size() > 3 && m_samples[2].second <= from)
        m_samples.erase(m_samples.begin() + 1);
}

double ProgressEstimate::rate() const
{
    if (m_samples.size() < 2)
        return kNaN;
    const auto [now, done] = m_samples.back();
    const double from = done - kRecentShare * (done - m_samples.front().second);
    // The time at which `from` units were done, between the two samples around it.
    std::size_t i = m_samples.size() - 1;
    while (i > 0 && m_samples[i - 1].second > from)
        --i;
    if (i == 0)
        return kNaN;
    const auto [t0, d0] = m_samples[i - 1];
    const auto [t1, d1] = m_samples[i];
    const double at = d1 > d0 ? t0 + (t1 - t0) * (from - d0) / (d1 - d0) : t1;
    const double seconds = now - at;
    if (!(seconds > 0) || !(done > from))
        return kNaN;
    return (done - from) / seconds;
}

double ProgressEstimate::secondsLeft(double total) const
{
    const double r = rate();
    if (!(r > 0) || m_samples.empty())
        return kNaN;
    return std::max(0.0, total - m_samples.back().second) / r;
}

} // namespace headbench
