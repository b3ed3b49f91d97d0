#pragma once
/// \file HeadArchive.h
/// A trained head as plain numbers, and the `head.pt` that holds it, written without LibTorch.
///
/// `head.pt` is a TorchScript archive: a zip of the module's code (`code/__torch__.py`), its
/// state (`data.pkl`, a pickle whose tensors point at raw little-endian storages under `data/`),
/// `constants.pkl` and `version`. LibTorch's `torch::jit::load` and Python's `torch.jit.load`
/// both read it. Writing it here, rather than through LibTorch's module serializer, lets a
/// process that never loads LibTorch save a head (docs/FORMAT.md, "head.pt").
#include <cstdint>
#include <string>
#include <vector>

namespace headbench {

/// The evaluation-mode network of a head: [Linear -> Norm -> Activation] x depth -> Linear ->
/// (÷ temperature) -> softmax, or sigmoid for a single output (returned as [1 - p, p]).
struct HeadWeights {
    /// A linear layer: `weight` is [out, in], row-major; `bias` is [out].
    struct Dense {
        std::int64_t in = 0, out = 0;
        std::vector<float> weight, bias;
    };
    /// The normalisation after a hidden layer. Layer norm uses `weight`, `bias`; batch norm
    /// also its running statistics.
    struct Normalization {
        std::vector<float> weight, bias, runningMean, runningVar;
        double eps = 1e-5;
    };
    enum class Norm { None, Layer, Batch };
    /// The activation's TorchScript name: relu, gelu, tanh, silu or leaky_relu (slope 0.01).
    std::string activation = "relu";
    Norm norm = Norm::None;
    std::vector<Dense> hidden;
    std::vector<Normalization> norms; ///< one per hidden layer unless norm is None
    Dense output;
    double temperature = 1.0;         ///< divides the logits; 1 leaves them
    std::int64_t inputDim = 0;
    int numClasses = 0;
    std::vector<std::string> labelNames;
};

/// The bytes of `head.pt` for `head`: a TorchScript module named HeadBenchHead whose forward
/// maps float32 [N, inputDim] to probabilities [N, numClasses], with the attributes
/// `input_dim`, `num_classes` and `label_names`. The same weights give the same bytes.
/// Throws headbench::Error when the shapes do not chain or a name is not known.
std::string headArchive(const HeadWeights& head);

} // namespace headbench
