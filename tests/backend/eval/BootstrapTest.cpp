// Bootstrap intervals and paired differences. The reference is a plain bootstrap written here
// from the definition: copy the drawn rows, call computeMetrics on them, take percentiles. The
// backend reaches the same intervals by weighting rows instead; both must agree within the
// sampling error of 1,000 resamples.
#include <headbench/core/Error.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Compare.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/Metrics.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace headbench;

namespace {

struct Split {
    std::vector<std::int32_t> labels;
    std::vector<float> probs;
    int k = 2;
};

/// A classifier's outputs: class `c` rows get a noisy score around a class-dependent mean.
/// `decimals` rounds the probabilities so that many scores tie, as saved predictions do.
Split makeSplit(std::size_t n, int k, std::uint64_t seed, double signal = 1.2, int decimals = 2, double positiveShare = 0.3)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    Split s;
    s.k = k;
    const double scale = std::pow(10.0, decimals);
    for (std::size_t i = 0; i < n; ++i) {
        const int label = k == 2 ? (u(rng) < positiveShare ? 1 : 0) : static_cast<int>(rng() % static_cast<unsigned>(k));
        s.labels.push_back(label);
        std::vector<double> logits(static_cast<std::size_t>(k));
        for (int c = 0; c < k; ++c)
            logits[static_cast<std::size_t>(c)] = (c == label ? signal : 0.0) + noise(rng);
        double sum = 0;
        for (double& l : logits)
            sum += (l = std::exp(l));
        double rest = 1.0;
        for (int c = 0; c < k; ++c) {
            double p = std::round(logits[static_cast<std::size_t>(c)] / sum * scale) / scale;
            p = c + 1 == k ? std::max(0.0, rest) : std::min(p, rest);
            rest -= p;
            s.probs.push_back(static_cast<float>(p));
        }
    }
    return s;
}

double width(const Interval& i) { return i.high - i.low; }

std::vector<double> metricValues(const Metrics& m)
{
    std::vector<double> out;
    for (const MetricField& f : metricFields())
        out.push_back(m.*f.value);
    return out;
}

Interval percentile(std::vector<double> v, double level = 0.95)
{
    std::erase_if(v, [](double x) { return std::isnan(x); });
    if (v.empty())
        return {};
    std::sort(v.begin(), v.end());
    auto q = [&](double p) {
        const double h = p * static_cast<double>(v.size() - 1);
        const auto lo = static_cast<std::size_t>(h);
        const std::size_t hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
    };
    return {q((1 - level) / 2), q((1 + level) / 2)};
}

/// The naive stratified bootstrap: resample rows within each class by copying them. With
/// `second`, the same rows are drawn for both and the differences (second - first) collected.
std::vector<Interval> naiveBootstrap(const Split& s, const std::vector<float>* second, int resamples, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::vector<std::vector<std::size_t>> byClass(static_cast<std::size_t>(s.k));
    for (std::size_t i = 0; i < s.labels.size(); ++i)
        byClass[static_cast<std::size_t>(s.labels[i])].push_back(i);
    const std::size_t metrics = metricFields().size();
    std::vector<std::vector<double>> values(metrics);
    const auto k = static_cast<std::size_t>(s.k);
    for (int b = 0; b < resamples; ++b) {
        std::vector<std::int32_t> labels;
        std::vector<float> pa, pb;
        for (const auto& rows : byClass) {
            std::uniform_int_distribution<std::size_t> pick(0, rows.size() - 1);
            for (std::size_t j = 0; j < rows.size(); ++j) {
                const std::size_t r = rows[pick(rng)];
                labels.push_back(s.labels[r]);
                pa.insert(pa.end(), s.probs.begin() + static_cast<std::ptrdiff_t>(r * k), s.probs.begin() + static_cast<std::ptrdiff_t>((r + 1) * k));
                if (second)
                    pb.insert(pb.end(), second->begin() + static_cast<std::ptrdiff_t>(r * k), second->begin() + static_cast<std::ptrdiff_t>((r + 1) * k));
            }
        }
        const auto va = metricValues(computeMetrics(labels, pa, s.k));
        const auto vb = second ? metricValues(computeMetrics(labels, pb, s.k)) : std::vector<double>(metrics, 0.0);
        for (std::size_t m = 0; m < metrics; ++m)
            values[m].push_back(second ? vb[m] - va[m] : va[m]);
    }
    std::vector<Interval> out;
    for (auto& v : values)
        out.push_back(percentile(std::move(v)));
    return out;
}

