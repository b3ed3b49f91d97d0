#pragma once
/// \file HeadModel.h
/// Private to the backend: a head in training as the trainer (Trainer.cpp) drives it, whichever
/// network holds it: the BLAS one (MlpNet.h) or LibTorch's (TorchTrainer.cpp, in the LibTorch
/// module). Torch-free.
#include <headbench/core/HeadArchive.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>
#include "train/MlpNet.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace headbench {

/// The rows of each split a head trains and is measured on.
struct SplitRows {
    std::vector<std::int64_t> train, validation, test;
    std::vector<std::int32_t> validationLabels, testLabels;
};

/// What the training steps share: the data, the rows of each split, and the loss as evaluation
/// measures it (the same for every kind of model).
struct Training {
    const FeatureSet& data;
    const HeadSpec& spec;
    TrainingObserver* observer;
    const SplitRows& rows;
    int numClasses;
    HeadLoss loss;
};

/// A head being trained, as the epochs, the final pass and the saved file use it: LibTorch's
/// network (TorchModel) or the BLAS one (NativeModel).
class HeadModel {
public:
    virtual ~HeadModel() = default;
    /// One optimiser step on the n training rows `rows` of the matrix; returns the batch's loss.
    virtual double trainBatch(const std::int64_t* rows, std::int64_t n, double lr) = 0;
    /// Evaluation-mode logits (rows x outputs) of `rows`, or of every row when null.
    virtual std::vector<float> logits(const std::vector<std::int64_t>* rows) = 0;
    /// Keeps the current weights as the best so far; restoreBest() puts them back (if any).
    virtual void keepBest() = 0;
    virtual void restoreBest() = 0;
    /// The evaluation-mode weights head.pt holds.
    virtual HeadWeights weights(double temperature) = 0;
    /// Trains the head in one full-batch fit instead of epochs (the L-BFGS probe), after the
    /// input statistics of the training split; returns false for a head trained by epochs.
    virtual bool fitFullBatch(Training& t, TrainResult& result) = 0;
};

/// The penalties `l2: auto` tries for n training rows: 1 / (C n) for scikit-learn's C in
/// {0.01, 0.1, 1, 10, 100}, strongest first.
std::vector<double> l2Grid(std::int64_t trainRows);

/// LibTorch's network for `spec` (TorchTrainer.cpp, in the LibTorch module): batch norm and the
/// L-BFGS probe, and any head MlpNet does not train. `classWeights` as HeadLoss takes them.
std::unique_ptr<HeadModel> makeTorchModel(const FeatureSet& data, const HeadSpec& spec, int numClasses,
                                          const std::vector<double>& classWeights);

} // namespace headbench
