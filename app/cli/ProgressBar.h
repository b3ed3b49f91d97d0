#pragma once
/// \file ProgressBar.h
#include <headbench/core/ProgressEstimate.h>

#include <chrono>
#include <string>

namespace headbench::cli {

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and at most ten
/// times a second, so scripts and logs get clean output.
class ProgressBar {
public:
    explicit ProgressBar(std::string label);
    ~ProgressBar();
    /// Redraws with `done` of `total` and a free-form note (e.g. "loss 0.31"). The time left is
    /// estimated from `workDone` of `workTotal` when given (e.g. tokens, when rows differ in
    /// cost), else from done of total.
    void update(long long done, long long total, const std::string& note = {}, double workDone = -1, double workTotal = -1);
    /// Ends the line (keeps the last state visible).
    void finish();

private:
    std::string m_label;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start, m_last;
    ProgressEstimate m_estimate; ///< the time left, from the rate of the recent work
};

} // namespace headbench::cli
