#include <headbench/train/HeadSpec.h>

#include <headbench/core/Error.h>
#include <headbench/core/NumberText.h>
#include "core/JsonErrors.h"
#include "core/JsonNumbers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>

namespace headbench {
namespace {

using nlohmann::json;

template <typename E> struct EnumNames;
template <> struct EnumNames<Activation> {
    static constexpr std::array<std::pair<Activation, const char*>, 5> values{{
        {Activation::Relu, "relu"}, {Activation::Gelu, "gelu"}, {Activation::Tanh, "tanh"},
        {Activation::Silu, "silu"}, {Activation::LeakyRelu, "leaky_relu"}}};
    static constexpr const char* what = "activation";
};
template <> struct EnumNames<Norm> {
    static constexpr std::array<std::pair<Norm, const char*>, 3> values{{
        {Norm::None, "none"}, {Norm::LayerNorm, "layernorm"}, {Norm::BatchNorm, "batchnorm"}}};
    static constexpr const char* what = "norm";
};
template <> struct EnumNames<Loss> {
    static constexpr std::array<std::pair<Loss, const char*>, 3> values{{
        {Loss::CrossEntropy, "ce"}, {Loss::BceWithLogits, "bce"}, {Loss::Focal, "focal"}}};
    static constexpr const char* what = "loss";
};
template <> struct EnumNames<Optimizer> {
    static constexpr std::array<std::pair<Optimizer, const char*>, 5> values{{
        {Optimizer::Auto, "auto"}, {Optimizer::Adam, "adam"}, {Optimizer::AdamW, "adamw"}, {Optimizer::Sgd, "sgd"},
        {Optimizer::Lbfgs, "lbfgs"}}};
    static constexpr const char* what = "optimizer";
};
template <> struct EnumNames<Schedule> {
    static constexpr std::array<std::pair<Schedule, const char*>, 3> values{{
        {Schedule::Constant, "constant"}, {Schedule::Cosine, "cosine"}, {Schedule::Step, "step"}}};
    static constexpr const char* what = "schedule";
};
template <> struct EnumNames<StopMetric> {
    static constexpr std::array<std::pair<StopMetric, const char*>, 5> values{{
        {StopMetric::None, "none"}, {StopMetric::ValLoss, "val_loss"}, {StopMetric::ValF1, "val_f1"},
        {StopMetric::ValAccuracy, "val_accuracy"}, {StopMetric::ValRocAuc, "val_roc_auc"}}};
    static constexpr const char* what = "early_stopping";
};

template <typename E> std::string enumToString(E v)
{
    for (const auto& [value, name] : EnumNames<E>::values)
        if (value == v)
            return name;
    return "?";
}

// Aliases people type: "cross_entropy", "bce_with_logits", "layer_norm".
std::string canonical(std::string name)
{
    static const std::pair<const char*, const char*> aliases[] = {
        {"cross_entropy", "ce"}, {"crossentropy", "ce"}, {"bce_with_logits", "bce"},
        {"layer_norm", "layernorm"}, {"batch_norm", "batchnorm"}, {"leakyrelu", "leaky_relu"},
        {"swish", "silu"}};
    for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [from, to] : aliases)
        if (name == from)
            return to;
    return name;
}

// The JSON field names, in the order toJson writes them.
const std::set<std::string> kKnownFields = {
    "hidden", "depth", "width", "activation", "dropout", "norm", "loss", "focal_gamma", "class_weights",
    "label_smoothing", "optimizer", "l2", "standardize", "lr", "weight_decay", "momentum", "schedule", "step_size", "step_gamma",
    "batch_size", "epochs", "early_stopping", "patience", "seed"};

} // namespace

template <typename E> E parseEnum(const std::string& name)
{
    const std::string c = canonical(name);
    std::string accepted;
    for (const auto& [value, n] : EnumNames<E>::values) {
        if (c == n)
            return value;
        accepted += (accepted.empty() ? "" : ", ") + std::string(n);
    }
    throw Error(fmt::format("unknown {} '{}' (accepted: {})", EnumNames<E>::what, name, accepted));
}
template Activation parseEnum<Activation>(const std::string&);
template Norm parseEnum<Norm>(const std::string&);
template Loss parseEnum<Loss>(const std::string&);
template Optimizer parseEnum<Optimizer>(const std::string&);
template Schedule parseEnum<Schedule>(const std::string&);
template StopMetric parseEnum<StopMetric>(const std::string&);

