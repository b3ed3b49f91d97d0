#pragma once
/// \file HeadSpec.h
/// What a classification head is and how it is trained. JSON-serialisable; every field has
/// a sensible default so `{}` is a valid spec.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace headbench {

enum class Activation { Relu, Gelu, Tanh, Silu, LeakyRelu };
enum class Norm { None, LayerNorm, BatchNorm };
enum class Loss { CrossEntropy, BceWithLogits, Focal };
/// `Auto` resolves per head: L-BFGS for the linear probe (depth 0), AdamW otherwise.
enum class Optimizer { Auto, Adam, AdamW, Sgd, Lbfgs };
enum class Schedule { Constant, Cosine, Step };
enum class StopMetric { None, ValLoss, ValF1, ValAccuracy, ValRocAuc };

/// A head and its training settings.
struct HeadSpec {
    // Architecture
    std::vector<int> hidden = {256};  ///< width per hidden layer; empty = linear probe (depth 0)
    Activation activation = Activation::Relu;
    double dropout = 0.1;
    Norm norm = Norm::None;
    // Loss
    Loss loss = Loss::CrossEntropy;
    double focalGamma = 2.0;
    bool autoClassWeights = false;          ///< inverse-frequency weights from the train split
    std::vector<double> classWeights;       ///< explicit weights (one per class), or empty
    double labelSmoothing = 0.0;
    // Optimisation
    Optimizer optimizer = Optimizer::Auto;  ///< see resolvedOptimizer()
    /// L2 penalty of the L-BFGS probe: the objective is mean loss + l2 / 2 * ||W||^2 (bias not
    /// penalised). Empty = "auto": picked from a grid on the validation split.
    std::optional<double> l2;
    /// Z-score the inputs with the training split's mean and deviation (folded into the saved
    /// head). Empty = "auto": on when the optimiser resolves to L-BFGS.
    std::optional<bool> standardize;
    double learningRate = 1e-3;
    double weightDecay = 1e-4;
    double momentum = 0.9;                  ///< for sgd
    Schedule schedule = Schedule::Constant;
    int stepSize = 10;                      ///< epochs between decays, for step
    double stepGamma = 0.5;                 ///< decay factor, for step
    int batchSize = 256;
    int epochs = 20;
    StopMetric earlyStopping = StopMetric::None;
    int patience = 5;
    std::uint64_t seed = 42;

    int depth() const { return static_cast<int>(hidden.size()); }
};

/// The optimiser a spec trains with: `Auto` becomes Lbfgs for depth 0 and AdamW otherwise.
Optimizer resolvedOptimizer(const HeadSpec& spec);
/// Whether training z-scores the inputs: the explicit setting, else on for L-BFGS only (so a
/// stored Adam spec without the field keeps its meaning).
bool standardizes(const HeadSpec& spec);

/// Problems with a spec, one sentence each, empty when valid. With numClasses > 0 also checks
/// what depends on the data (BCE needs two classes, class weights need one per class).
std::vector<std::string> validate(const HeadSpec& spec, int numClasses = 0);

/// A setting given for a head that does not use it.
struct UnusedSetting {
    std::string field;  ///< JSON name: "lr", "l2", ...
    std::string reason; ///< why, for a person: "the L-BFGS linear probe has no learning rate"
};

/// Of the fields set explicitly (JSON names, as a person gave them: flags, a spec file), those
/// the head `spec` resolves to ignores, each with the reason: the L-BFGS probe's learning-rate
/// and epoch settings, layer settings of a head with no hidden layers, the L2 penalty of a head
/// that is not the probe, momentum without SGD, step settings without the step schedule, the
/// focal gamma without the focal loss, patience without early stopping.
std::vector<UnusedSetting> unusedSettings(const HeadSpec& spec, const std::vector<std::string>& fields);

/// Serialises to a JSON object (pretty-printed).
std::string toJson(const HeadSpec& spec);

/// Parses a JSON object; unknown fields, wrong types and impossible values throw
/// headbench::Error naming `source` and the field. Missing fields keep their defaults.
HeadSpec headSpecFromJson(const std::string& json, const std::string& source = "head spec");