/// Bounds of two bootstraps of 1,000 resamples agree to a fraction of the interval's width
/// (the percentile of 1,000 draws moves by roughly a tenth of the width between seeds).
void expectClose(const Interval& mine, const Interval& reference, const char* what)
{
    ASSERT_EQ(mine.valid(), reference.valid()) << what;
    if (!mine.valid())
        return;
    const double tolerance = 0.2 * std::max(width(reference), 1e-3) + 1e-9;
    EXPECT_NEAR(mine.low, reference.low, tolerance) << what;
    EXPECT_NEAR(mine.high, reference.high, tolerance) << what;
}

} // namespace

TEST(Bootstrap, AgreesWithCopyingTheRowsBinaryWithTies)
{
    const Split s = makeSplit(500, 2, 3);
    const MetricIntervals ci = bootstrapIntervals(s.labels, s.probs, 2, 0.5, {.seed = 11});
    const auto reference = naiveBootstrap(s, nullptr, 1000, 99);
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i)
        expectClose(ci.*fields[i].interval, reference[i], fields[i].json);
    EXPECT_EQ(ci.resamples, 1000);
    EXPECT_EQ(ci.level, 0.95);
}

TEST(Bootstrap, AgreesWithCopyingTheRowsThreeClasses)
{
    const Split s = makeSplit(450, 3, 5);
    const MetricIntervals ci = bootstrapIntervals(s.labels, s.probs, 3, 0.5, {.seed = 2});
    const auto reference = naiveBootstrap(s, nullptr, 1000, 7);
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i)
        expectClose(ci.*fields[i].interval, reference[i], fields[i].json);
    EXPECT_FALSE(ci.rocAuc.valid()); // ROC-AUC is a two-class figure
    EXPECT_TRUE(ci.f1.valid());
}

// A class named in label_names with no rows and no predictions: the figure averages over the
// two classes present, and so must every resample (the interval averaged over three, and fell
// below its own figure: f1 0.7600 [0.362, 0.623]).
TEST(Bootstrap, AMacroAverageLeavesOutAClassThatIsNowhere)
{
    const Split two = makeSplit(450, 2, 12, 1.0, 2, 0.5);
    Split s;
    s.k = 3;
    s.labels = two.labels;
    for (std::size_t r = 0; r < two.labels.size(); ++r)
        s.probs.insert(s.probs.end(), {two.probs[2 * r], two.probs[2 * r + 1], 0.0f});
    const MetricIntervals ci = bootstrapIntervals(s.labels, s.probs, 3, 0.5, {.seed = 4});
    const auto reference = naiveBootstrap(s, nullptr, 1000, 17);
    const Metrics m = computeMetrics(s.labels, s.probs, 3);
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const MetricField& f = fields[i];
        if (!(ci.*f.interval).valid())
            continue;
        expectClose(ci.*f.interval, reference[i], f.json);
        if (f.value == &Metrics::ece)
            continue;
        EXPECT_LE((ci.*f.interval).low, m.*f.value) << f.json;
        EXPECT_GE((ci.*f.interval).high, m.*f.value) << f.json;
    }
}

TEST(Bootstrap, IntervalHoldsThePointEstimateAndFollowsTheThreshold)
{
    const Split s = makeSplit(2000, 2, 8);
    for (double threshold : {0.3, 0.5, 0.7}) {
        const Metrics m = computeMetrics(s.labels, s.probs, 2, threshold);
        const MetricIntervals ci = bootstrapIntervals(s.labels, s.probs, 2, threshold);
        for (const MetricField& f : metricFields()) {
            if (f.value == &Metrics::ece)
                continue; // ECE is biased upwards under resampling: its point may sit below the interval
            const Interval& i = ci.*f.interval;
            EXPECT_LE(i.low, m.*f.value) << f.json << " at " << threshold;
            EXPECT_GE(i.high, m.*f.value) << f.json << " at " << threshold;
            EXPECT_LT(i.low, i.high) << f.json;
        }
    }
}

TEST(Bootstrap, SameSeedSameIntervalOtherSeedOtherDraws)
{
    const Split s = makeSplit(300, 2, 4);
    const MetricIntervals a = bootstrapIntervals(s.labels, s.probs, 2, 0.5, {.seed = 5});
    const MetricIntervals b = bootstrapIntervals(s.labels, s.probs, 2, 0.5, {.seed = 5});
    const MetricIntervals c = bootstrapIntervals(s.labels, s.probs, 2, 0.5, {.seed = 6});
    bool anyDiffers = false;
    for (const MetricField& f : metricFields()) {
        EXPECT_EQ((a.*f.interval).low, (b.*f.interval).low) << f.json;
        EXPECT_EQ((a.*f.interval).high, (b.*f.interval).high) << f.json;
        anyDiffers = anyDiffers || (a.*f.interval).low != (c.*f.interval).low;
    }
    EXPECT_TRUE(anyDiffers);
}

