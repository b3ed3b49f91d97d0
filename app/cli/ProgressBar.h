#pragma once
/// \file ProgressBar.h
#include <chrono>
#include <string>

namespace headbench::cli {

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and at most ten
/// times a second, so scripts and logs get clean output.
class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    ~ProgressBar();
    /// Redraws with `done` of `total` and a free-form note (e.g. "loss 0.31").
    void update(long long done, long long total, const std::string& note = {});
    /// Ends the line (keeps the last state visible).
    void finish();

private:
    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start, m_last;
};

} // namespace headbench::cli
