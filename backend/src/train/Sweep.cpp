#include <headbench/train/Sweep.h>

#include <headbench/core/Error.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

namespace headbench {
namespace {

using nlohmann::ordered_json;

/// Applies overrides to the base spec object; depth/width replace the hidden list.
HeadSpec specFor(const ordered_json& base, const ordered_json& overrides, const std::string& where)
{
    ordered_json merged = base;
    for (const auto& [key, value] : overrides.items())
        merged[key] = value;
    if (overrides.contains("depth") || overrides.contains("width")) {
        int width = 256;
        if (merged.contains("hidden") && merged["hidden"].is_array() && !merged["hidden"].empty())
            width = merged["hidden"][0].get<int>();
        if (!merged.contains("width"))
            merged["width"] = width;
        if (!merged.contains("depth"))
            merged["depth"] = merged.contains("hidden") && merged["hidden"].is_array() ? merged["hidden"].size() : 1;
        merged.erase("hidden");
    }
    return headSpecFromJson(merged.dump(), where);
}

/// A reproducible uniform draw in [0, 1) from the raw engine (distributions are not portable).
double unit(std::mt19937_64& rng)
{
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

ordered_json draw(const ordered_json& range, std::mt19937_64& rng, const std::string& where)
{
    if (!range.is_object() || range.size() != 1)
        throw Error(where + ": expected one of {\"uniform\": [lo, hi]}, {\"log_uniform\": [lo, hi]}, "
                            "{\"int_uniform\": [lo, hi]}, {\"choice\": [...]}");
    // Not `*range.items().begin()`: its key() refers into a temporary that dies at the end of
    // the statement (AddressSanitizer: stack-use-after-scope).
    const std::string kind = range.begin().key();
    const ordered_json& args = range.begin().value();
    if (kind == "choice") {
        if (!args.is_array() || args.empty())
            throw Error(where + ": 'choice' needs a non-empty list");
        return args[rng() % args.size()];
    }
    if (!args.is_array() || args.size() != 2 || !args[0].is_number() || !args[1].is_number())
        throw Error(where + ": '" + kind + "' needs [lo, hi]");
    const double lo = args[0].get<double>(), hi = args[1].get<double>();
    if (!(lo <= hi))
        throw Error(where + ": the range is empty (lo > hi)");
    if (kind == "uniform")
        return lo + (hi - lo) * unit(rng);
    if (kind == "log_uniform") {
        if (lo <= 0)
            throw Error(where + ": 'log_uniform' needs a positive range");
        return std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * unit(rng));
    }
    if (kind == "int_uniform") {
        const auto a = static_cast<long long>(std::ceil(lo)), b = static_cast<long long>(std::floor(hi));
        return a + static_cast<long long>(rng() % static_cast<unsigned long long>(b - a + 1));
    }
    throw Error(where + ": unknown range kind '" + kind + "'");
}

} // namespace

std::vector<SweepPoint> expandSweep(const std::string& text, const std::string& source)
{
    ordered_json def;
    try {
        def = ordered_json::parse(text);
    } catch (const ordered_json::exception& e) { // parse errors, and numbers too large
        throw Error(source + ": not valid JSON (" + std::string(e.what()).substr(0, 160) + ")");
    }
    if (!def.is_object())
        throw Error(source + ": expected a JSON object with \"grid\" or \"random\"");
    for (const auto& [key, value] : def.items())
        if (key != "base" && key != "grid" && key != "random")
            throw Error(source + ": unknown field '" + key + "' (expected base, grid or random)");
    const ordered_json base = def.value("base", ordered_json::object());
    if (!base.is_object())
        throw Error(source + ": 'base' must be an object of head spec fields");
    headSpecFromJson(base.dump(), source + " (base)"); // the base alone must be valid
    std::vector<SweepPoint> points;
    if (def.contains("grid") == def.contains("random"))
        throw Error(source + ": give exactly one of \"grid\" and \"random\"");

    if (def.contains("grid")) {
        const auto& grid = def["grid"];
        if (!grid.is_object() || grid.empty())
            throw Error(source + ": 'grid' must map fields to lists of values");
        std::vector<std::pair<std::string, ordered_json>> axes;
        std::size_t total = 1;
        for (const auto& [field, values] : grid.items()) {
            if (!values.is_array() || values.empty())
                throw Error(source + ": grid field '" + field + "' needs a non-empty list of values");
            axes.emplace_back(field, values);
            total *= values.size();
            if (total > 10000)
                throw Error(source + ": the grid has more than 10000 points");
        }
        for (std::size_t i = 0; i < total; ++i) {
            ordered_json params = ordered_json::object();
            std::size_t rest = i;
            for (auto a = axes.rbegin(); a != axes.rend(); ++a) { // last field varies fastest
                params[a->first] = a->second[rest % a->second.size()];
                rest /= a->second.size();
            }
            ordered_json ordered = ordered_json::object();
            for (const auto& [field, values] : axes)
                ordered[field] = params[field];
            points.push_back({specFor(base, ordered, fmt::format("{} (grid point {})", source, i + 1)), ordered.dump()});
        }
    } else {
        const auto& random = def["random"];
        if (!random.is_object() || !random.contains("fields") || !random["fields"].is_object())
            throw Error(source + ": 'random' needs \"n\", \"seed\" and \"fields\"");
        const auto n = random.value("n", 10);
        if (n < 1 || n > 10000)
            throw Error(source + ": 'n' must be 1 to 10000");
        std::mt19937_64 rng(random.value("seed", 0ULL));
        for (int i = 0; i < n; ++i) {
            ordered_json params = ordered_json::object();
            for (const auto& [field, range] : random["fields"].items())
                params[field] = draw(range, rng, fmt::format("{}: field '{}'", source, field));
            points.push_back({specFor(base, params, fmt::format("{} (draw {})", source, i + 1)), params.dump()});
        }
    }
    return points;
}

} // namespace headbench
