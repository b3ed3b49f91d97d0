#pragma once
/// \file CrossValidation.h
/// K-fold cross-validation on the training and validation rows of a run (the test rows stay
/// untouched): stratified folds, or folds by group when the file has groups, one head per fold,
/// per-fold metrics with their mean and standard deviation, and the out-of-fold probabilities
/// of every pooled row (what LabelIssues.h ranks label errors from).
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/Metrics.h>
#include <headbench/eval/PredictionFiles.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

/// Fold of every row, 0..K-1, or -1 for rows outside the pool (inPool[i] == 0). Stratified:
/// each class's pooled rows are shuffled with the seed and dealt to the folds in turn, so each
/// fold keeps the class proportions and fold sizes differ by at most one per class. With
/// `groups` (one per row, or empty for none) no group lies in two folds: groups go largest
/// first (ties in seeded order) to the fold whose classes most lack rows. The same for the same
/// inputs and seed. Throws headbench::Error when K < 2, when the pool has fewer than K rows, or
/// (by group) fewer than K groups.
std::vector<int> assignFolds(std::span<const std::int32_t> labels, std::span<const std::string> groups,
                             std::span<const std::uint8_t> inPool, int numClasses, int K, std::uint64_t seed);

/// What a cross-validation produced.
struct CrossValidationResult {
    int k = 0;
    std::uint64_t seed = 0;            ///< the head's seed: folds and every fold's training
    bool byGroup = false;              ///< folds by /groups (else stratified)
    std::string splitSource;           ///< the run split the pool came from (see chooseSplit)
    std::vector<int> fold;             ///< rows: 0..K-1, or -1 for test rows (not in the pool)
    /// rows x numClasses: each pooled row's probabilities from the head that did not train on
    /// it; NaN for test rows.
    std::vector<float> outOfFold;
    std::vector<Metrics> folds;        ///< metrics of each fold's held-out rows (with bootstrap intervals)
    std::vector<std::int64_t> foldRows;
    std::vector<int> foldEpochs;       ///< best epoch of each fold's head
    /// Mean and sample standard deviation (n - 1) over folds of every scalar metric (NaN where a
    /// fold's value is NaN, e.g. ROC-AUC with more than two classes); count = pooled rows.
    Metrics mean, sd;
    bool cancelled = false;
    double seconds = 0;
};

/// The folds of a cross-validation, before any head is trained: the same for the same data,
/// spec seed, K and split options, so the tasks of a job array that train different folds agree.
struct FoldPlan {
    int k = 0;
    std::uint64_t seed = 0;
    bool byGroup = false;
    std::string splitSource;
    std::vector<int> fold;             ///< rows: 0..K-1, or -1 for test rows
    std::int64_t pooledRows = 0;
    /// "xxh3:<hex>" of the fold of every row: what tells two tasks' folds are the same folds.
    std::string fingerprint() const;
};

/// One fold's head, trained on the other folds and judged on this one.
struct FoldResult {
    int fold = 0;
    Metrics metrics;                   ///< on the fold's held-out rows (with bootstrap intervals)
    std::int64_t rows = 0;
    int bestEpoch = 0;
    double seconds = 0;
    std::vector<std::int64_t> rowIndex; ///< the fold's rows, in file order
    std::vector<float> probabilities;  ///< rows x numClasses, for rowIndex
    bool cancelled = false;
};

/// The folds of `data` for `spec` (see assignFolds; the pool is the split's training and
/// validation rows, chooseSplit(data, options.split, spec.seed)).
FoldPlan planFolds(const FeatureSet& data, const HeadSpec& spec, int K, const TrainOptions& options = {});

/// Trains fold `f` of the plan (no copy of the features; leakage check off).
FoldResult trainFold(const FeatureSet& data, const HeadSpec& spec, const FoldPlan& plan, int f,
                     TrainingObserver* observer = nullptr);

/// The cross-validation from every fold's result (in any order; one per fold): per-fold
/// metrics, mean and sample sd, out-of-fold probabilities over `rows` rows x `numClasses`.
/// Throws headbench::Error when a fold is missing or given twice.
CrossValidationResult assembleFolds(const FoldPlan& plan, std::vector<FoldResult> folds, std::int64_t rows, int numClasses);

/// Trains K heads: the run's split comes from chooseSplit(data, options.split, spec.seed); its
/// training and validation rows are the pool, its test rows are never trained on nor predicted.
/// Fold k's head trains on the other folds and uses fold k for validation (early stopping
/// included, as a plain run uses its validation split), then predicts fold k. The leakage check
/// is not repeated per fold. Holds one copy of the feature matrix while it runs. Throws
/// headbench::Error for a spec or data trainHead refuses, or folds assignFolds refuses.
CrossValidationResult crossValidate(const FeatureSet& data, const HeadSpec& spec, int K,
                                    TrainingObserver* observer = nullptr, const TrainOptions& options = {});

} // namespace headbench
