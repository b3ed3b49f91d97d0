#include "ProgressBar.h"

#include <fmt/format.h>

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

void ProgressBar::update(long long done, long long total, const std::string& note)
{
    if (!m_enabled)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (m_drawn && done < total && now - m_last < std::chrono::milliseconds(100))
        return;
    m_last = now;
    m_drawn = true;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
    fmt::print(stderr, "\r{:<10} [{:=<{}}{:<{}}] {:3.0f}% {}/{}  {:.0f}s left  {}\033[K", m_label, "", filled, "",
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
