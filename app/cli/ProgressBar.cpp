#include "ProgressBar.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace headbench::cli {

ProgressBar::ProgressBar(std::string label)
    : m_label(std::move(label))
    , m_enabled(isatty(STDERR_FILENO) == 1)
    , m_start(std::chrono::steady_clock::now())
{
}

ProgressBar::~ProgressBar()
{
    finish();
}

void ProgressBar::update(long long done, long long total, const std::string& note, double workDone, double workTotal)
{
    if (!m_enabled)
        return;
    const auto now = std::chrono::steady_clock::now();
    const bool byWork = workTotal > 0 && workDone >= 0;
    m_estimate.add(std::chrono::duration<double>(now - m_start).count(), byWork ? workDone : static_cast<double>(done));
    if (m_drawn && done < total && now - m_last < std::chrono::milliseconds(100))
        return;
    m_last = now;
    m_drawn = true;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    const double left = m_estimate.secondsLeft(byWork ? workTotal : static_cast<double>(total));
    const std::string eta = std::isfinite(left) ? fmt::format("{:.0f}s left", left) : std::string("--s left");
    fmt::print(stderr, "\r{:<10} [{:=<{}}{:<{}}] {:3.0f}% {}/{}  {}  {}\033[K", m_label, "", filled, "",
               width - filled, fraction * 100, done, total, eta, note);
    std::fflush(stderr);
}

void ProgressBar::finish()
{
    if (m_enabled && m_drawn) {
        fmt::print(stderr, "\n");
        m_drawn = false;
    }
}

} // namespace headbench::cli
