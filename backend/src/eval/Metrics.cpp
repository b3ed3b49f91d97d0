#include <headbench/eval/Metrics.h>

#include "eval/CalibrationBin.h"

#include <headbench/core/Plural.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace headbench {
namespace {

/// Sample indices sorted by descending score (stable, so ties keep input order).
std::vector<std::size_t> byScoreDescending(std::span<const float> scores)
{
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    return order;
}

double safeDiv(double a, double b) { return b > 0 ? a / b : 0.0; }

} // namespace

int predictClass(const float* probs, int numClasses, double threshold)
{
    if (numClasses == 2)
        return probs[1] >= threshold ? 1 : 0;
    return static_cast<int>(std::max_element(probs, probs + numClasses) - probs);
}

double rocAuc(std::span<const std::int32_t> labels, std::span<const float> scores)
{
    // Mann-Whitney U with average ranks for ties.
    const std::size_t n = labels.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    double rankSumPos = 0;
    std::size_t nPos = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j + 1 < n && scores[order[j + 1]] == scores[order[i]])
            ++j;
        const double avgRank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
        for (std::size_t k = i; k <= j; ++k)
            if (labels[order[k]] == 1) {
                rankSumPos += avgRank;
                ++nPos;
            }
        i = j + 1;
    }
    const std::size_t nNeg = n - nPos;
    if (nPos == 0 || nNeg == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return (rankSumPos - static_cast<double>(nPos) * (nPos + 1) / 2.0) / (static_cast<double>(nPos) * nNeg);
}

std::vector<CurvePoint> rocCurve(std::span<const std::int32_t> labels, std::span<const float> scores)
{
    const auto order = byScoreDescending(scores);
    const double nPos = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
    const double nNeg = static_cast<double>(labels.size()) - nPos;
    std::vector<CurvePoint> curve{{0.0, 0.0, std::numeric_limits<double>::infinity()}};
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        (labels[order[i]] == 1 ? tp : fp) += 1;
        if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]])
            curve.push_back({safeDiv(fp, nNeg), safeDiv(tp, nPos), scores[order[i]]});
    }
    return curve;
}

std::vector<CurvePoint> prCurve(std::span<const std::int32_t> labels, std::span<const float> scores)
{
    const auto order = byScoreDescending(scores);
    const double nPos = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
    std::vector<CurvePoint> curve;
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        (labels[order[i]] == 1 ? tp : fp) += 1;
        if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]])
            curve.push_back({safeDiv(tp, nPos), tp / (tp + fp), scores[order[i]]});
    }
    return curve;
}

double averagePrecision(std::span<const std::int32_t> labels, std::span<const float> scores)
{
    // AP = sum over thresholds of (R_n - R_{n-1}) * P_n, as scikit-learn defines it.
    const double nPos = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
    if (nPos == 0)
        return std::numeric_limits<double>::quiet_NaN();
    double ap = 0, prevRecall = 0;
    for (const CurvePoint& p : prCurve(labels, scores)) {
        ap += (p.x - prevRecall) * p.y;
        prevRecall = p.x;
    }
    return ap;
}

int calibrationBin(double confidence, int bins)
{
    const double bin = std::ceil(confidence * bins) - 1;
    if (!(bin > 0)) // below the first, or NaN
        return 0;
    return bin >= bins - 1 ? bins - 1 : static_cast<int>(bin);
}

std::vector<ReliabilityBin> reliabilityBins(std::span<const std::int32_t> labels, std::span<const float> probs,
                                            int numClasses, int bins)
{
    std::vector<double> confSum(static_cast<std::size_t>(bins), 0.0), correct(static_cast<std::size_t>(bins), 0.0);
    std::vector<std::int64_t> count(static_cast<std::size_t>(bins), 0);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const float* p = probs.data() + i * static_cast<std::size_t>(numClasses);
        const auto top = static_cast<int>(std::max_element(p, p + numClasses) - p);
        const double conf = p[top];
        // Bins are (lo, hi]; confidence 0 falls in the first.
        const auto b = static_cast<std::size_t>(calibrationBin(conf, bins));
        confSum[b] += conf;
        correct[b] += top == labels[i] ? 1.0 : 0.0;
        count[b] += 1;
    }
    std::vector<ReliabilityBin> out;
    for (std::size_t b = 0; b < count.size(); ++b)
        if (count[b] > 0) {
            const auto c = static_cast<double>(count[b]);
            out.push_back({confSum[b] / c, correct[b] / c, count[b]});
        }
    return out;
}

double expectedCalibrationError(std::span<const std::int32_t> labels, std::span<const float> probs,
                                int numClasses, int bins)
{
    const std::size_t n = labels.size();
    if (n == 0)
        return 0;
    double ece = 0;
    for (const ReliabilityBin& b : reliabilityBins(labels, probs, numClasses, bins))
        ece += static_cast<double>(b.count) / static_cast<double>(n) * std::abs(b.accuracy - b.confidence);
    return ece;
}

