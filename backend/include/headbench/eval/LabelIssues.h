#pragma once
/// \file LabelIssues.h
/// Rows whose given label is probably wrong, found by confident learning (Northcutt, Jiang and
/// Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021) from
/// out-of-fold probabilities (CrossValidation.h).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace headbench {

/// How issues are ordered (both as in cleanlab's rank.py).
enum class IssueRanking {
    NormalizedMargin, ///< (p_given - max_{k != given} p_k + 1) / 2, lowest first
    SelfConfidence,   ///< p_given, lowest first
};
/// "normalized_margin", "self_confidence".
const char* toString(IssueRanking ranking);
/// Parses a name of toString; throws headbench::Error listing the names.
IssueRanking parseIssueRanking(std::string_view name);

/// One likely label error.
struct LabelIssue {
    std::int64_t row = 0;
    std::int32_t label = 0;      ///< the given label
    std::int32_t suggested = 0;  ///< the class the row is confidently counted in
    double selfConfidence = 0;   ///< p_given
    /// 1 - the ranking's quality (1 - normalised margin, or 1 - self-confidence), in [0, 1]:
    /// higher means more likely a label error.
    double score = 0;
};

/// The confident joint and the issues found in it.
struct LabelIssueReport {
    /// t_j: the mean of p_j over the rows labelled j (NaN for a class with no rows).
    std::vector<double> thresholds;
    /// [given][suggested]: rows confidently counted; a row counts where p_j >= t_j for some j,
    /// at the j of highest p_j among those classes; rows with no such class are not counted.
    std::vector<std::vector<std::int64_t>> confidentJoint;
    /// The rows counted off the diagonal, most likely error first (highest score; ties by row).
    std::vector<LabelIssue> issues;
};

/// Confident learning on `labels` (rows) and `probabilities` (rows x numClasses, out-of-fold).
/// A probability counts as at least its class threshold within 1e-6 (as cleanlab does), so a
/// row at the threshold itself is not lost to rounding. Throws headbench::Error for sizes that
/// do not match or labels out of range.
LabelIssueReport findLabelIssues(std::span<const std::int32_t> labels, std::span<const float> probabilities,
                                 int numClasses, IssueRanking ranking = IssueRanking::NormalizedMargin);

} // namespace headbench
