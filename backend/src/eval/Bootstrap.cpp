#include <headbench/eval/Bootstrap.h>

#include "eval/CalibrationBin.h"

#include <headbench/core/Error.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace headbench {
namespace {

constexpr std::size_t kMetricCount = 7; // accuracy, precision, recall, f1, roc_auc, pr_auc, ece
using MetricValues = std::array<double, kMetricCount>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double safeDiv(double a, double b) { return b > 0 ? a / b : 0.0; }

/// xoshiro256** seeded through splitmix64: fast, and the same stream on every platform (the
/// standard distributions are not), so a seed gives the same intervals everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed)
    {
        for (auto& s : m_s) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s = z ^ (z >> 31);
        }
    }
    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    /// Uniform in [0, n) by multiply-shift (bias below 2^-40 for the sizes used here).
    std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4];
};

/// The metrics of computeMetrics for one split, evaluated for any per-row weights (how often a
/// resample drew each row). Everything that does not depend on the weights (predictions, the
/// score order and its ties, calibration bins) is prepared once; a resample is then one pass
/// over the rows and one over the runs of equal scores. Counts are summed as integers (the
/// weights are whole draws), which is exact and keeps the additions off the floating-point
/// latency chain.
class WeightedEvaluator {
public:
    WeightedEvaluator(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses, double threshold)
        : m_k(numClasses)
    {
        const std::size_t n = labels.size();
        // Two classes: rows by ascending positive score, so that ROC-AUC and average precision
        // see the runs of equal scores; otherwise the input order.
        m_row.resize(n);
        std::iota(m_row.begin(), m_row.end(), 0);
        if (numClasses == 2)
            std::stable_sort(m_row.begin(), m_row.end(),
                             [&](std::uint32_t a, std::uint32_t b) { return probs[2 * a + 1] < probs[2 * b + 1]; });
        m_cell.resize(n);
        m_bin.resize(n);
        m_conf.resize(n);
        m_topCorrect.resize(n);
        m_positive.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t r = m_row[i];
            const float* p = probs.data() + r * static_cast<std::size_t>(numClasses);
            m_cell[i] = static_cast<std::uint32_t>(labels[r] * numClasses + predictClass(p, numClasses, threshold));
            // Calibration as expectedCalibrationError: top-class confidence in 10 bins (lo, hi],
            // in double (0.3f * 10 is 3 in float but above 3 in double).
            const auto top = static_cast<int>(std::max_element(p, p + numClasses) - p);
            m_conf[i] = p[top];
            m_bin[i] = static_cast<std::uint8_t>(calibrationBin(m_conf[i], kBins));
            m_topCorrect[i] = top == labels[r];
            m_positive[i] = labels[r] == 1;
        }
        if (numClasses == 2) {
            for (std::size_t i = 1; i < n; ++i)
                if (probs[2 * m_row[i] + 1] != probs[2 * m_row[i - 1] + 1])
                    m_groupEnd.push_back(static_cast<std::uint32_t>(i));
            if (n > 0)
                m_groupEnd.push_back(static_cast<std::uint32_t>(n));
        } else {
            m_groupEnd.push_back(static_cast<std::uint32_t>(n)); // one group: no score order is used
        }
        m_gp.resize(m_groupEnd.size());
        m_gn.resize(m_groupEnd.size());
        m_cells.resize(static_cast<std::size_t>(numClasses) * static_cast<std::size_t>(numClasses));
    }

    MetricValues evaluate(std::span<const std::uint32_t> w)
    {
        MetricValues out;
        std::fill(m_cells.begin(), m_cells.end(), 0);
        std::array<std::int64_t, kBins> count{}, right{};
        std::array<double, kBins> confSum{};
        std::int64_t pos = 0, neg = 0;
        std::size_t i = 0;
        for (std::size_t g = 0; g < m_groupEnd.size(); ++g) {
            std::int64_t gp = 0, gn = 0;
            for (; i < m_groupEnd[g]; ++i) {
                const std::int64_t wi = w[m_row[i]];
                m_cells[m_cell[i]] += wi;
                count[m_bin[i]] += wi;
                right[m_bin[i]] += wi * m_topCorrect[i];
                confSum[m_bin[i]] += static_cast<double>(wi) * m_conf[i];
                const std::int64_t p = wi * m_positive[i];
                gp += p;
                gn += wi - p;
            }
            m_gp[g] = gp;
            m_gn[g] = gn;
            pos += gp;
            neg += gn;
        }
        const std::int64_t total = pos + neg;
        const int k = m_k;
        auto cell = [&](int t, int p) { return static_cast<double>(m_cells[static_cast<std::size_t>(t * k + p)]); };
        double correct = 0;
        for (int c = 0; c < k; ++c)
            correct += cell(c, c);
        out[0] = safeDiv(correct, static_cast<double>(total));
        auto classScores = [&](int c, double& precision, double& recall, double& f1) {
            double predicted = 0, actual = 0;
            for (int j = 0; j < k; ++j) {
                predicted += cell(j, c);
                actual += cell(c, j);
            }
            precision = safeDiv(cell(c, c), predicted);
            recall = safeDiv(cell(c, c), actual);
            f1 = safeDiv(2 * precision * recall, precision + recall);
        };
        out[1] = out[2] = out[3] = 0;
        out[4] = out[5] = kNaN;
        if (k == 2) {
            classScores(1, out[1], out[2], out[3]);
            rankMetrics(pos, neg, out[4], out[5]);
        } else {
            // Over the classes in the resample's labels or predictions, as computeMetrics
            // averages (a class named but absent counted as a zero here, and the interval
            // fell below the figure it was of).
            int present = 0;
            for (int c = 0; c < k; ++c) {
                double inRowsOrPredicted = 0;
                for (int j = 0; j < k; ++j)
                    inRowsOrPredicted += cell(c, j) + cell(j, c);
                if (inRowsOrPredicted == 0)
                    continue;
                double p, r, f;
                classScores(c, p, r, f);
                out[1] += p;
                out[2] += r;
                out[3] += f;
                ++present;
            }
            for (int m = 1; m <= 3; ++m)
                out[m] = safeDiv(out[m], present);
        }
        double ece = 0;
        for (int b = 0; b < kBins; ++b)
            if (count[b] > 0) {
                const double c = static_cast<double>(count[b]);
                ece += c / static_cast<double>(total) * std::abs(static_cast<double>(right[b]) / c - confSum[b] / c);
            }
        out[6] = total > 0 ? ece : 0.0;
        return out;
    }

