// The time left of a long job: right within 30% once a tenth of the work is done, even when the
// job starts slowly (a model loaded, caches warming up), where a whole-job average is not.
#include <headbench/core/ProgressEstimate.h>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

using namespace headbench;

namespace {

/// A job of `units` steps, step u taking `cost(u)` seconds, reported after every step. Returns,
/// for every step from `from` of the work on, the ratio of the estimate to the true time left
/// (the estimator's, or the whole-job average's when `wholeJob`).
std::vector<double> ratios(int units, const std::function<double(int)>& cost, double from, bool wholeJob = false)
{
    std::vector<double> finish(static_cast<std::size_t>(units) + 1, 0.0);
    for (int u = 0; u < units; ++u)
        finish[static_cast<std::size_t>(u) + 1] = finish[static_cast<std::size_t>(u)] + cost(u);
    ProgressEstimate estimate;
    estimate.add(0.0, 0.0);
    std::vector<double> out;
    for (int done = 1; done < units; ++done) {
        const double now = finish[static_cast<std::size_t>(done)];
        estimate.add(now, done);
        if (done < from * units)
            continue;
        const double left = finish.back() - now;
        const double guess = wholeJob ? now / done * (units - done) : estimate.secondsLeft(units);
        out.push_back(guess / left);
    }
    return out;
}

double worst(const std::vector<double>& r)
{
    double w = 0;
    for (double x : r)
        w = std::max(w, std::abs(x - 1));
    return w;
}

} // namespace

TEST(ProgressEstimate, ASlowStartIsLeftBehindByATenthOfTheWork)
{
    // The first 5% of the steps take ten times as long as the rest.
    const auto slowStart = [](int u) { return u < 50 ? 1.0 : 0.1; };
    const auto r = ratios(1000, slowStart, 0.10);
    EXPECT_LT(worst(r), 0.30) << "the estimate is off by more than 30% after 10% of the work";
    // What the window said before (elapsed / done): still about 4x too long at 10%.
    const auto before = ratios(1000, slowStart, 0.10, /*wholeJob=*/true);
    EXPECT_GT(before.front(), 3.0);
    EXPECT_GT(worst(before), 0.30);
}

TEST(ProgressEstimate, ConstantRateIsExact)
{
    for (double r : ratios(400, [](int) { return 0.25; }, 0.01))
        EXPECT_NEAR(r, 1.0, 1e-9);
}

TEST(ProgressEstimate, AJobThatSlowsDownIsFollowed)
{
    // Halfway, every step starts taking three times as long (longer texts at the end of a file):
    // within 30% again by 70% of the work, where the whole-job average is still 50% short.
    const auto slowsDown = [](int u) { return u < 500 ? 0.1 : 0.3; };
    const auto r = ratios(1000, slowsDown, 0.70);
    EXPECT_LT(worst(r), 0.30);
    EXPECT_LT(ratios(1000, slowsDown, 0.70, /*wholeJob=*/true).front(), 0.55);
}

TEST(ProgressEstimate, StallsLowerTheRateAndNothingIsSaidTooEarly)
{
    ProgressEstimate e;
    EXPECT_TRUE(std::isnan(e.secondsLeft(10)));
    e.add(0, 0);
    EXPECT_TRUE(std::isnan(e.secondsLeft(10))) << "one sample tells no rate";
    e.add(5, 0);
    EXPECT_TRUE(std::isnan(e.secondsLeft(10))) << "no work done yet";
    e.add(10, 3);
    e.add(20, 6); // 0.3 units/s
    EXPECT_NEAR(e.rate(), 0.3, 1e-9);
    EXPECT_NEAR(e.secondsLeft(10), 4 / 0.3, 1e-9);
    e.add(40, 6); // no progress for 20 s
    EXPECT_LT(e.rate(), 0.3);
    EXPECT_NEAR(e.rate(), 2.0 / (40 - 40.0 / 3), 1e-9) << "the last third of the work: from 4 units (at 13.3 s) to 6 at 40 s";
    e.add(41, 10);
    EXPECT_NEAR(e.secondsLeft(10), 0.0, 1e-12);
}

TEST(ProgressEstimate, AResumedJobCountsOnlyTheWorkDoneSinceItsStart)
{
    // 900 of 1000 rows were in the file already; the rest go at 10 rows per second.
    ProgressEstimate e;
    e.add(0, 900);
    for (int s = 1; s <= 5; ++s)
        e.add(s, 900 + 10 * s);
    EXPECT_NEAR(e.rate(), 10.0, 1e-9);
    EXPECT_NEAR(e.secondsLeft(1000), 5.0, 1e-9);
}