/// Changes a spec starts from: fields of `json` replace those of `base` (the sweep's base spec
/// and one point's fields); the architecture fields follow applyArchitecture(). Throws like
/// headSpecFromJson, which is this function on the default spec.
HeadSpec applySpecJson(const HeadSpec& base, const std::string& json, const std::string& source);

/// A head spec field as a person types it: a CLI flag's value or a designer field's text.
struct SpecTextField {
    std::string field;  ///< JSON name: "l2" or "class_weights"
    std::string text;   ///< as typed: "auto", "0.001"; "auto", "none", "1,3"
    std::string source; ///< what gave it, for messages: "--l2", "L2 penalty"
};

/// The one path by which typed fields change a spec, for the CLI's flags and the designer alike:
/// each text becomes its JSON value by one rule (numbers whole and locale-free; "auto" and "none"
/// kept; class weights split at commas; an empty L2 is auto, empty weights none), then
/// applySpecJson applies them with the spec file's checks. Throws headbench::Error naming the
/// field's source and the text that is not a number.
HeadSpec applySpecText(const HeadSpec& base, const std::vector<SpecTextField>& fields);

/// Architecture overrides as given (CLI flags, JSON fields, sweep fields, the designer), before
/// any range check: numbers stay 64-bit so an over-wide value is refused, never wrapped.
struct ArchitectureOverrides {
    std::optional<std::vector<std::int64_t>> hidden; ///< a width per hidden layer ("hidden", --hidden)
    std::optional<std::int64_t> depth;               ///< hidden layers ("depth", --depth)
    std::optional<std::int64_t> width;               ///< one width for every layer ("width", --width)
};

/// The one rule for hidden/depth/width, used everywhere a spec is changed:
/// - hidden alone: those layers; hidden with depth: one width is repeated depth times
///   (`--hidden 512 --depth 3` and {"hidden":[512],"depth":3} are three layers of 512), a list
///   of depth widths is kept, another count is refused; hidden with width is refused;
/// - depth without hidden: depth layers of `width`, else of the base's first width (256 when the
///   base is a linear probe);
/// - width alone: every layer of the base gets it (a linear probe stays one).
/// Depth must be 0 to 8 and widths 1 to 65536; throws headbench::Error naming `source`.
std::vector<int> applyArchitecture(const std::vector<int>& base, const ArchitectureOverrides& overrides,
                                   const std::string& source);

/// Parses "512,256" (the CLI's --hidden and the designer's widths field) into widths, checked
/// as whole numbers; ranges are applyArchitecture's job. Throws headbench::Error naming `source`.
std::vector<std::int64_t> parseWidthList(const std::string& text, const std::string& source);

/// Number of outputs of the final layer: 1 for BCE-with-logits, else numClasses.
int outputUnits(const HeadSpec& spec, int numClasses);

/// Number of trainable parameters for the given input dimension and class count.
std::int64_t parameterCount(const HeadSpec& spec, std::int64_t inputDim, int numClasses);

/// One layer of the head for display: "Linear 768 -> 256", "LayerNorm 256", "GELU", ...
struct LayerInfo {
    std::string kind;
    std::int64_t in = 0, out = 0;
    std::int64_t parameters = 0;
};
std::vector<LayerInfo> describeLayers(const HeadSpec& spec, std::int64_t inputDim, int numClasses);

/// A one-line summary such as "2x512 gelu, focal γ=2" or "linear probe, ce".
std::string summary(const HeadSpec& spec);

// Names used in JSON and on the command line.
std::string toString(Activation v);
std::string toString(Norm v);
std::string toString(Loss v);
std::string toString(Optimizer v);
std::string toString(Schedule v);
std::string toString(StopMetric v);
/// Parses an enum name; throws headbench::Error listing the accepted names.
template <typename E> E parseEnum(const std::string& name);

/// One field whose value differs between specs: its JSON name and each spec's value as JSON text.
struct SpecDifference {
    std::string field;
    std::vector<std::string> values;
};

/// The fields (JSON names, in spec order) whose values are not all equal across the specs.
std::vector<SpecDifference> diffSpecs(const std::vector<HeadSpec>& specs);

} // namespace headbench
