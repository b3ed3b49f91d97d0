#include "Bootstrap.h"

#include "Error.h"

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
/// score order and its ties, calibration bins) is prepared once.
class WeightedEvaluator {
public:
    WeightedEvaluator(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses, double threshold)
        : m_labels(labels)
        , m_k(numClasses)
    {
        const std::size_t n = labels.size();
        m_pred.resize(n);
        m_bin.resize(n);
        m_conf.resize(n);
        m_topCorrect.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const float* p = probs.data() + i * static_cast<std::size_t>(numClasses);
            m_pred[i] = predictClass(p, numClasses, threshold);
            // Calibration as expectedCalibrationError: top-class confidence in 10 bins (lo, hi].
            const auto top = static_cast<int>(std::max_element(p, p + numClasses) - p);
            m_conf[i] = p[top]; // in double, as expectedCalibrationError: 0.3f * 10 is 3 in float, above 3 in double
            m_bin[i] = static_cast<std::uint8_t>(std::clamp(static_cast<int>(std::ceil(m_conf[i] * kBins)) - 1, 0, kBins - 1));
            m_topCorrect[i] = top == labels[i];
        }
        if (numClasses == 2) {
            // Rows by ascending positive score, with the start of every run of equal scores:
            // ROC-AUC and average precision only see these groups.
            m_order.resize(n);
            std::iota(m_order.begin(), m_order.end(), 0);
            std::stable_sort(m_order.begin(), m_order.end(),
                             [&](std::uint32_t a, std::uint32_t b) { return probs[2 * a + 1] < probs[2 * b + 1]; });
            for (std::size_t i = 0; i < n; ++i)
                if (i == 0 || probs[2 * m_order[i] + 1] != probs[2 * m_order[i - 1] + 1])
                    m_groupStart.push_back(static_cast<std::uint32_t>(i));
            m_groupStart.push_back(static_cast<std::uint32_t>(n));
        }
    }

    MetricValues evaluate(std::span<const std::uint32_t> w)
    {
        MetricValues out;
        const std::size_t n = m_labels.size();
        const int k = m_k;
        m_confusion.assign(static_cast<std::size_t>(k * k), 0.0);
        double total = 0, correct = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double wi = w[i];
            m_confusion[static_cast<std::size_t>(m_labels[i] * k + m_pred[i])] += wi;
            total += wi;
            correct += m_labels[i] == m_pred[i] ? wi : 0.0;
        }
        out[0] = safeDiv(correct, total);
        auto classScores = [&](int c, double& precision, double& recall, double& f1) {
            double predicted = 0, actual = 0;
            for (int j = 0; j < k; ++j) {
                predicted += m_confusion[static_cast<std::size_t>(j * k + c)];
                actual += m_confusion[static_cast<std::size_t>(c * k + j)];
            }
            const double tp = m_confusion[static_cast<std::size_t>(c * k + c)];
            precision = safeDiv(tp, predicted);
            recall = safeDiv(tp, actual);
            f1 = safeDiv(2 * precision * recall, precision + recall);
        };
        out[1] = out[2] = out[3] = 0;
        out[4] = out[5] = kNaN;
        if (k == 2) {
            classScores(1, out[1], out[2], out[3]);
            out[4] = rocAuc(w);
            out[5] = averagePrecision(w);
        } else {
            for (int c = 0; c < k; ++c) {
                double p, r, f;
                classScores(c, p, r, f);
                out[1] += p / k;
                out[2] += r / k;
                out[3] += f / k;
            }
        }
        std::array<double, kBins> count{}, confSum{}, right{};
        for (std::size_t i = 0; i < n; ++i) {
            const double wi = w[i];
            count[m_bin[i]] += wi;
            confSum[m_bin[i]] += wi * m_conf[i];
            right[m_bin[i]] += m_topCorrect[i] ? wi : 0.0;
        }
        double ece = 0;
        for (int b = 0; b < kBins; ++b)
            if (count[b] > 0)
                ece += count[b] / total * std::abs(right[b] / count[b] - confSum[b] / count[b]);
        out[6] = total > 0 ? ece : 0.0;
        return out;
    }

private:
    static constexpr int kBins = 10;

    /// Mann-Whitney U with ties counted half, each row counted as often as it was drawn.
    double rocAuc(std::span<const std::uint32_t> w) const
    {
        double negBelow = 0, pairs = 0, pos = 0;
        for (std::size_t g = 0; g + 1 < m_groupStart.size(); ++g) {
            double gp = 0, gn = 0;
            for (std::uint32_t i = m_groupStart[g]; i < m_groupStart[g + 1]; ++i) {
                const std::uint32_t r = m_order[i];
                (m_labels[r] == 1 ? gp : gn) += w[r];
            }
            pairs += gp * (negBelow + 0.5 * gn);
            negBelow += gn;
            pos += gp;
        }
        return pos > 0 && negBelow > 0 ? pairs / (pos * negBelow) : kNaN;
    }

    /// Step-wise average precision over the distinct scores, from the highest down, as
    /// averagePrecision; a score no drawn row has is no threshold of the resample.
    double averagePrecision(std::span<const std::uint32_t> w) const
    {
        double pos = 0;
        for (std::size_t r = 0; r < m_labels.size(); ++r)
            pos += m_labels[r] == 1 ? w[r] : 0.0;
        if (pos <= 0)
            return kNaN;
        double tp = 0, fp = 0, ap = 0, prevRecall = 0;
        for (std::size_t g = m_groupStart.size() - 1; g-- > 0;) {
            double gp = 0, gn = 0;
            for (std::uint32_t i = m_groupStart[g]; i < m_groupStart[g + 1]; ++i) {
                const std::uint32_t r = m_order[i];
                (m_labels[r] == 1 ? gp : gn) += w[r];
            }
            if (gp + gn <= 0)
                continue;
            tp += gp;
            fp += gn;
            const double recall = tp / pos;
            ap += (recall - prevRecall) * (tp / (tp + fp));
            prevRecall = recall;
        }
        return ap;
    }

    std::span<const std::int32_t> m_labels;
    int m_k;
    std::vector<int> m_pred;
    std::vector<std::uint8_t> m_bin;
    std::vector<double> m_conf;
    std::vector<std::uint8_t> m_topCorrect;
    std::vector<std::uint32_t> m_order, m_groupStart;
    std::vector<double> m_confusion;
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
        {"accuracy", "accuracy", &Metrics::accuracy, &MetricIntervals::accuracy, &PairedDifferences::accuracy, true},
        {"precision", "precision", &Metrics::precision, &MetricIntervals::precision, &PairedDifferences::precision, true},
        {"recall", "recall", &Metrics::recall, &MetricIntervals::recall, &PairedDifferences::recall, true},
        {"f1", "F1", &Metrics::f1, &MetricIntervals::f1, &PairedDifferences::f1, true},
        {"roc_auc", "ROC-AUC", &Metrics::rocAuc, &MetricIntervals::rocAuc, &PairedDifferences::rocAuc, true},
        {"pr_auc", "PR-AUC", &Metrics::prAuc, &MetricIntervals::prAuc, &PairedDifferences::prAuc, true},
        {"ece", "ECE", &Metrics::ece, &MetricIntervals::ece, &PairedDifferences::ece, false},
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
                                  std::span<const float> second, int numClasses, double threshold,
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
    WeightedEvaluator evalA(labels, first, numClasses, threshold), evalB(labels, second, numClasses, threshold);
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