std::string toString(Activation v) { return enumToString(v); }
std::string toString(Norm v) { return enumToString(v); }
std::string toString(Loss v) { return enumToString(v); }
std::string toString(Optimizer v) { return enumToString(v); }
std::string toString(Schedule v) { return enumToString(v); }
std::string toString(StopMetric v) { return enumToString(v); }

Optimizer resolvedOptimizer(const HeadSpec& spec)
{
    if (spec.optimizer != Optimizer::Auto)
        return spec.optimizer;
    return spec.hidden.empty() ? Optimizer::Lbfgs : Optimizer::AdamW;
}

bool standardizes(const HeadSpec& spec)
{
    return spec.standardize.value_or(resolvedOptimizer(spec) == Optimizer::Lbfgs);
}

std::vector<std::string> validate(const HeadSpec& s, int numClasses)
{
    std::vector<std::string> problems;
    if (s.optimizer == Optimizer::Lbfgs && !s.hidden.empty())
        problems.push_back("the lbfgs optimizer trains only the linear probe (depth 0)");
    if (s.l2 && !(*s.l2 >= 0.0 && *s.l2 <= 100.0))
        problems.push_back(fmt::format("l2 {} must be between 0 and 100", *s.l2));
    if (s.hidden.size() > 8)
        problems.push_back(fmt::format("depth {} is more than the 8 hidden layers supported", s.hidden.size()));
    for (std::size_t i = 0; i < s.hidden.size(); ++i)
        if (s.hidden[i] < 1 || s.hidden[i] > 65536)
            problems.push_back(fmt::format("hidden layer {} has width {}; widths must be 1 to 65536", i + 1, s.hidden[i]));
    if (!(s.dropout >= 0.0 && s.dropout < 1.0))
        problems.push_back(fmt::format("dropout {} must be at least 0 and below 1", s.dropout));
    if (!(s.focalGamma >= 0.0 && s.focalGamma <= 10.0))
        problems.push_back(fmt::format("focal gamma {} must be between 0 and 10", s.focalGamma));
    if (!(s.labelSmoothing >= 0.0 && s.labelSmoothing < 1.0))
        problems.push_back(fmt::format("label smoothing {} must be at least 0 and below 1", s.labelSmoothing));
    if (!(s.learningRate > 0.0 && s.learningRate <= 10.0))
        problems.push_back(fmt::format("learning rate {} must be above 0 and at most 10", s.learningRate));
    if (!(s.weightDecay >= 0.0 && s.weightDecay <= 1.0))
        problems.push_back(fmt::format("weight decay {} must be between 0 and 1", s.weightDecay));
    if (!(s.momentum >= 0.0 && s.momentum < 1.0))
        problems.push_back(fmt::format("momentum {} must be at least 0 and below 1", s.momentum));
    if (s.stepSize < 1)
        problems.push_back(fmt::format("step size {} must be at least 1 epoch", s.stepSize));
    if (!(s.stepGamma > 0.0 && s.stepGamma <= 1.0))
        problems.push_back(fmt::format("step gamma {} must be above 0 and at most 1", s.stepGamma));
    if (s.batchSize < 1 || s.batchSize > 1 << 20)
        problems.push_back(fmt::format("batch size {} must be 1 to 1048576", s.batchSize));
    if (s.epochs < 1 || s.epochs > 100000)
        problems.push_back(fmt::format("epochs {} must be 1 to 100000", s.epochs));
    if (s.patience < 1)
        problems.push_back(fmt::format("patience {} must be at least 1 epoch", s.patience));
    if (s.autoClassWeights && !s.classWeights.empty())
        problems.push_back("class weights are both 'auto' and given explicitly");
    for (double w : s.classWeights)
        if (!(w > 0.0 && std::isfinite(w)))
            problems.push_back(fmt::format("class weight {} must be a positive number", w));
    if (s.norm == Norm::BatchNorm && s.batchSize < 2)
        problems.push_back("batchnorm needs a batch size of at least 2");
    if (numClasses > 0) {
        if (s.loss == Loss::BceWithLogits && numClasses != 2)
            problems.push_back(fmt::format("BCE-with-logits needs exactly two classes; the data has {}", numClasses));
        if (!s.classWeights.empty() && static_cast<int>(s.classWeights.size()) != numClasses)
            problems.push_back(fmt::format("{} class weights given for {} classes", s.classWeights.size(), numClasses));
        if (s.earlyStopping == StopMetric::ValRocAuc && numClasses != 2)
            problems.push_back("early stopping on ROC-AUC needs two classes");
    }
    return problems;
}

