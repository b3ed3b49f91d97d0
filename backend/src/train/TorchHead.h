#pragma once
/// \file TorchHead.h
/// Private to the backend: the torch module of a head and its TorchScript export. Included
/// only by backend .cpp files, so torch never reaches a public header.
#include <headbench/core/HeadArchive.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>
#include "train/TrainedHeadImpl.h"

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
    /// inputScale before the first layer. Constants, not parameters; headWeights() folds them
    /// into the first linear layer, so the saved head takes raw features.
    torch::Tensor inputShift, inputScale;
};
TORCH_MODULE(HeadNet);

/// The evaluation-mode weights of a trained network, standardisation folded into the first
/// layer: what head.pt holds (HeadArchive.h).
HeadWeights headWeights(HeadNet& net, std::int64_t inputDim, int numClasses, const std::vector<std::string>& labelNames,
                        double temperature = 1.0);

} // namespace headbench
