#include <headbench/eval/LabelIssues.h>

#include <headbench/core/Error.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>

namespace headbench {

const char* toString(IssueRanking ranking)
{
    return ranking == IssueRanking::SelfConfidence ? "self_confidence" : "normalized_margin";
}

IssueRanking parseIssueRanking(std::string_view name)
{
    for (IssueRanking r : {IssueRanking::NormalizedMargin, IssueRanking::SelfConfidence})
        if (name == toString(r))
            return r;
    throw Error("ranking '" + std::string(name) + "' is not one of normalized_margin, self_confidence");
}

LabelIssueReport findLabelIssues(std::span<const std::int32_t> labels, std::span<const float> probabilities,
                                 int numClasses, IssueRanking ranking)
{
    if (numClasses < 2)
        throw Error("label issues need at least two classes");
    const std::size_t k = static_cast<std::size_t>(numClasses);
    const std::size_t n = labels.size();
    if (probabilities.size() != n * k)
        throw Error(fmt::format("label issues: {} probabilities for {} rows of {} classes", probabilities.size(), n, k));
    for (std::size_t i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= numClasses)
            throw Error(fmt::format("label issues: row {} has label {} outside 0..{}", i, labels[i], numClasses - 1));

    LabelIssueReport report;
    // Per-class thresholds: the mean self-confidence of the rows given that class.
    std::vector<double> sum(k, 0.0);
    std::vector<std::int64_t> count(k, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const auto y = static_cast<std::size_t>(labels[i]);
        sum[y] += probabilities[i * k + y];
        ++count[y];
    }
    report.thresholds.resize(k);
    for (std::size_t j = 0; j < k; ++j)
        report.thresholds[j] = count[j] > 0 ? sum[j] / static_cast<double>(count[j]) : std::numeric_limits<double>::quiet_NaN();

    report.confidentJoint.assign(k, std::vector<std::int64_t>(k, 0));
    constexpr double kSlack = 1e-6;
    for (std::size_t i = 0; i < n; ++i) {
        const float* p = probabilities.data() + i * k;
        int suggested = -1;
        for (std::size_t j = 0; j < k; ++j) {
            // A class nobody is labelled with has no threshold and takes no rows.
            if (count[j] == 0 || !(p[j] >= report.thresholds[j] - kSlack))
                continue;
            if (suggested < 0 || p[j] > p[suggested])
                suggested = static_cast<int>(j);
        }
        if (suggested < 0)
            continue;
        const auto y = labels[i];
        ++report.confidentJoint[static_cast<std::size_t>(y)][static_cast<std::size_t>(suggested)];
        if (suggested == y)
            continue;
        LabelIssue issue;
        issue.row = static_cast<std::int64_t>(i);
        issue.label = y;
        issue.suggested = suggested;
        issue.selfConfidence = p[y];
        if (ranking == IssueRanking::SelfConfidence) {
            issue.score = 1.0 - issue.selfConfidence;
        } else {
            double other = 0;
            for (std::size_t j = 0; j < k; ++j)
                if (static_cast<int>(j) != y)
                    other = std::max(other, static_cast<double>(p[j]));
            const double margin = (issue.selfConfidence - other + 1.0) / 2.0;
            issue.score = 1.0 - margin;
        }
        report.issues.push_back(issue);
    }
    std::stable_sort(report.issues.begin(), report.issues.end(),
                     [](const LabelIssue& a, const LabelIssue& b) { return a.score > b.score; });
    return report;
}

} // namespace headbench
