#include <headbench/eval/SplitEvaluation.h>

#include <headbench/eval/Calibration.h>

namespace headbench {

SplitEvaluation::SplitEvaluation(SplitRows rows, int numClasses, double temperature)
    : m_rows(std::move(rows)), m_numClasses(numClasses)
{
    if (binary()) {
        std::vector<float> scores(this->rows());
        for (std::size_t i = 0; i < scores.size(); ++i)
            scores[i] = m_rows.probabilities[2 * i + 1];
        m_roc = rocCurve(m_rows.labels, scores);
        m_pr = prCurve(m_rows.labels, scores);
    }
    if (this->rows() == 0)
        return;
    m_reliability = reliabilityBins(m_rows.labels, m_rows.probabilities, numClasses);
    if (temperature != 1.0)
        m_reliabilityBefore = reliabilityBins(
            m_rows.labels, probabilitiesBeforeTemperature(m_rows.probabilities, numClasses, temperature), numClasses);
}

OperatingPoint operatingPoint(const Metrics& m)
{
    OperatingPoint out;
    if (m.confusion.size() != 2)
        return out;
    const auto& c = m.confusion;
    const double pos = static_cast<double>(c[1][0] + c[1][1]);
    const double neg = static_cast<double>(c[0][0] + c[0][1]);
    const double predictedPos = static_cast<double>(c[0][1] + c[1][1]);
    out.truePositiveRate = pos > 0 ? static_cast<double>(c[1][1]) / pos : 0;
    out.falsePositiveRate = neg > 0 ? static_cast<double>(c[0][1]) / neg : 0;
    out.precision = predictedPos > 0 ? static_cast<double>(c[1][1]) / predictedPos : 1.0;
    return out;
}

Metrics SplitEvaluation::at(double threshold) const
{
    return computeMetrics(m_rows.labels, m_rows.probabilities, m_numClasses, threshold);
}

} // namespace headbench