Metrics metricsOfNoRows(int numClasses)
{
    Metrics m;
    m.accuracy = m.precision = m.recall = m.f1 = m.ece = std::numeric_limits<double>::quiet_NaN();
    m.confusion.assign(static_cast<std::size_t>(std::max(numClasses, 0)),
                       std::vector<std::int64_t>(static_cast<std::size_t>(std::max(numClasses, 0)), 0));
    return m;
}

std::string missingClassNote(const Metrics& m, const std::vector<std::string>& labelNames, std::string_view where)
{
    if (m.count == 0)
        return {};
    const auto k = m.confusion.size();
    auto nameOf = [&](std::size_t c) {
        return "'" + (c < labelNames.size() ? labelNames[c] : std::to_string(c)) + "'";
    };
    std::vector<std::size_t> absent;
    for (std::size_t c = 0; c < k; ++c)
        if (std::accumulate(m.confusion[c].begin(), m.confusion[c].end(), std::int64_t{0}) == 0)
            absent.push_back(c);
    if (absent.empty())
        return {};
    const std::string of = fmt::format("{} has no {} rows (of its {})", where, nameOf(absent[0]), m.count);
    if (k == 2)
        return absent[0] == 1 ? of + ": its recall and F1 are 0 and its ROC-AUC and PR-AUC undefined, whatever the head "
                                     "predicts"
                              : of + ": its ROC-AUC and PR-AUC are undefined, and its precision is 1 or 0 whatever the "
                                     "head scores";
    // The macro averages are over the classes in the labels or the predictions (as scikit-learn's):
    // an absent class the head still predicts counts, with an F1 of 0 (a helper found the note
    // saying it was left out while it was averaged in).
    std::vector<std::string> names, leftOut, counted;
    std::int64_t predictedAbsent = 0;
    for (const std::size_t c : absent) {
        names.push_back(nameOf(c));
        std::int64_t predicted = 0;
        for (std::size_t r = 0; r < k; ++r)
            predicted += m.confusion[r][c];
        (predicted > 0 ? counted : leftOut).push_back(nameOf(c));
        predictedAbsent += predicted;
    }
    std::string note = fmt::format("{} has no rows of class{} {} (of its {})", where, absent.size() == 1 ? "" : "es",
                                   fmt::join(names, ", "), m.count);
    if (counted.empty())
        return note + fmt::format(": its macro averages are over the other {} classes", k - absent.size());
    note += fmt::format(": the head predicts {} for {}, so {} in its macro averages as 0 (as scikit-learn counts it)",
                        fmt::join(counted, ", "), plural(predictedAbsent, "row"), counted.size() == 1 ? "it counts" : "they count");
    if (!leftOut.empty())
        note += fmt::format("; {} {} left out", fmt::join(leftOut, ", "), leftOut.size() == 1 ? "is" : "are");
    return note;
}

Metrics computeMetrics(std::span<const std::int32_t> labels, std::span<const float> probs, int numClasses,
                       double threshold)
{
    const std::size_t n = labels.size();
    if (n == 0)
        return metricsOfNoRows(numClasses);
    Metrics m;
    m.count = static_cast<std::int64_t>(n);
    m.confusion.assign(numClasses, std::vector<std::int64_t>(numClasses, 0));
    std::int64_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int pred = predictClass(probs.data() + i * numClasses, numClasses, threshold);
        ++m.confusion[labels[i]][pred];
        correct += pred == labels[i];
    }
    m.accuracy = static_cast<double>(correct) / static_cast<double>(n);

    auto classScores = [&](int k, double& precision, double& recall, double& f1) {
        double tp = static_cast<double>(m.confusion[k][k]), predicted = 0, actual = 0;
        for (int j = 0; j < numClasses; ++j) {
            predicted += static_cast<double>(m.confusion[j][k]);
            actual += static_cast<double>(m.confusion[k][j]);
        }
        precision = safeDiv(tp, predicted);
        recall = safeDiv(tp, actual);
        f1 = safeDiv(2 * precision * recall, precision + recall);
    };
    if (numClasses == 2) {
        classScores(1, m.precision, m.recall, m.f1);
        std::vector<float> scores(n);
        for (std::size_t i = 0; i < n; ++i)
            scores[i] = probs[i * 2 + 1];
        m.rocAuc = rocAuc(labels, scores);
        m.prAuc = averagePrecision(labels, scores);
    } else {
        // Macro averages over the classes present in the split's labels or predictions, as
        // scikit-learn averages over unique_labels(y_true, y_pred): a class with no rows and no
        // predictions (named in label_names but absent here) would otherwise count as a zero.
        int present = 0;
        for (int k = 0; k < numClasses; ++k) {
            std::int64_t rowsOrPredicted = 0;
            for (int j = 0; j < numClasses; ++j)
                rowsOrPredicted += m.confusion[k][j] + m.confusion[j][k];
            if (rowsOrPredicted == 0)
                continue;
            double p, r, f;
            classScores(k, p, r, f);
            m.precision += p;
            m.recall += r;
            m.f1 += f;
            ++present;
        }
        m.precision = safeDiv(m.precision, present);
        m.recall = safeDiv(m.recall, present);
        m.f1 = safeDiv(m.f1, present);
    }
    m.ece = expectedCalibrationError(labels, probs, numClasses);
    return m;
}

} // namespace headbench