std::string toJson(const HeadSpec& s)
{
    nlohmann::ordered_json j; // fields in the order people think of them, not alphabetical
    j["hidden"] = s.hidden;
    j["activation"] = toString(s.activation);
    j["dropout"] = s.dropout;
    j["norm"] = toString(s.norm);
    j["loss"] = toString(s.loss);
    j["focal_gamma"] = s.focalGamma;
    if (s.autoClassWeights)
        j["class_weights"] = "auto";
    else if (!s.classWeights.empty())
        j["class_weights"] = s.classWeights;
    else
        j["class_weights"] = "none";
    j["label_smoothing"] = s.labelSmoothing;
    j["optimizer"] = toString(s.optimizer);
    if (s.l2)
        j["l2"] = *s.l2;
    else
        j["l2"] = "auto";
    if (s.standardize)
        j["standardize"] = *s.standardize;
    else
        j["standardize"] = "auto";
    j["lr"] = s.learningRate;
    j["weight_decay"] = s.weightDecay;
    j["momentum"] = s.momentum;
    j["schedule"] = toString(s.schedule);
    j["step_size"] = s.stepSize;
    j["step_gamma"] = s.stepGamma;
    j["batch_size"] = s.batchSize;
    j["epochs"] = s.epochs;
    j["early_stopping"] = toString(s.earlyStopping);
    j["patience"] = s.patience;
    j["seed"] = s.seed;
    return j.dump(2);
}

std::vector<int> applyArchitecture(const std::vector<int>& base, const ArchitectureOverrides& o, const std::string& source)
{
    if (o.depth && (*o.depth < 0 || *o.depth > 8))
        throw Error(fmt::format("{}: depth {} must be 0 to 8", source, *o.depth));
    if (o.hidden && o.width)
        throw Error(source + ": give either 'hidden' (a width per layer) or 'width' (one for every layer), not both");
    auto checked = [&](std::int64_t w, std::size_t layer) {
        // Before the cast to int: 4294967808 must be refused, not become 512.
        if (w < 1 || w > 65536)
            throw Error(fmt::format("{}: hidden layer {} has width {}; widths must be 1 to 65536", source, layer + 1, w));
        return static_cast<int>(w);
    };
    if (o.width)
        checked(*o.width, 0);
    std::vector<int> widths;
    if (o.hidden) {
        for (std::size_t i = 0; i < o.hidden->size(); ++i)
            widths.push_back(checked((*o.hidden)[i], i));
        if (o.depth && widths.size() == 1)
            widths.assign(static_cast<std::size_t>(*o.depth), widths[0]); // one width for every layer
        else if (o.depth && static_cast<std::int64_t>(widths.size()) != *o.depth)
            throw Error(fmt::format("{}: 'depth' {} does not match 'hidden', which has {} layers", source, *o.depth,
                                    widths.size()));
        return widths;
    }
    const int width = o.width ? static_cast<int>(*o.width) : base.empty() ? HeadSpec{}.hidden.at(0) : base[0];
    if (o.depth)
        return std::vector<int>(static_cast<std::size_t>(*o.depth), width);
    if (o.width)
        return std::vector<int>(base.size(), width);
    return base;
}