TEST(Bootstrap, WidthShrinksLikeOneOverRootN)
{
    // Sixteen times the rows: intervals about a quarter as wide.
    const Split small = makeSplit(400, 2, 21), large = makeSplit(6400, 2, 21);
    const MetricIntervals a = bootstrapIntervals(small.labels, small.probs, 2);
    const MetricIntervals b = bootstrapIntervals(large.labels, large.probs, 2);
    for (const MetricField& f : metricFields()) {
        if (f.value == &Metrics::ece)
            continue;
        const double ratio = width(b.*f.interval) / width(a.*f.interval);
        EXPECT_GT(ratio, 0.15) << f.json;
        EXPECT_LT(ratio, 0.4) << f.json;
    }
}

TEST(Bootstrap, StratifiedResamplesKeepARareClass)
{
    // 5 positives in 400 rows: an unstratified resample loses them all about once in 150
    // draws, which would leave ROC-AUC undefined; within-class draws never do.
    Split s = makeSplit(400, 2, 13, 1.2, 2, 0.0);
    for (int i = 0; i < 5; ++i) {
        s.labels[static_cast<std::size_t>(i)] = 1;
        s.probs[static_cast<std::size_t>(2 * i)] = 0.4f;
        s.probs[static_cast<std::size_t>(2 * i + 1)] = 0.6f;
    }
    const MetricIntervals ci = bootstrapIntervals(s.labels, s.probs, 2);
    ASSERT_TRUE(ci.rocAuc.valid());
    ASSERT_TRUE(ci.recall.valid());
    EXPECT_EQ(ci.recall.low, 1.0); // every positive is predicted positive in every resample
}

TEST(Bootstrap, RejectsMismatchedInput)
{
    const std::vector<std::int32_t> labels{0, 1, 2};
    const std::vector<float> probs{0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    EXPECT_THROW(bootstrapIntervals(labels, probs, 2), Error);
    EXPECT_THROW(bootstrapIntervals(std::vector<std::int32_t>{0, 1, 1}, probs, 3), Error);
    EXPECT_THROW(bootstrapIntervals(std::vector<std::int32_t>{0, 1, 1}, probs, 2, 0.5, {.resamples = 0}), Error);
}

TEST(PairedBootstrap, AgreesWithCopyingTheRows)
{
    const Split a = makeSplit(600, 2, 31);
    // A second classifier on the same rows: the first one's scores with independent noise,
    // so the two are correlated as two heads on one dataset are.
    Split b = a;
    std::mt19937_64 rng(77);
    std::normal_distribution<double> noise(0.0, 0.12);
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        const double p1 = std::clamp(a.probs[2 * i + 1] + (a.labels[i] == 1 ? 0.04 : -0.04) + noise(rng), 0.0, 1.0);
        b.probs[2 * i + 1] = static_cast<float>(std::round(p1 * 100) / 100);
        b.probs[2 * i] = 1.0f - b.probs[2 * i + 1];
    }
    const PairedDifferences d = pairedBootstrap(a.labels, a.probs, b.probs, 2, 0.5, 0.5, {.seed = 3});
    const auto reference = naiveBootstrap(a, &b.probs, 1000, 17);
    const auto pointA = metricValues(computeMetrics(a.labels, a.probs, 2));
    const auto pointB = metricValues(computeMetrics(b.labels, b.probs, 2));
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const PairedDifference& p = d.*fields[i].paired;
        EXPECT_NEAR(p.diff, pointB[i] - pointA[i], 1e-12) << fields[i].json;
        expectClose(p.ci, reference[i], fields[i].json);
    }
    EXPECT_EQ(d.samples, 600);
    // Pairing is what makes the difference's interval narrow: it is narrower than the
    // independent intervals of the two runs combined.
    const MetricIntervals ia = bootstrapIntervals(a.labels, a.probs, 2), ib = bootstrapIntervals(b.labels, b.probs, 2);
    EXPECT_LT(width(d.rocAuc.ci), std::hypot(width(ia.rocAuc), width(ib.rocAuc)));
}

TEST(PairedBootstrap, IdenticalRunsDifferByExactlyZero)
{
    const Split a = makeSplit(200, 3, 41);
    const PairedDifferences d = pairedBootstrap(a.labels, a.probs, a.probs, 3);
    for (const MetricField& f : metricFields()) {
        const PairedDifference& p = d.*f.paired;
        if (f.value == &Metrics::rocAuc || f.value == &Metrics::prAuc) {
            EXPECT_FALSE(p.ci.valid());
            continue;
        }
        EXPECT_EQ(p.diff, 0.0) << f.json;
        EXPECT_EQ(p.ci.low, 0.0) << f.json;
        EXPECT_EQ(p.ci.high, 0.0) << f.json;
    }
}

