#include <headbench/runs/Sweep.h>

#include <headbench/core/Error.h>
#include "core/JsonErrors.h"
#include "core/JsonNumbers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

namespace headbench {
namespace {

using nlohmann::ordered_json;

/// Takes the feature set out of a point's fields: it names the data, not a head field.
std::string takeFeatureSet(ordered_json& fields, const std::string& where)
{
    if (!fields.contains("feature_set"))
        return {};
    if (!fields["feature_set"].is_string() || fields["feature_set"].get<std::string>().empty())
        throw Error(where + ": 'feature_set' must be a feature set name such as \"layer6.mean\"");
    std::string name = fields["feature_set"].get<std::string>();
    fields.erase("feature_set");
    return name;
}

/// One point: its fields change the base spec, depth/width/hidden by the one rule of
/// applyArchitecture (checked numbers: an over-wide width is refused, never wrapped).
SweepPoint pointFor(const HeadSpec& baseSpec, const std::string& baseSet, const ordered_json& overrides,
                    const std::string& where)
{
    ordered_json fields = overrides;
    SweepPoint point;
    point.params = overrides.dump();
    const std::string set = takeFeatureSet(fields, where);
    point.featureSet = set.empty() ? baseSet : set;
    point.spec = applySpecJson(baseSpec, fields.dump(), where);
    return point;
}

/// Takes the "train_fraction" axis out of a point's values (it is no head spec field).
double takeTrainFraction(ordered_json& overrides, const std::string& where)
{
    if (!overrides.contains("train_fraction"))
        return 1.0;
    const ordered_json value = overrides["train_fraction"];
    overrides.erase("train_fraction");
    if (!value.is_number() || !(value.get<double>() > 0.0 && value.get<double>() <= 1.0))
        throw Error(where + ": 'train_fraction' must be a number in (0, 1], got " + value.dump());
    return value.get<double>();
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
        throw Error(jsonParseMessage(source, e.what()));
    }
    if (!def.is_object())
        throw Error(source + ": expected a JSON object with \"grid\" or \"random\"");
    for (const auto& [key, value] : def.items())
        if (key != "base" && key != "grid" && key != "random")
            throw Error(source + ": unknown field '" + key + "' (expected base, grid or random)");
    const ordered_json base = def.value("base", ordered_json::object());
    if (!base.is_object())
        throw Error(source + ": 'base' must be an object of head spec fields");
    ordered_json baseFields = base;
    const std::string baseSet = takeFeatureSet(baseFields, source + " (base)");
    const HeadSpec baseSpec = headSpecFromJson(baseFields.dump(), source + " (base)"); // the base alone must be valid
    std::vector<SweepPoint> points;
    if (def.contains("grid") == def.contains("random"))
        throw Error(source + ": give exactly one of \"grid\" and \"random\"");
    // One point from its fields: the training fraction is taken out, the rest overrides the base.
    const auto addPoint = [&](const ordered_json& params, const std::string& where) {
        ordered_json fields = params;
        const double fraction = takeTrainFraction(fields, where);
        points.push_back(pointFor(baseSpec, baseSet, fields, where));
        points.back().params = params.dump();
        points.back().trainFraction = fraction;
    };

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
            addPoint(ordered, fmt::format("{} (grid point {})", source, i + 1));
        }
    } else {
        const auto& random = def["random"];
        if (!random.is_object() || !random.contains("fields") || !random["fields"].is_object())
            throw Error(source + ": 'random' needs \"n\", \"seed\" and \"fields\"");
        const auto n = wholeNumberAs<int>(random.value("n", ordered_json(10)));
        if (!n || *n < 1 || *n > 10000)
            throw Error(source + ": 'n' must be a whole number from 1 to 10000");
        const auto seed = wholeNumberAs<std::uint64_t>(random.value("seed", ordered_json(0)));
        if (!seed)
            throw Error(source + ": 'seed' must be a whole number from 0 to 2^64 - 1");
        std::mt19937_64 rng(*seed);
        for (int i = 0; i < *n; ++i) {
            ordered_json params = ordered_json::object();
            for (const auto& [field, range] : random["fields"].items())
                params[field] = draw(range, rng, fmt::format("{}: field '{}'", source, field));
            addPoint(params, fmt::format("{} (draw {})", source, i + 1));
        }
    }
    return points;
}

} // namespace headbench