std::vector<std::int64_t> parseWidthList(const std::string& text, const std::string& source)
{
    std::vector<std::int64_t> widths;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(',', start), text.size());
        std::string item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        // A trailing comma is forgiven ("512,256,"); an empty width inside the list is not: "8,,8"
        // gave a 2x8 head where 3 layers were meant, or a typo for one.
        if (item.empty() && text.find_first_not_of(" \t,", end) != std::string::npos)
            throw Error(source + ": '" + text + "' has an empty width between commas (expected e.g. 512,256)");
        if (!item.empty()) {
            std::int64_t w = 0;
            const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), w);
            if (ec != std::errc() || ptr != item.data() + item.size())
                throw Error(source + ": '" + item + "' is not a width (expected e.g. 512,256)");
            widths.push_back(w);
        }
        start = end + 1;
    }
    return widths;
}

HeadSpec headSpecFromJson(const std::string& text, const std::string& source)
{
    return applySpecJson(HeadSpec{}, text, source);
}

HeadSpec applySpecJson(const HeadSpec& base, const std::string& text, const std::string& source)
{
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) { // parse errors, and numbers too large (out_of_range)
        throw Error(jsonParseMessage(source, e.what()));
    }
    if (!j.is_object())
        throw Error(source + ": expected a JSON object");
    for (const auto& [key, value] : j.items())
        if (!kKnownFields.count(key))
            throw Error(source + ": unknown field '" + key + "'");

    HeadSpec s = base;
    auto field = [&](const char* key, auto& target) {
        const auto it = j.find(key);
        if (it == j.end())
            return;
        using T = std::decay_t<decltype(target)>;
        try {
            if constexpr (std::is_same_v<T, double>) {
                if (!it->is_number())
                    throw Error("");
            } else if constexpr (std::is_integral_v<T>) {
                // Whole numbers that fit: 4294967808 must not become 512.
                if (!wholeNumberIn(*it, static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                                   static_cast<std::int64_t>(std::numeric_limits<T>::max())))
                    throw Error("");
            }
            target = it->get<T>();
        } catch (const std::exception&) {
            throw Error(fmt::format("{}: field '{}' has the wrong type ({})", source, key, it->dump()));
        }
    };
    auto enumField = [&](const char* key, auto& target) {
        const auto it = j.find(key);
        if (it == j.end())
            return;
        if (!it->is_string())
            throw Error(fmt::format("{}: field '{}' must be a string, got {}", source, key, it->dump()));
        try {
            target = parseEnum<std::decay_t<decltype(target)>>(it->get<std::string>());
        } catch (const Error& e) {
            throw Error(source + ": " + e.what());
        }
    };

    ArchitectureOverrides arch;
    if (const auto it = j.find("hidden"); it != j.end()) {
        if (!it->is_array())
            throw Error(source + ": field 'hidden' must be an array of widths, e.g. [512, 256]");
        arch.hidden.emplace();
        for (const auto& w : *it) {
            const auto width = wholeNumberIn(w, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
            if (!width)
                throw Error(source + ": field 'hidden' must hold whole numbers, got " + w.dump());
            arch.hidden->push_back(*width);
        }
    }
    for (const auto& [key, target] : {std::pair{"depth", &arch.depth}, std::pair{"width", &arch.width}})
        if (const auto it = j.find(key); it != j.end()) {
            *target = wholeNumberIn(*it, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
            if (!*target)
                throw Error(fmt::format("{}: field '{}' has the wrong type ({})", source, key, it->dump()));
        }
    s.hidden = applyArchitecture(s.hidden, arch, source);
    enumField("activation", s.activation);
    field("dropout", s.dropout);
    enumField("norm", s.norm);
    enumField("loss", s.loss);
    field("focal_gamma", s.focalGamma);
    if (const auto it = j.find("class_weights"); it != j.end()) {
        if (it->is_string() && (*it == "auto" || *it == "none")) {
            s.autoClassWeights = *it == "auto";
            s.classWeights.clear();
        } else if (it->is_array() && std::all_of(it->begin(), it->end(), [](const json& v) { return v.is_number(); })) {
            s.autoClassWeights = false;
            s.classWeights = it->get<std::vector<double>>();
        } else if (!it->is_null()) {
            throw Error(source + ": field 'class_weights' must be \"auto\", \"none\" or a list of numbers");
        }
    }
    field("label_smoothing", s.labelSmoothing);
    enumField("optimizer", s.optimizer);
    if (const auto it = j.find("l2"); it != j.end()) {
        if (it->is_number())
            s.l2 = it->get<double>();
        else if (it->is_string() && *it == "auto")
            s.l2.reset();
        else
            throw Error(source + ": field 'l2' must be \"auto\" or a number, got " + it->dump());
    }
    if (const auto it = j.find("standardize"); it != j.end()) {
        if (it->is_boolean())
            s.standardize = it->get<bool>();
        else if (!(it->is_string() && *it == "auto"))
            throw Error(source + ": field 'standardize' must be true, false or \"auto\", got " + it->dump());
    }
    field("lr", s.learningRate);
    field("weight_decay", s.weightDecay);
    field("momentum", s.momentum);
    enumField("schedule", s.schedule);
    field("step_size", s.stepSize);
    field("step_gamma", s.stepGamma);
    field("batch_size", s.batchSize);
    field("epochs", s.epochs);
    enumField("early_stopping", s.earlyStopping);
    field("patience", s.patience);
    if (const auto it = j.find("seed"); it != j.end()) {
        if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<long long>() < 0))
            throw Error(source + ": field 'seed' must be a non-negative whole number, got " + it->dump());
        s.seed = it->get<std::uint64_t>();
    }

    const auto problems = validate(s);
    if (!problems.empty())
        throw Error(source + ": " + problems.front());
    return s;
}

