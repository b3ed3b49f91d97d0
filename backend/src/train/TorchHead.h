#pragma once
/// \file TorchHead.h
/// Private to the backend: the torch module of a head and its TorchScript export. Included
/// only by backend .cpp files, so torch never reaches a public header.
#include <headbench/core/HeadArchive.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <torch/script.h>
#include <torch/torch.h>

namespace headbench {

/// The head as a C++-frontend module: [Linear -> Norm -> Activation -> Dropout] x depth -> Linear.
struct HeadNetImpl : torch::nn::Module {
    HeadNetImpl(const HeadSpec& spec, std::int64_t inputDim, int outputs);
    torch::Tensor forward(torch::Tensor x);
    /// The weight and bias of `layer` (the first linear layer) with the input z-scoring folded
    /// in (computed in double): what evaluation and the exported head apply to raw features.
    std::pair<torch::Tensor, torch::Tensor> foldedFirstLayer(const torch::nn::Linear& layer) const;

    HeadSpec spec;
    std::vector<torch::nn::Linear> hidden;
    std::vector<torch::nn::LayerNorm> layerNorms;
    std::vector<torch::nn::BatchNorm1d> batchNorms;
    torch::nn::Linear output{nullptr};
    /// Input z-scoring from the training split, undefined when off: x -> (x - inputShift) *
    /// inputScale before the first layer. Constants, not parameters; scriptHead folds them
    /// into the first linear layer, so the saved head takes raw features.
    torch::Tensor inputShift, inputScale;
};
TORCH_MODULE(HeadNet);

/// Converts logits to class probabilities [N, K] (sigmoid for a single BCE output).
torch::Tensor logitsToProbabilities(const torch::Tensor& logits);

struct TrainedHead::Impl {
    torch::jit::Module module;
    std::string archive; ///< the bytes of head.pt (empty for a head read from a file)
    std::int64_t inputDim = 0;
    int numClasses = 0;
};

/// The evaluation-mode weights of a trained network, standardisation folded into the first
/// layer: what head.pt holds (HeadArchive.h).
HeadWeights headWeights(HeadNet& net, std::int64_t inputDim, int numClasses, const std::vector<std::string>& labelNames,
                        double temperature = 1.0);

/// Builds the TorchScript module of a trained network (evaluation mode: dropout dropped,
/// batch norm with running statistics) that maps features to probabilities. A temperature
/// other than 1 divides the logits before the softmax (or sigmoid).
std::unique_ptr<TrainedHead::Impl> scriptHead(HeadNet& net, std::int64_t inputDim, int numClasses,
                                              const std::vector<std::string>& labelNames, double temperature = 1.0);

} // namespace headbench