private:
    static constexpr int kBins = 10;

    /// From the weighted positives and negatives of each run of equal scores (ascending):
    /// ROC-AUC as Mann-Whitney U with ties counted half (kept doubled, in integers), and the
    /// step-wise average precision of averagePrecision. At a score s, the rows predicted
    /// positive are those scoring >= s: all but the ones below. A score no drawn row has is no
    /// threshold of the resample; one with no positive adds nothing to the average precision.
    void rankMetrics(std::int64_t pos, std::int64_t neg, double& auc, double& ap) const
    {
        std::int64_t posBelow = 0, negBelow = 0, pairs2 = 0;
        double sum = 0;
        for (std::size_t g = 0; g < m_groupEnd.size(); ++g) {
            const std::int64_t gp = m_gp[g], gn = m_gn[g];
            pairs2 += gp * (2 * negBelow + gn);
            if (gp > 0) {
                const auto tp = static_cast<double>(pos - posBelow), fp = static_cast<double>(neg - negBelow);
                sum += static_cast<double>(gp) * (tp / (tp + fp));
            }
            posBelow += gp;
            negBelow += gn;
        }
        auc = pos > 0 && neg > 0 ? static_cast<double>(pairs2) / (2.0 * static_cast<double>(pos) * static_cast<double>(neg)) : kNaN;
        ap = pos > 0 ? sum / static_cast<double>(pos) : kNaN;
    }

    int m_k;
    // Per row, in evaluation order.
    std::vector<std::uint32_t> m_row;  ///< the input row (where its weight is)
    std::vector<std::uint32_t> m_cell; ///< true * K + predicted
    std::vector<std::uint8_t> m_bin, m_topCorrect, m_positive;
    std::vector<double> m_conf;
    std::vector<std::uint32_t> m_groupEnd; ///< end of each run of equal scores (one group for K > 2)
    // Scratch of evaluate().
    std::vector<std::int64_t> m_gp, m_gn, m_cells;
};

/// Draws stratified resamples: per-row counts, each class keeping its size.
class StratifiedResampler {
public:
    StratifiedResampler(std::span<const std::int32_t> labels, int numClasses, std::uint64_t seed)
        : m_rng(seed)
        , m_byClass(static_cast<std::size_t>(std::max(numClasses, 1)))
        , m_counts(labels.size())
    {
        for (std::size_t i = 0; i < labels.size(); ++i)
            m_byClass[static_cast<std::size_t>(labels[i])].push_back(static_cast<std::uint32_t>(i));
    }
    std::span<const std::uint32_t> next()
    {
        std::fill(m_counts.begin(), m_counts.end(), 0U);
        for (const auto& rows : m_byClass)
            for (std::size_t j = 0; j < rows.size(); ++j)
                ++m_counts[rows[m_rng.below(rows.size())]];
        return m_counts;
    }

private:
    Rng m_rng;
    std::vector<std::vector<std::uint32_t>> m_byClass;
    std::vector<std::uint32_t> m_counts;
};

