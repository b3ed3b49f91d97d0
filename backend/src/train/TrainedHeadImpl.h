#pragma once
/// \file TrainedHeadImpl.h
/// Private to the backend: what a TrainedHead holds. A head trained in this process keeps its
/// weights and is applied on the BLAS (TrainedHead.cpp); a head read from a head.pt file is
/// LibTorch's module (TorchHead.cpp), opaque here, so this header needs no torch.
#include <headbench/core/HeadArchive.h>
#include <headbench/train/Trainer.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace headbench {

/// A head.pt read by LibTorch (TorchHead.cpp).
struct TorchHeadModule;

struct TrainedHead::Impl {
    std::optional<HeadWeights> weights;      ///< a head trained here: applied without LibTorch
    std::shared_ptr<TorchHeadModule> module; ///< a head read from a file: applied by LibTorch
    std::string archive;                     ///< the bytes of head.pt (empty for a head read from a file)
    std::int64_t inputDim = 0;
    int numClasses = 0;
};

/// The head of weights trained in this process: head.pt's bytes (headArchive) and the weights.
std::unique_ptr<TrainedHead::Impl> headFromWeights(HeadWeights weights);

/// Probabilities [rows, numClasses] (row-major) of the network `head` on rows of x, computed
/// on the BLAS in batches: the evaluation-mode forward head.pt's code runs.
std::vector<float> headProbabilities(const HeadWeights& head, const float* x, std::int64_t rows);

// LibTorch's side, in TorchHead.cpp.
/// Reads a head.pt; throws headbench::Error naming the file when it is not a HeadBench head.
std::unique_ptr<TrainedHead::Impl> loadTorchHead(const std::string& path);
std::vector<float> torchHeadProbabilities(const TorchHeadModule& module, const float* x, std::int64_t rows,
                                          std::int64_t inputDim, int numClasses);
/// The module as TorchScript bytes (LibTorch's writer).
std::string torchHeadBytes(const TorchHeadModule& module);

} // namespace headbench