TEST(PairedBootstrap, MatchesRunsByIdAcrossFeatureFiles)
{
    // The second run's feature file (another backbone) lists the same samples in another order.
    const Split s = makeSplit(120, 2, 51);
    Predictions a;
    a.numClasses = 2;
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
        a.ids.push_back("fn" + std::to_string(i));
        a.labels.push_back(s.labels[i]);
        a.split.push_back(i % 3 == 0 ? kTest : kTrain);
    }
    a.probabilities = s.probs;
    Predictions inOrder = a;
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
        inOrder.probabilities[2 * i + 1] = 1.0f - a.probabilities[2 * i + 1] * 0.5f;
        inOrder.probabilities[2 * i] = 1.0f - inOrder.probabilities[2 * i + 1];
    }
    std::vector<std::size_t> perm(a.labels.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), std::mt19937(9));
    Predictions shuffled;
    shuffled.numClasses = 2;
    for (std::size_t j : perm) {
        shuffled.ids.push_back(inOrder.ids[j]);
        shuffled.labels.push_back(inOrder.labels[j]);
        shuffled.split.push_back(inOrder.split[j]);
        shuffled.probabilities.push_back(inOrder.probabilities[2 * j]);
        shuffled.probabilities.push_back(inOrder.probabilities[2 * j + 1]);
    }
    const PairedOutcomes direct = pairOutcomes(a, inOrder, kTest), byId = pairOutcomes(a, shuffled, kTest);
    EXPECT_EQ(byId.rows, direct.rows);
    EXPECT_EQ(byId.firstCorrect, direct.firstCorrect);
    EXPECT_EQ(byId.secondCorrect, direct.secondCorrect);
    for (std::size_t i = 0; i < byId.rows.size(); ++i)
        EXPECT_EQ(shuffled.ids[static_cast<std::size_t>(byId.secondRows[i])], a.ids[static_cast<std::size_t>(byId.rows[i])]);
    const PairedDifferences d1 = pairedDifferences(a, inOrder, kTest), d2 = pairedDifferences(a, shuffled, kTest);
    EXPECT_EQ(d1.f1.diff, d2.f1.diff);
    EXPECT_EQ(d1.rocAuc.ci.low, d2.rocAuc.ci.low);
    EXPECT_EQ(d1.samples, 40);

    // A sample in another split, another label, or an id twice cannot be paired.
    Predictions moved = shuffled;
    moved.split[0] = moved.split[0] == kTest ? kTrain : kTest;
    EXPECT_THROW(pairOutcomes(a, moved, kTest), Error);
    Predictions relabelled = shuffled;
    relabelled.labels[0] = 1 - relabelled.labels[0];
    EXPECT_THROW(pairOutcomes(a, relabelled, kTest), Error);
    Predictions twice = shuffled;
    twice.ids[1] = twice.ids[0];
    EXPECT_THROW(pairOutcomes(a, twice, kTest), Error);
}

TEST(PairedBootstrap, PointDifferencesAreExactlyThoseOfComputeMetrics)
{
    // Against a constant classifier (p1 = 0 everywhere) whose metrics are known in closed
    // form, the paired difference gives back each metric of the other run exactly.
    const Split s = makeSplit(700, 2, 61);
    std::vector<float> constant;
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
        constant.push_back(1.0f);
        constant.push_back(0.0f);
    }
    const double n = static_cast<double>(s.labels.size());
    const double n1 = static_cast<double>(std::count(s.labels.begin(), s.labels.end(), 1));
    const Metrics c = computeMetrics(s.labels, constant, 2);
    EXPECT_DOUBLE_EQ(c.accuracy, (n - n1) / n);
    EXPECT_DOUBLE_EQ(c.rocAuc, 0.5);
    EXPECT_DOUBLE_EQ(c.prAuc, n1 / n);
    EXPECT_DOUBLE_EQ(c.ece, n1 / n);
    const PairedDifferences d = pairedBootstrap(s.labels, constant, s.probs, 2, 0.5, 0.5, {.resamples = 10});
    const Metrics m = computeMetrics(s.labels, s.probs, 2);
    for (const MetricField& f : metricFields())
        EXPECT_NEAR((d.*f.paired).diff + c.*f.value, m.*f.value, 1e-12) << f.json;
}
