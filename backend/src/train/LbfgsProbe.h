#pragma once
/// \file LbfgsProbe.h
/// Private to the backend (includes torch): the converged linear probe. Full-batch L-BFGS with
/// a strong-Wolfe line search on the spec's loss plus an L2 penalty, run to a gradient
/// tolerance; with `l2: auto` the penalty is picked on the validation split.
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <vector>

namespace headbench {

/// The data loss of logits against targets (mean over the rows, as the spec defines it).
using LossFn = std::function<torch::Tensor(const torch::Tensor& logits, const torch::Tensor& targets)>;

/// What the probe is fitted on. The feature matrix is used where it lies (no copy of the training
/// rows): every product runs over all its rows, and the loss and its gradient see the training
/// rows only. Standardisation is folded into the products: the weights live in standardised
/// coordinates, z = ((x - shift) * scale) W^T + b = x (W * scale)^T + (b - (W * scale) shift).
struct LbfgsProblem {
    torch::Tensor x;                   ///< [N, D] float: every row of the feature file, as stored
    torch::Tensor shift, scale;        ///< [D] the standardisation; undefined: none
    torch::Tensor trainRows, yTrain;   ///< [n] long: the rows fitted on and their targets
    torch::Tensor valRows, yVal;       ///< the validation rows and targets
    std::vector<std::int32_t> valLabels;
    int numClasses = 0;
    LossFn loss;
    /// The loss's denominator for a set of targets: their count for a plain mean, the sum of
    /// their class weights for a weighted one. Every loss of a spec is such a (weighted) mean of
    /// per-row terms, so the training rows can be taken block by block, each block's loss scaled
    /// by its share of the denominator: one pass over the rows per evaluation instead of two.
    /// Empty: the loss is evaluated on all training rows at once (two passes).
    std::function<double(const torch::Tensor& targets)> normalizer;
    /// Set when the loss is plain softmax cross-entropy (`sigmoid` false) or BCE-with-logits on
    /// one output (`sigmoid` true), optionally class-weighted, without label smoothing. With the
    /// normalizer, the probe's passes then compute each row's gradient in closed form while the
    /// row is in L1: one read of it per evaluation and no autograd per block.
    struct ClosedForm {
        bool sigmoid = false;
        torch::Tensor classWeights; ///< [K] float; undefined: none
    };
    std::optional<ClosedForm> closedForm;
    std::optional<double> l2;          ///< empty = pick from the grid
};

/// The fit: one EpochStats per penalty tried (epoch k = k-th grid point, strongest penalty
/// first); `bestEpoch` is the one whose weights the layer holds.
struct LbfgsFit {
    std::vector<EpochStats> history;
    int bestEpoch = 0;
    bool cancelled = false;
    bool finishedByUser = false; ///< the observer's shouldFinish ended the L2 path early
};

/// Fits `layer` (weights and bias, warm-started from their current values). Polls the
/// observer between chunks of iterations and reports each grid point as an epoch.
LbfgsFit fitLbfgsProbe(torch::nn::Linear& layer, const LbfgsProblem& problem, TrainingObserver* observer);

/// Per-column mean and 1/deviation of the rows `rows` of `x` (population deviation; a constant
/// column gets 1, as scikit-learn's StandardScaler does), computed in double in blocks of rows
/// (no copy of the rows).
std::pair<torch::Tensor, torch::Tensor> standardization(const torch::Tensor& x, const torch::Tensor& rows);

} // namespace headbench