int outputUnits(const HeadSpec& spec, int numClasses)
{
    return spec.loss == Loss::BceWithLogits && numClasses == 2 ? 1 : numClasses;
}

std::vector<LayerInfo> describeLayers(const HeadSpec& spec, std::int64_t inputDim, int numClasses)
{
    std::vector<LayerInfo> layers;
    std::int64_t in = inputDim;
    for (int width : spec.hidden) {
        layers.push_back({"Linear", in, width, in * width + width});
        if (spec.norm == Norm::LayerNorm)
            layers.push_back({"LayerNorm", width, width, 2LL * width});
        else if (spec.norm == Norm::BatchNorm)
            layers.push_back({"BatchNorm", width, width, 2LL * width});
        layers.push_back({toString(spec.activation), width, width, 0});
        if (spec.dropout > 0)
            layers.push_back({fmt::format("Dropout {:g}", spec.dropout), width, width, 0});
        in = width;
    }
    const std::int64_t out = outputUnits(spec, numClasses);
    layers.push_back({"Linear", in, out, in * out + out});
    layers.push_back({out == 1 ? "Sigmoid" : "Softmax", out, numClasses, 0});
    return layers;
}

std::int64_t parameterCount(const HeadSpec& spec, std::int64_t inputDim, int numClasses)
{
    std::int64_t total = 0;
    for (const auto& l : describeLayers(spec, inputDim, numClasses))
        total += l.parameters;
    return total;
}

std::string summary(const HeadSpec& spec)
{
    std::string arch;
    if (spec.hidden.empty()) {
        arch = "linear probe";
    } else {
        const bool uniform = std::all_of(spec.hidden.begin(), spec.hidden.end(), [&](int w) { return w == spec.hidden[0]; });
        if (uniform) {
            arch = fmt::format("{}x{}", spec.hidden.size(), spec.hidden[0]);
        } else {
            for (int w : spec.hidden)
                arch += (arch.empty() ? "" : "-") + std::to_string(w);
        }
        arch += " " + toString(spec.activation);
        if (spec.norm != Norm::None)
            arch += " " + toString(spec.norm);
    }
    std::string loss = toString(spec.loss);
    if (spec.loss == Loss::Focal)
        loss += fmt::format(" γ={:g}", spec.focalGamma);
    if (spec.autoClassWeights || !spec.classWeights.empty())
        loss += " weighted";
    return arch + ", " + loss;
}

std::vector<SpecDifference> diffSpecs(const std::vector<HeadSpec>& specs)
{
    std::vector<SpecDifference> out;
    if (specs.size() < 2)
        return out;
    std::vector<nlohmann::ordered_json> objects;
    for (const auto& s : specs)
        objects.push_back(nlohmann::ordered_json::parse(toJson(s)));
    for (const auto& [field, firstValue] : objects.front().items()) {
        SpecDifference d;
        d.field = field;
        bool differs = false;
        for (const auto& o : objects) {
            const auto value = o.contains(field) ? o.at(field) : nlohmann::ordered_json();
            d.values.push_back(value.dump());
            differs = differs || value != firstValue;
        }
        if (differs)
            out.push_back(std::move(d));
    }
    return out;
}

