// How headbench-cli prints metrics: tables, confusion matrices, JSON fields.
#include "CliOutput.h"

#include <headbench/eval/Bootstrap.h>
#include <headbench/eval/Metrics.h>
#include <headbench/runs/RunStore.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

namespace headbench::cli {

using nlohmann::json;

json number(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json metricsJson(const Metrics& m)
{
    return json::parse(metricsToJson(m));
}

std::string fmtMetric(double v)
{
    return std::isfinite(v) ? fmt::format("{:.4f}", v) : std::string("-");
}

std::string fmtInterval(const Interval& i, int decimals)
{
    return i.valid() ? fmt::format("[{:.{}f}, {:.{}f}]", i.low, decimals, i.high, decimals) : std::string("-");
}

void printMetricsTable(const std::vector<std::pair<std::string, const Metrics*>>& columns)
{
    fmt::print("{:<11}", "");
    for (const auto& [name, m] : columns) {
        fmt::print("{:>14}", name);
        if (m->ci)
            fmt::print("{:>18}", fmt::format("{:.0f}% CI", m->ci->level * 100));
    }
    fmt::print("\n");
    for (const MetricField& f : metricFields()) {
        fmt::print("{:<11}", f.json);
        for (const auto& [name, m] : columns) {
            fmt::print("{:>14}", fmtMetric(m->*f.value));
            if (m->ci)
                fmt::print("{:>18}", fmtInterval((*m->ci).*f.interval));
        }
        fmt::print("\n");
    }
    // The head's training criterion (class weights, smoothing, focal) on the split: known to
    // training, not to `eval`, which applies the saved head to rows; no row of dashes then.
    const bool anyLoss = std::any_of(columns.begin(), columns.end(), [](const auto& c) { return std::isfinite(c.second->loss); });
    if (!anyLoss)
        return;
    fmt::print("{:<11}", "loss");
    for (const auto& [name, m] : columns)
        fmt::print("{:>14}{:>{}}", fmtMetric(m->loss), "", m->ci ? 18 : 0);
    fmt::print("\n");
}

void warnMissingClasses(const std::vector<std::pair<std::string, const Metrics*>>& splits,
                        const std::vector<std::string>& names)
{
    for (const auto& [split, m] : splits)
        if (const std::string note = missingClassNote(*m, names, split == "all" ? "the file" : "the " + split + " split");
            !note.empty())
            fmt::print(stderr, "warning: {}\n", note);
}

void printConfusion(const Metrics& m, const std::vector<std::string>& names)
{
    fmt::print("confusion (rows: true, columns: predicted)\n{:<14}", "");
    for (const auto& n : names)
        fmt::print("{:>12}", n.substr(0, 11));
    fmt::print("\n");
    for (std::size_t r = 0; r < m.confusion.size(); ++r) {
        fmt::print("{:<14}", names[r].substr(0, 13));
        for (auto c : m.confusion[r])
            fmt::print("{:>12}", c);
        fmt::print("\n");
    }
}

json valTestMetricsJson(const RunRecord& r)
{
    return {{"val", metricsJson(r.validation)}, {"test", metricsJson(r.test)}};
}

std::string utcStamp()
{
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

} // namespace headbench::cli
