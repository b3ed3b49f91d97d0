#pragma once
/// \file ProgressEstimate.h
/// The time left of a long job (extraction, training), as the window's status bar and the CLI's
/// progress bar show it.
///
/// The rate is measured over the most recent third of the work done so far, not over the whole
/// job: the first batches of a job are often much slower (a model loaded, caches and the thread
/// pool warming up), and a whole-job average then overestimates the time left for a long while
/// (an extraction said 1 min 34 s left of a job that took 9 s). A window in units of work rather
/// than seconds leaves a slow start behind at the same pace whatever the job's length, and still
/// follows a job that slows down (longer texts later in a file) once a third of the work since
/// the change is done. Between samples, the time at the window's start is interpolated.
#include <cstddef>
#include <deque>
#include <utility>

namespace headbench {

class ProgressEstimate {
public:
    /// A sample: `done` units of work at `seconds` (from any fixed origin; neither goes back).
    /// The first sample is the job's start (e.g. 0 done, or the rows a resumed job already had).
    void add(double seconds, double done);
    /// Units of work per second over the recent third of the work; NaN until it can tell.
    double rate() const;
    /// Seconds until `total` units are done at that rate; NaN until it can tell.
    double secondsLeft(double total) const;
    void reset() { m_samples.clear(); }

private:
    std::deque<std::pair<double, double>> m_samples; ///< (seconds, done)
};

} // namespace headbench
