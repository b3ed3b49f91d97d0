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

/// Trains K heads: the run's split comes from chooseSplit(data, options.split, spec.seed); its
/// training and validation rows are the pool, its test rows are never trained on nor predicted.
/// Fold k's head trains on the other folds and uses fold k for validation (early stopping
/// included, as a plain run uses its validation split), then predicts fold k. The leakage check
/// is not repeated per fold. Holds one copy of the feature matrix while it runs. Throws
/// headbench::Error for a spec or data trainHead refuses, or folds assignFolds refuses.
CrossValidationResult crossValidate(const FeatureSet& data, const HeadSpec& spec, int K,
                                    TrainingObserver* observer = nullptr, const TrainOptions& options = {});

} // namespace headbench