/// Percentile interval of `values` (NaNs dropped), linear interpolation between order statistics.
Interval percentileInterval(std::vector<double> values, double level)
{
    std::erase_if(values, [](double v) { return std::isnan(v); });
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    auto quantile = [&](double q) {
        const double h = q * static_cast<double>(values.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const std::size_t hi = std::min(lo + 1, values.size() - 1);
        return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
    };
    return {quantile((1 - level) / 2), quantile((1 + level) / 2)};
}

void checkInput(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses,
                const BootstrapOptions& options)
{
    if (numClasses < 2)
        throw Error("bootstrap: at least two classes are needed");
    if (probs.size() != labels.size() * static_cast<std::size_t>(numClasses))
        throw Error("bootstrap: the probabilities do not match the labels");
    if (options.resamples < 2 || !(options.level > 0 && options.level < 1))
        throw Error("bootstrap: needs two or more resamples and a level between 0 and 1");
    for (auto l : labels)
        if (l < 0 || l >= numClasses)
            throw Error("bootstrap: a label is outside 0.." + std::to_string(numClasses - 1));
}

} // namespace

std::span<const MetricField> metricFields()
{
    static const MetricField fields[] = {
        {"accuracy", "accuracy", &Metrics::accuracy, &MetricIntervals::accuracy, &PairedDifferences::accuracy, true, true, 3},
        {"precision", "precision", &Metrics::precision, &MetricIntervals::precision, &PairedDifferences::precision, true, true, 3},
        {"recall", "recall", &Metrics::recall, &MetricIntervals::recall, &PairedDifferences::recall, true, true, 3},
        {"f1", "F1", &Metrics::f1, &MetricIntervals::f1, &PairedDifferences::f1, true, true, 3},
        {"roc_auc", "ROC-AUC", &Metrics::rocAuc, &MetricIntervals::rocAuc, &PairedDifferences::rocAuc, true, false, 3},
        {"pr_auc", "PR-AUC", &Metrics::prAuc, &MetricIntervals::prAuc, &PairedDifferences::prAuc, true, false, 3},
        {"ece", "ECE", &Metrics::ece, &MetricIntervals::ece, &PairedDifferences::ece, false, false, 3},
    };
    return fields;
}

MetricIntervals bootstrapIntervals(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses,
                                   double threshold, const BootstrapOptions& options)
{
    checkInput(labels, probs, numClasses, options);
    MetricIntervals out;
    out.resamples = options.resamples;
    out.level = options.level;
    out.seed = options.seed;
    if (labels.empty())
        return out;
    WeightedEvaluator eval(labels, probs, numClasses, threshold);
    StratifiedResampler resampler(labels, numClasses, options.seed);
    std::array<std::vector<double>, kMetricCount> values;
    for (auto& v : values)
        v.reserve(static_cast<std::size_t>(options.resamples));
    for (int b = 0; b < options.resamples; ++b) {
        const MetricValues m = eval.evaluate(resampler.next());
        for (std::size_t i = 0; i < kMetricCount; ++i)
            values[i].push_back(m[i]);
    }
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i)
        out.*fields[i].interval = percentileInterval(std::move(values[i]), options.level);
    return out;
}

PairedDifferences pairedBootstrap(std::span<const std::int32_t> labels, std::span<const float> first,
                                  std::span<const float> second, int numClasses, double firstThreshold,
                                  double secondThreshold,
                                  const BootstrapOptions& options)
{
    checkInput(labels, first, numClasses, options);
    checkInput(labels, second, numClasses, options);
    PairedDifferences out;
    out.samples = static_cast<std::int64_t>(labels.size());
    out.resamples = options.resamples;
    out.level = options.level;
    out.seed = options.seed;
    if (labels.empty())
        return out;
    WeightedEvaluator evalA(labels, first, numClasses, firstThreshold), evalB(labels, second, numClasses, secondThreshold);
    const std::vector<std::uint32_t> ones(labels.size(), 1U);
    const MetricValues pointA = evalA.evaluate(ones), pointB = evalB.evaluate(ones);
    StratifiedResampler resampler(labels, numClasses, options.seed);
    std::array<std::vector<double>, kMetricCount> diffs;
    for (int b = 0; b < options.resamples; ++b) {
        const auto w = resampler.next();
        const MetricValues a = evalA.evaluate(w), c = evalB.evaluate(w);
        for (std::size_t i = 0; i < kMetricCount; ++i)
            diffs[i].push_back(c[i] - a[i]);
    }
    const auto fields = metricFields();
    for (std::size_t i = 0; i < fields.size(); ++i) {
        PairedDifference& d = out.*fields[i].paired;
        d.diff = pointB[i] - pointA[i];
        d.ci = percentileInterval(std::move(diffs[i]), options.level);
    }
    return out;
}

} // namespace headbench