HeadSpec applySpecText(const HeadSpec& base, const std::vector<SpecTextField>& fields)
{
    json changes = json::object();
    for (const SpecTextField& f : fields) {
        std::string text = f.text;
        text.erase(0, text.find_first_not_of(" \t"));
        text.erase(text.find_last_not_of(" \t") + 1);
        if (f.field == "l2") {
            if (text.empty() || text == "auto") {
                changes["l2"] = "auto";
            } else if (const auto v = parseDouble(text)) {
                changes["l2"] = *v;
            } else {
                throw Error(fmt::format("{}: '{}' is not a number (expected auto or e.g. 0.001)", f.source, f.text));
            }
        } else if (f.field == "class_weights") {
            if (text == "auto" || text == "none" || text.empty()) {
                changes["class_weights"] = text.empty() ? std::string("none") : text;
            } else {
                json weights = json::array();
                std::size_t start = 0;
                while (start <= text.size()) {
                    const std::size_t comma = std::min(text.find(',', start), text.size());
                    std::string item = text.substr(start, comma - start);
                    item.erase(0, item.find_first_not_of(" \t"));
                    item.erase(item.find_last_not_of(" \t") + 1);
                    const auto v = parseDouble(item);
                    if (!v)
                        throw Error(fmt::format("{}: '{}' is not a number (expected auto, none or one weight per class, "
                                                "e.g. 1,3)",
                                                f.source, item));
                    weights.push_back(*v);
                    start = comma + 1;
                }
                changes["class_weights"] = std::move(weights);
            }
        } else {
            throw Error(fmt::format("{}: '{}' is not a head spec field given as text", f.source, f.field));
        }
    }
    std::string source;
    for (const SpecTextField& f : fields)
        source += (source.empty() ? "" : ", ") + f.source;
    return applySpecJson(base, changes.dump(), source.empty() ? std::string("head spec") : source);
}

std::vector<UnusedSetting> unusedSettings(const HeadSpec& spec, const std::vector<std::string>& fields)
{
    const bool lbfgs = resolvedOptimizer(spec) == Optimizer::Lbfgs;
    const bool probe = spec.hidden.empty();
    auto reasonFor = [&](const std::string& f) -> std::string {
        static const char* const minibatch[] = {"lr", "batch_size", "epochs", "schedule", "step_size",
                                                "step_gamma", "weight_decay", "momentum", "early_stopping", "patience"};
        if (lbfgs && std::find(std::begin(minibatch), std::end(minibatch), f) != std::end(minibatch))
            return "the L-BFGS linear probe fits on all training rows at once until its gradient vanishes: it has no "
                   "learning rate, batches, epochs, schedule, weight decay (its penalty is l2) or early stopping";
        if (probe && (f == "dropout" || f == "norm" || f == "activation"))
            return "a linear probe has no hidden layers to apply it to";
        if (!lbfgs && f == "l2")
            return "the L2 penalty is the L-BFGS probe's; a head trained by " + toString(resolvedOptimizer(spec)) +
                   " is regularised by weight_decay";
        if (f == "momentum" && resolvedOptimizer(spec) != Optimizer::Sgd)
            return "momentum is SGD's; this head trains with " + toString(resolvedOptimizer(spec));
        if ((f == "step_size" || f == "step_gamma") && spec.schedule != Schedule::Step)
            return "it sets the step schedule; the schedule is " + toString(spec.schedule);
        if (f == "focal_gamma" && spec.loss != Loss::Focal)
            return "it is the focal loss's; the loss is " + toString(spec.loss);
        if (f == "patience" && spec.earlyStopping == StopMetric::None)
            return "it counts epochs without improvement for early stopping, which is off";
        return {};
    };
    std::vector<UnusedSetting> out;
    for (const auto& f : fields)
        if (auto reason = reasonFor(f); !reason.empty())
            out.push_back({f, std::move(reason)});
    return out;
}

} // namespace headbench
