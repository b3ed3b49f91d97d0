#pragma once
/// \file Trainer.h
/// Trains a head on features held in memory. Torch stays inside the .cpp files: callers see
/// plain structs and the TrainedHead handle.
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/data/Split.h>
#include <headbench/eval/Metrics.h>
#include <headbench/eval/Calibration.h>
#include <headbench/train/HeadSpec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace headbench {

/// What one epoch achieved.
struct EpochStats {
    int epoch = 0;                 ///< 1-based
    double trainLoss = 0;
    double valLoss = 0;
    double valAccuracy = 0, valF1 = 0, valRocAuc = 0;
    double learningRate = 0;       ///< 0 for L-BFGS, which has no learning rate
    double seconds = 0;            ///< wall time of this epoch, evaluation included
    double l2 = 0;                 ///< L-BFGS: the L2 penalty this entry was fitted with
    int iterations = 0;            ///< L-BFGS: iterations until the gradient tolerance
};

/// Progress leaves training through this interface (no Qt in the backend); the GUI adapts it
/// to signals. Called on the training thread.
class TrainingObserver {
public:
    virtual ~TrainingObserver() = default;
    virtual void onEpoch(const EpochStats& stats) {}
    virtual void onBatch(int epoch, int batch, int batches) {}
    /// Polled between batches; true cancels training after the current batch.
    virtual bool shouldStop() { return false; }
    /// Polled after each epoch (each L2 penalty of the probe): true ends training there and keeps
    /// the head, as early stopping does (the best epoch's weights when a stop metric is set), so
    /// a person who sees the curves flatten keeps the run; shouldStop() instead discards it.
    virtual bool shouldFinish() { return false; }
    /// Cross-validation starts fold `fold` (0-based) of `folds`; its head's epochs follow.
    virtual void onFold(int /*fold*/, int /*folds*/) {}
};

/// A trained head in evaluation mode: applies to feature rows and saves as TorchScript that
/// Python's torch.jit.load runs (forward: float32 [N, D] -> class probabilities [N, K]).
class TrainedHead {
public:
    TrainedHead();
    ~TrainedHead();
    TrainedHead(TrainedHead&&) noexcept;
    TrainedHead& operator=(TrainedHead&&) noexcept;

    bool isNull() const;
    std::int64_t inputDim() const;
    int numClasses() const;
    /// Probabilities, rows x numClasses(), row-major.
    std::vector<float> predictProba(const float* features, std::int64_t rows) const;
    /// Saves as TorchScript, atomically (a temporary file renamed into place); throws
    /// headbench::Error naming the file when it cannot be written (a full disk included).
    void save(const std::string& path) const;
    /// The TorchScript archive save() writes, in memory.
    std::string serialized() const;
    /// Loads a head saved by save(); throws headbench::Error for a broken file.
    static TrainedHead load(const std::string& path);

    struct Impl;
    explicit TrainedHead(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> d;
};

/// Everything a training run produced.
struct TrainResult {
    std::vector<EpochStats> history;
    int bestEpoch = 0;                   ///< epoch whose weights the head holds
    bool cancelled = false;
    bool stoppedEarly = false;
    bool finishedByUser = false;         ///< TrainingObserver::shouldFinish ended it (stoppedEarly too)
    double seconds = 0;                  ///< the whole of trainHead, the two below included
    double leakageSeconds = 0;           ///< the leakage check (near 0 when its report was cached)
    double intervalSeconds = 0;          ///< the bootstrap intervals of the validation and test metrics
    std::int64_t parameters = 0;
    std::vector<std::uint8_t> split;     ///< the split used (from the file or made from the seed)
    std::string splitSource;             ///< "file", "group" or "random" (see chooseSplit)
    LeakageReport leakage;               ///< duplicates across the split (not measured when off)
    std::vector<float> probabilities;    ///< rows x K for every row, from the final head (calibrated when it is)
    Calibration calibration;             ///< method "none" unless TrainOptions::calibrate asked for it
    Metrics validation, test;
    double trainFraction = 1.0;          ///< TrainOptions::trainFraction
    std::int64_t trainRows = 0;          ///< training rows the head was fitted on
    TrainedHead head;
};

/// Entries the history of `spec` will have at most: its epochs, or for L-BFGS (where an entry
/// is one fit per L2 penalty tried) the size of the penalty grid.
int plannedEpochs(const HeadSpec& spec);

/// How a run is set up besides its head: the split and the leakage check.
struct TrainOptions {
    SplitMode split = SplitMode::Auto;
    LeakageOptions leakage;
    /// Seed of a random or group split; unset: spec.seed. Repeats (train --repeats) set it to the
    /// first run's seed so that every seed trains and is measured on the same rows.
    std::optional<std::uint64_t> splitSeed;
    /// Temperature: after training, fit T on the validation split; the probabilities, metrics
    /// and saved head are then softmax(logits / T).
    CalibrationMethod calibrate = CalibrationMethod::None;
    /// Learning curves: fit on this fraction of the training split only (trainSubset: nested and
    /// stratified, seeded like the split); validation and test stay whole. 1: every training row.
    double trainFraction = 1.0;
    /// Non-empty: each row's split code (SplitCode), used as given instead of `split` (a fold of
    /// cross-validation: the feature file is not copied to rewrite its split); source "given".
    std::vector<std::uint8_t> givenSplit;
};

/// Whether trainHead trains `spec` on the BLAS directly (MlpNet: heads with hidden layers, no
/// batch norm, Adam, AdamW or SGD) rather than through LibTorch's module and autograd.
bool trainsWithoutLibTorch(const HeadSpec& spec);

/// Trains `spec` on `data` with the split `options.split` resolves to (chooseSplit), after
/// measuring that split's leakage. Throws headbench::Error for an invalid spec or data (e.g. an
/// empty training split). Deterministic for the same data, spec, options and thread count.
TrainResult trainHead(const FeatureSet& data, const HeadSpec& spec, TrainingObserver* observer = nullptr,
                      const TrainOptions& options = {});

} // namespace headbench
