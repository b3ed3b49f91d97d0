#include <headbench/train/Trainer.h>

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/eval/Bootstrap.h>
#include "train/LbfgsProbe.h"
#include "compute/HelperThread.h"
#include "train/MlpNet.h"
#include <headbench/data/Split.h>
#include "train/TorchHead.h"

#include <fmt/format.h>

#include <headbench/compute/Runtime.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cmath>
#include <random>

namespace headbench {
namespace {

using Clock = std::chrono::steady_clock;

/// The loss of a batch, as the spec defines it. Class weights are normalised as PyTorch's
/// weighted cross-entropy does: a weighted mean over the samples.
class Criterion {
public:
    Criterion(const HeadSpec& spec, torch::Tensor classWeights, int numClasses)
        : m_spec(spec), m_weights(std::move(classWeights)), m_numClasses(numClasses) {}

    torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& targets) const
    {
        const double eps = m_spec.labelSmoothing;
        const auto sampleWeights = m_weights.defined() ? m_weights.index_select(0, targets) : torch::Tensor();
        torch::Tensor perSample;
        if (m_spec.loss == Loss::BceWithLogits) {
            auto y = targets.to(torch::kFloat);
            if (eps > 0)
                y = y * (1.0 - eps) + 0.5 * eps;
            perSample = torch::binary_cross_entropy_with_logits(logits.squeeze(1), y, {}, {}, at::Reduction::None);
        } else if (m_spec.loss == Loss::CrossEntropy) {
            // One fused op (log-softmax + NLL, with weights and smoothing) instead of four.
            auto options = torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(eps);
            if (m_weights.defined())
                options.weight(m_weights);
            return torch::nn::functional::cross_entropy(logits, targets, options);
        } else {
            const auto logp = torch::log_softmax(logits, 1);
            auto nll = -logp.gather(1, targets.unsqueeze(1)).squeeze(1);
            if (eps > 0) // smoothed target: (1 - eps) on the class, eps / K spread over all
                nll = (1.0 - eps) * nll - eps / m_numClasses * logp.sum(1);
            if (m_spec.loss == Loss::Focal) {
                const auto pt = logp.gather(1, targets.unsqueeze(1)).squeeze(1).exp();
                nll = torch::pow(1.0 - pt, m_spec.focalGamma) * nll;
            }
            perSample = nll;
        }
        if (sampleWeights.defined())
            return (perSample * sampleWeights).sum() / sampleWeights.sum();
        return perSample.mean();
    }

    /// The class weights of a weighted loss (undefined: none).
    const torch::Tensor& classWeights() const { return m_weights; }
    /// Whether the loss is plain cross-entropy or BCE-with-logits (no focal term, no smoothing):
    /// the probe then computes its gradient row by row in closed form.
    bool closedForm() const
    {
        return m_spec.labelSmoothing == 0 && (m_spec.loss == Loss::CrossEntropy || m_spec.loss == Loss::BceWithLogits);
    }

    /// The denominator of the loss for these targets (see LbfgsProblem::normalizer).
    double normalizer(const torch::Tensor& targets) const
    {
        return m_weights.defined() ? m_weights.index_select(0, targets).sum().item<double>() : static_cast<double>(targets.size(0));
    }

private:
    HeadSpec m_spec;
    torch::Tensor m_weights;
    int m_numClasses;
};

/// Adam and AdamW as one pass over each parameter's floats. LibTorch's own step makes about
/// nine passes (and temporaries) per parameter; on a 2x1024 head that memory traffic cost about
/// a third of the step. Same update as torch.optim.Adam / AdamW (amsgrad off).
class FusedAdam {
public:
    FusedAdam(std::vector<torch::Tensor> params, bool decoupled, double weightDecay)
        : m_params(std::move(params)), m_decoupled(decoupled), m_weightDecay(weightDecay)
    {
        for (const auto& p : m_params) {
            m_m.push_back(torch::zeros_like(p));
            m_v.push_back(torch::zeros_like(p));
        }
    }

    void zeroGrad()
    {
        for (auto& p : m_params)
            if (p.grad().defined())
                p.mutable_grad().zero_();
    }

    void step(double lr)
    {
        ++m_step;
        auto update = [&](std::size_t k, std::int64_t from, std::int64_t to) {
            auto& p = m_params[k];
            adamUpdate(p.data_ptr<float>() + from, p.grad().data_ptr<float>() + from, m_m[k].data_ptr<float>() + from,
                       m_v[k].data_ptr<float>() + from, to - from, m_step, lr, m_weightDecay, m_decoupled);
        };
        for (std::size_t k = 0; k < m_params.size(); ++k) {
            if (!m_params[k].grad().defined())
                continue;
            const std::int64_t n = m_params[k].numel();
            // Large parameters are split with the helper thread: while the optimiser runs, the
            // cores the BLAS uses for the GEMMs would otherwise idle.
            if (n >= (1 << 16) && m_helper.available()) {
                m_helper.run([&, k, n] { update(k, n / 2, n); });
                update(k, 0, n / 2);
                m_helper.wait();
            } else {
                update(k, 0, n);
            }
        }
    }

private:
    std::vector<torch::Tensor> m_params, m_m, m_v;
    HelperThread m_helper{runtimeThreads() > 1};
    bool m_decoupled;
    double m_weightDecay;
    std::int64_t m_step = 0;
};

/// The optimiser of a spec: fused Adam/AdamW, or LibTorch's SGD with momentum.
class HeadOptimizer {
public:
    HeadOptimizer(const HeadSpec& s, std::vector<torch::Tensor> params)
    {
        const Optimizer kind = resolvedOptimizer(s);
        if (kind == Optimizer::Sgd)
            m_sgd = std::make_unique<torch::optim::SGD>(
                params, torch::optim::SGDOptions(s.learningRate).momentum(s.momentum).weight_decay(s.weightDecay));
        else if (kind != Optimizer::Lbfgs) // L-BFGS runs in fitLbfgsProbe
            m_adam = std::make_unique<FusedAdam>(std::move(params), kind == Optimizer::AdamW, s.weightDecay);
    }
    void zeroGrad()
    {
        if (m_sgd)
            m_sgd->zero_grad();
        else
            m_adam->zeroGrad();
    }
    void step(double lr)
    {
        if (m_sgd) {
            for (auto& group : m_sgd->param_groups())
                group.options().set_lr(lr);
            m_sgd->step();
        } else {
            m_adam->step(lr);
        }
    }

private:
    std::unique_ptr<torch::optim::SGD> m_sgd;
    std::unique_ptr<FusedAdam> m_adam;
};

double scheduledRate(const HeadSpec& s, int epochIndex)
{
    switch (s.schedule) {
    case Schedule::Constant: return s.learningRate;
    case Schedule::Cosine: return s.learningRate * 0.5 * (1.0 + std::cos(M_PI * epochIndex / s.epochs));
    case Schedule::Step: return s.learningRate * std::pow(s.stepGamma, epochIndex / s.stepSize);
    }
    return s.learningRate;
}

torch::Tensor indexTensor(const std::vector<std::int64_t>& idx)
{
    return torch::from_blob(const_cast<std::int64_t*>(idx.data()), {static_cast<std::int64_t>(idx.size())}, torch::kLong).clone();
}

/// Logits of the given rows, in evaluation mode, in batches of 1,024 rows: with 8,192 (32 MB of
/// gathered rows and as much again standardised) the process kept about a batch's worth per
/// batch, 560 MB over 150,000 rows (measured with glibc's raised mmap threshold, Runtime.cpp).
torch::Tensor logitsOf(HeadNet& net, const torch::Tensor& x, const torch::Tensor& rows)
{
    torch::NoGradGuard noGrad;
    net->eval();
    std::vector<torch::Tensor> parts;
    const std::int64_t n = rows.size(0), batch = 1024;
    // Every row in order (the final probabilities): slices of the matrix, no gathered copy.
    const bool all = n == x.size(0) && n > 0 && rows[0].item<std::int64_t>() == 0 && rows[n - 1].item<std::int64_t>() == n - 1;
    for (std::int64_t s = 0; s < n; s += batch)
        parts.push_back(net->forward(all ? x.slice(0, s, std::min(n, s + batch))
                                         : x.index_select(0, rows.slice(0, s, std::min(n, s + batch)))));
    net->train();
    return parts.empty() ? torch::empty({0, net->output->weight.size(0)}) : torch::cat(parts, 0);
}

double stopScore(StopMetric metric, const EpochStats& e)
{
    switch (metric) {
    case StopMetric::ValLoss: return -e.valLoss;
    case StopMetric::ValF1: return e.valF1;
    case StopMetric::ValAccuracy: return e.valAccuracy;
    case StopMetric::ValRocAuc: return e.valRocAuc;
    case StopMetric::None: return 0;
    }
    return 0;
}

} // namespace

int plannedEpochs(const HeadSpec& spec)
{
    if (resolvedOptimizer(spec) != Optimizer::Lbfgs)
        return spec.epochs;
    return spec.l2 ? 1 : static_cast<int>(l2Grid(1).size());
}

namespace {

/// The rows of each split a head trains and is measured on.
struct SplitRows {
    std::vector<std::int64_t> train, validation, test;
    std::vector<std::int32_t> validationLabels, testLabels;
};

/// Step 1: the split (the file's, by group or random), its leakage report, and the rows of each
/// split; the training rows cut to the train fraction.
SplitRows splitAndCheck(const FeatureSet& data, const HeadSpec& spec, const TrainOptions& options, TrainResult& result)
{
    if (!options.givenSplit.empty()) {
        if (options.givenSplit.size() != static_cast<std::size_t>(data.rows))
            throw Error(data.path + ": the given split has " + std::to_string(options.givenSplit.size()) + " rows, the file " +
                        std::to_string(data.rows));
        result.split = options.givenSplit;
        result.splitSource = "given";
    } else {
        SplitChoice choice = chooseSplit(data, options.split, options.splitSeed.value_or(spec.seed));
        result.split = std::move(choice.split);
        result.splitSource = std::move(choice.source);
    }
    // An empty training or validation split, said before the leakage check is paid for, with
    // what the split holds: too few rows for a random 80/10/10 split per class is the usual cause.
    std::int64_t perSplit[3] = {0, 0, 0};
    for (const auto code : result.split)
        ++perSplit[code == kTrain ? 0 : code == kValidation ? 1 : 2];
    for (const auto& [count, which] : {std::pair{perSplit[0], "training"}, std::pair{perSplit[1], "validation"}})
        if (count == 0)
            throw Error(fmt::format(
                "{}: the {} split is empty ({} rows: {} training, {} validation, {} test; split: {}){}", data.path,
                which, data.rows, perSplit[0], perSplit[1], perSplit[2], result.splitSource,
                result.splitSource == "random" || result.splitSource == "group"
                    ? "; a split made 80/10/10 needs about 10 rows of each class (or group), so give more rows or "
                      "a split of the file's own (--split-field at extract)"
                : result.splitSource.rfind("file, validation", 0) == 0
                    ? "; the file's training rows are too few to take a validation split from"
                : result.splitSource == "file"
                    ? "; the file's /split has none, so train with the random or group split, or extract with a "
                      "split that has them"
                    : "; the split given must have training and validation rows"));
    const auto leakageStarted = Clock::now();
    result.leakage = measureLeakage(data, result.split, options.leakage);
    result.leakageSeconds = std::chrono::duration<double>(Clock::now() - leakageStarted).count();
    SplitRows rows;
    for (std::int64_t i = 0; i < data.rows; ++i) {
        const auto label = data.labels[static_cast<std::size_t>(i)];
        switch (result.split[static_cast<std::size_t>(i)]) {
        case kTrain: rows.train.push_back(i); break;
        case kValidation: rows.validation.push_back(i); rows.validationLabels.push_back(label); break;
        default: rows.test.push_back(i); rows.testLabels.push_back(label); break;
        }
    }
    if (options.givenSplit.empty()) {
        // A class the head never sees in training cannot be learnt: its rows were all scored
        // wrong, with no word (a file's own split can put a class in test alone).
        std::vector<std::int64_t> inTrain(static_cast<std::size_t>(data.numClasses()), 0),
            inFile(static_cast<std::size_t>(data.numClasses()), 0);
        for (auto r : rows.train)
            ++inTrain[static_cast<std::size_t>(data.labels[static_cast<std::size_t>(r)])];
        for (auto label : data.labels)
            ++inFile[static_cast<std::size_t>(label)];
        for (std::size_t k = 0; k < inFile.size(); ++k)
            if (inFile[k] > 0 && inTrain[k] == 0)
                throw Error(fmt::format("{}: class '{}' has no training rows: its {} are all in validation or test "
                                        "(split: {}); a head cannot learn a class it never sees",
                                        data.path, k < data.labelNames.size() ? data.labelNames[k] : std::to_string(k),
                                        plural(inFile[k], "row"), result.splitSource));
    }
    result.trainFraction = options.trainFraction;
    if (options.trainFraction != 1.0)
        rows.train = trainSubset(data.labels, result.split, data.numClasses(), options.trainFraction,
                                 options.splitSeed.value_or(spec.seed));
    result.trainRows = static_cast<std::int64_t>(rows.train.size());
    return rows;
}

/// Step 2: the loss's class weights: "balanced" (n / (K * n_k), absent classes weigh 1), the
/// spec's own, or none (empty).
std::vector<double> classWeightsOf(const HeadSpec& spec, const FeatureSet& data, const std::vector<std::int64_t>& trainRows)
{
    const int numClasses = data.numClasses();
    if (spec.autoClassWeights) {
        std::vector<double> counts(static_cast<std::size_t>(numClasses), 0.0);
        for (auto r : trainRows)
            counts[static_cast<std::size_t>(data.labels[static_cast<std::size_t>(r)])] += 1;
        std::vector<double> weights(static_cast<std::size_t>(numClasses));
        for (std::size_t k = 0; k < weights.size(); ++k) // float, as the loss has always held them
            weights[k] = static_cast<float>(counts[k] > 0 ? static_cast<double>(trainRows.size()) / (numClasses * counts[k]) : 1.0);
        return weights;
    }
    std::vector<double> weights;
    for (double w : spec.classWeights)
        weights.push_back(static_cast<float>(w));
    return weights;
}

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
};

/// The head as LibTorch's module: batch norm, the L-BFGS probe and the rest mlpNetSupports()
/// leaves out.
class TorchModel final : public HeadModel {
public:
    TorchModel(const FeatureSet& data, const HeadSpec& spec, int numClasses, const std::vector<double>& classWeights)
        : m_data(data)
        , m_spec(spec)
        , m_numClasses(numClasses)
        // The whole feature matrix stays where it is; batches are gathered from it.
        , m_x(torch::from_blob(const_cast<float*>(data.features.data()), {data.rows, data.dim}, torch::kFloat))
        , m_y(torch::from_blob(const_cast<std::int32_t*>(data.labels.data()), {data.rows}, torch::kInt).to(torch::kLong))
        , m_criterion(spec,
                      classWeights.empty() ? torch::Tensor()
                                           : torch::tensor(std::vector<float>(classWeights.begin(), classWeights.end())),
                      numClasses)
    {
        torch::manual_seed(spec.seed);
        m_net = HeadNet(spec, data.dim, outputUnits(spec, numClasses));
        m_net->train();
    }

    HeadNet& net() { return m_net; }
    const Criterion& criterion() const { return m_criterion; }
    const torch::Tensor& x() const { return m_x; }
    const torch::Tensor& y() const { return m_y; }

    double trainBatch(const std::int64_t* rows, std::int64_t n, double lr) override
    {
        if (!m_optimizer) {
            m_optimizer = std::make_unique<HeadOptimizer>(m_spec, m_net->parameters());
            m_batchX = torch::empty({m_spec.batchSize + 1, m_data.dim}, torch::kFloat);
            m_batchY = torch::empty({m_spec.batchSize + 1}, torch::kLong);
        }
        const auto idx = torch::from_blob(const_cast<std::int64_t*>(rows), {n}, torch::kLong);
        auto xb = m_batchX.narrow(0, 0, n);
        auto yb = m_batchY.narrow(0, 0, n);
        torch::index_select_out(xb, m_x, 0, idx);
        torch::index_select_out(yb, m_y, 0, idx);
        m_optimizer->zeroGrad();
        auto loss = m_criterion(m_net->forward(xb), yb);
        loss.backward();
        {
            torch::NoGradGuard noGrad;
            m_optimizer->step(lr);
        }
        return loss.item<double>();
    }

    std::vector<float> logits(const std::vector<std::int64_t>* rows) override
    {
        const auto z = (rows ? logitsOf(m_net, m_x, indexTensor(*rows)) : logitsOf(m_net, m_x, torch::arange(m_data.rows, torch::kLong)))
                           .contiguous();
        return {z.data_ptr<float>(), z.data_ptr<float>() + z.numel()};
    }

    void keepBest() override
    {
        torch::NoGradGuard noGrad;
        m_best.clear();
        for (const auto& p : m_net->parameters())
            m_best.push_back(p.detach().clone());
        for (const auto& b : m_net->buffers())
            m_best.push_back(b.detach().clone());
    }
    void restoreBest() override
    {
        if (m_best.empty())
            return;
        torch::NoGradGuard noGrad;
        std::size_t i = 0;
        for (auto& p : m_net->parameters())
            p.copy_(m_best[i++]);
        for (auto& b : m_net->buffers())
            b.copy_(m_best[i++]);
    }

    HeadWeights weights(double temperature) override
    {
        return headWeights(m_net, m_data.dim, m_numClasses, m_data.labelNames, temperature);
    }

private:
    const FeatureSet& m_data;
    const HeadSpec& m_spec;
    int m_numClasses;
    torch::Tensor m_x, m_y;
    HeadNet m_net{nullptr};
    Criterion m_criterion;
    std::unique_ptr<HeadOptimizer> m_optimizer;
    torch::Tensor m_batchX, m_batchY;
    std::vector<torch::Tensor> m_best;
};

/// The head on the BLAS (MlpNet.h): the heads with hidden layers mlpNetSupports() takes.
class NativeModel final : public HeadModel {
public:
    NativeModel(const FeatureSet& data, const HeadSpec& spec, int numClasses, const std::vector<double>& classWeights,
                const std::vector<std::int64_t>& trainRows)
        : m_data(data)
        , m_numClasses(numClasses)
        // Batches of up to batchSize + 1 rows (a last batch of one is merged); evaluation passes
        // take 1,024 rows at a time.
        , m_net(spec, data.dim, outputUnits(spec, numClasses), std::max<std::int64_t>(spec.batchSize + 1, 1024))
        , m_loss(spec, classWeights, numClasses)
        , m_update(spec, m_net.parameters().size())
    {
        if (standardizes(spec)) {
            auto [shift, scale] = columnStandardization(data.features.data(), data.dim, trainRows);
            m_net.setStandardization(std::move(shift), std::move(scale));
        }
    }

    double trainBatch(const std::int64_t* rows, std::int64_t n, double lr) override
    {
        const double loss = m_net.lossAndGradients(m_data.features.data(), rows, n, m_data.labels.data(), m_loss);
        m_update.step(m_net.parameters(), m_net.gradients(), lr);
        return loss;
    }

    std::vector<float> logits(const std::vector<std::int64_t>* rows) override
    {
        const std::int64_t n = rows ? static_cast<std::int64_t>(rows->size()) : m_data.rows;
        std::vector<float> out(static_cast<std::size_t>(n * m_loss.outputs()));
        m_net.logits(m_data.features.data(), rows ? rows->data() : nullptr, 0, n, out.data());
        return out;
    }

    void keepBest() override { m_best.assign(m_net.parameters().begin(), m_net.parameters().end()); }
    void restoreBest() override
    {
        if (!m_best.empty())
            std::copy(m_best.begin(), m_best.end(), m_net.parameters().begin());
    }

    HeadWeights weights(double temperature) override { return m_net.weights(m_numClasses, m_data.labelNames, temperature); }

private:
    const FeatureSet& m_data;
    int m_numClasses;
    MlpNet m_net;
    HeadLoss m_loss;
    HeadUpdate m_update;
    std::vector<float> m_best;
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

/// Class probabilities [n, K] of logits [n, outputs] (sigmoid for a single BCE output), in double.
std::vector<float> probabilitiesOf(const std::vector<float>& logits, int outputs, int numClasses)
{
    const std::size_t n = outputs > 0 ? logits.size() / static_cast<std::size_t>(outputs) : 0;
    std::vector<float> p(n * static_cast<std::size_t>(numClasses));
    for (std::size_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * static_cast<std::size_t>(outputs);
        float* out = p.data() + i * static_cast<std::size_t>(numClasses);
        if (outputs == 1) {
            const double p1 = 1.0 / (1.0 + std::exp(-static_cast<double>(z[0])));
            out[0] = static_cast<float>(1.0 - p1);
            out[1] = static_cast<float>(p1);
            continue;
        }
        double top = z[0], sum = 0;
        for (int k = 1; k < outputs; ++k)
            top = std::max(top, static_cast<double>(z[k]));
        for (int k = 0; k < outputs; ++k)
            sum += std::exp(z[k] - top);
        for (int k = 0; k < outputs; ++k)
            out[k] = static_cast<float>(std::exp(z[k] - top) / sum);
    }
    return p;
}

/// The rows x width values of each of `rows`, from every row's.
template <typename T>
std::vector<T> gatherRows(const std::vector<T>& all, const std::vector<std::int64_t>& rows, int width)
{
    std::vector<T> out;
    out.reserve(rows.size() * static_cast<std::size_t>(width));
    for (auto r : rows)
        out.insert(out.end(), all.begin() + r * width, all.begin() + (r + 1) * width);
    return out;
}

/// Step 3, the probe: input statistics of the training split (folded into the saved head's
/// first layer; also for an Adam head asked to standardise), and for L-BFGS the full-batch fit
/// over its L2 path. Returns whether it was L-BFGS.
bool standardizeAndFitProbe(Training& t, TorchModel& model, TrainResult& result)
{
    const bool lbfgs = resolvedOptimizer(t.spec) == Optimizer::Lbfgs;
    const torch::Tensor trainRows = indexTensor(t.rows.train);
    HeadNet& net = model.net();
    if (standardizes(t.spec))
        std::tie(net->inputShift, net->inputScale) = standardization(model.x(), trainRows);
    if (!lbfgs)
        return false;
    // Full batch on the feature matrix where it lies: no copy of the training rows.
    const auto valIndex = indexTensor(t.rows.validation);
    LbfgsProblem problem;
    problem.x = model.x();
    problem.shift = net->inputShift;
    problem.scale = net->inputScale;
    problem.trainRows = trainRows;
    problem.yTrain = model.y().index_select(0, trainRows);
    problem.valRows = valIndex;
    problem.yVal = model.y().index_select(0, valIndex);
    problem.valLabels = t.rows.validationLabels;
    problem.numClasses = t.numClasses;
    const Criterion& criterion = model.criterion();
    problem.loss = [&criterion](const torch::Tensor& logits, const torch::Tensor& targets) { return criterion(logits, targets); };
    problem.normalizer = [&criterion](const torch::Tensor& targets) { return criterion.normalizer(targets); };
    if (criterion.closedForm())
        problem.closedForm = LbfgsProblem::ClosedForm{.sigmoid = t.spec.loss == Loss::BceWithLogits, .classWeights = criterion.classWeights()};
    problem.l2 = t.spec.l2;
    LbfgsFit fit = fitLbfgsProbe(net->output, problem, t.observer);
    result.history = std::move(fit.history);
    result.bestEpoch = fit.bestEpoch;
    result.cancelled = fit.cancelled;
    result.stoppedEarly = result.finishedByUser = fit.finishedByUser;
    return true;
}

/// One pass over the training rows in `order` in minibatches; returns the mean training loss,
/// or NaN when a cancel came before the first batch. Sets result.cancelled on a cancel. A last
/// batch of one sample breaks batch norm, so it is merged into the previous batch.
double trainOneEpoch(Training& t, HeadModel& model, const std::vector<std::int64_t>& order, int epoch, double lr,
                     TrainResult& result)
{
    const std::int64_t size = t.spec.batchSize, rows = static_cast<std::int64_t>(order.size());
    std::int64_t count = (rows + size - 1) / size;
    if (t.spec.norm == Norm::BatchNorm && count > 1 && rows % size == 1)
        --count;
    double lossSum = 0;
    std::int64_t seen = 0;
    for (std::int64_t b = 0; b < count; ++b) {
        if (t.observer && t.observer->shouldStop()) {
            result.cancelled = true;
            break;
        }
        const std::int64_t start = b * size;
        const std::int64_t end = b + 1 == count ? rows : start + size;
        const double loss = model.trainBatch(order.data() + start, end - start, lr);
        lossSum += loss * static_cast<double>(end - start);
        seen += end - start;
        if (t.observer)
            t.observer->onBatch(epoch, static_cast<int>(b + 1), static_cast<int>(count));
    }
    return seen == 0 ? std::numeric_limits<double>::quiet_NaN() : lossSum / static_cast<double>(seen);
}

/// The validation loss and metrics of the model as it is now.
void measureValidation(Training& t, HeadModel& model, EpochStats& stats)
{
    const auto logits = model.logits(&t.rows.validation);
    stats.valLoss = t.loss(logits.data(), t.rows.validationLabels.data(), static_cast<std::int64_t>(t.rows.validation.size()));
    const auto m = computeMetrics(t.rows.validationLabels, probabilitiesOf(logits, t.loss.outputs(), t.numClasses), t.numClasses);
    stats.valAccuracy = m.accuracy;
    stats.valF1 = m.f1;
    stats.valRocAuc = m.rocAuc;
}

/// Step 4: minibatch epochs with the spec's optimiser and schedule, validation after each, and
/// early stopping that restores the best epoch's weights.
void trainEpochs(Training& t, HeadModel& model, TrainResult& result)
{
    std::mt19937_64 shuffleRng(t.spec.seed ^ 0x5eedULL);
    std::vector<std::int64_t> order = t.rows.train;
    double bestScore = -std::numeric_limits<double>::infinity();
    int sinceBest = 0;
    for (int epoch = 1; epoch <= t.spec.epochs && !result.cancelled; ++epoch) {
        const auto epochStart = Clock::now();
        EpochStats stats;
        stats.epoch = epoch;
        stats.learningRate = scheduledRate(t.spec, epoch - 1);
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[shuffleRng() % i]);
        stats.trainLoss = trainOneEpoch(t, model, order, epoch, stats.learningRate, result);
        if (result.cancelled && std::isnan(stats.trainLoss))
            break;
        measureValidation(t, model, stats);
        // A diverged head is not a result: saved, its NaN probabilities were refused by every
        // reader of the run, and its metrics were computed on them.
        if (!std::isfinite(stats.trainLoss) || !std::isfinite(stats.valLoss))
            throw Error(fmt::format("training diverged: in epoch {} the {} loss became {} (try a lower learning rate, "
                                    "standardised inputs or the L-BFGS probe); no run is saved",
                                    epoch, std::isfinite(stats.trainLoss) ? "validation" : "training",
                                    std::isfinite(stats.trainLoss) ? stats.valLoss : stats.trainLoss));
        stats.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
        result.history.push_back(stats);
        if (t.observer)
            t.observer->onEpoch(stats);
        if (t.spec.earlyStopping == StopMetric::None) {
            result.bestEpoch = epoch;
        } else if (const double score = stopScore(t.spec.earlyStopping, stats); score > bestScore) {
            bestScore = score;
            result.bestEpoch = epoch;
            sinceBest = 0;
            model.keepBest();
        } else if (++sinceBest >= t.spec.patience) {
            result.stoppedEarly = true;
            break;
        }
        if (epoch < t.spec.epochs && t.observer && t.observer->shouldFinish()) {
            result.stoppedEarly = result.finishedByUser = true;
            break;
        }
    }
    model.restoreBest();
}

/// Step 5: temperature scaling, one T fitted on the validation logits; returns the logits the
/// probabilities come from (divided by T, as the exported head divides them).
std::vector<float> calibrate(const Training& t, const std::vector<float>& allLogits, TrainResult& result)
{
    const int outputs = t.loss.outputs();
    // A single BCE logit z is the pair (0, z): softmax((0, z) / T) = (1 - sigmoid(z / T), sigmoid(z / T)).
    std::vector<float> pairs;
    if (outputs == 1) {
        pairs.reserve(allLogits.size() * 2);
        for (float z : allLogits) {
            pairs.push_back(0.0f);
            pairs.push_back(z);
        }
    }
    const auto valLogits = gatherRows(outputs == 1 ? pairs : allLogits, t.rows.validation, outputs == 1 ? 2 : outputs);
    const double temperature = fitTemperature(valLogits, t.rows.validationLabels, t.numClasses);
    const auto raw = probabilitiesOf(allLogits, outputs, t.numClasses);
    result.calibration.method = "temperature";
    result.calibration.temperature = temperature;
    result.calibration.valEceBefore =
        expectedCalibrationError(t.rows.validationLabels, gatherRows(raw, t.rows.validation, t.numClasses), t.numClasses);
    if (!t.rows.test.empty()) {
        result.calibration.hasTest = true;
        result.calibration.testEceBefore =
            expectedCalibrationError(t.rows.testLabels, gatherRows(raw, t.rows.test, t.numClasses), t.numClasses);
    }
    std::vector<float> scaled(allLogits.size());
    const float t32 = static_cast<float>(temperature);
    std::transform(allLogits.begin(), allLogits.end(), scaled.begin(), [t32](float z) { return z / t32; });
    return scaled;
}

/// Step 6: every row's probabilities, the validation and test metrics with their bootstrap
/// intervals (once, here, so the CLI, the window and the run files show the same ones).
/// `rawLogits` are the head's own (before calibration), for the test loss.
void finalMetrics(Training& t, const std::vector<float>& logits, const std::vector<float>& rawLogits, TrainResult& result)
{
    result.probabilities = probabilitiesOf(logits, t.loss.outputs(), t.numClasses);
    const auto bad = std::count_if(result.probabilities.begin(), result.probabilities.end(),
                                   [](float p) { return !std::isfinite(p); });
    if (bad > 0)
        throw Error(fmt::format("the trained head gives {} probabilities that are not numbers (its weights or the "
                                "features overflow float32); no run is saved",
                                bad));
    const int k = t.numClasses;
    const auto valProbs = gatherRows(result.probabilities, t.rows.validation, k);
    result.validation = computeMetrics(t.rows.validationLabels, valProbs, k);
    const auto intervalsStarted = Clock::now();
    result.validation.ci = bootstrapIntervals(t.rows.validationLabels, valProbs, k, 0.5, {.seed = t.spec.seed});
    result.intervalSeconds = std::chrono::duration<double>(Clock::now() - intervalsStarted).count();
    result.validation.loss = result.history[static_cast<std::size_t>(std::max(result.bestEpoch, 1) - 1)].valLoss;
    if (!t.rows.test.empty()) {
        const auto testProbs = gatherRows(result.probabilities, t.rows.test, k);
        result.test = computeMetrics(t.rows.testLabels, testProbs, k);
        const auto testIntervalsStarted = Clock::now();
        result.test.ci = bootstrapIntervals(t.rows.testLabels, testProbs, k, 0.5, {.seed = t.spec.seed});
        result.intervalSeconds += std::chrono::duration<double>(Clock::now() - testIntervalsStarted).count();
        const auto testLogits = gatherRows(rawLogits, t.rows.test, t.loss.outputs());
        result.test.loss = t.loss(testLogits.data(), t.rows.testLabels.data(), static_cast<std::int64_t>(t.rows.test.size()));
    } else {
        result.test = metricsOfNoRows(k); // "-" and null, never a test accuracy of 0
    }
    if (result.calibration.enabled()) {
        result.calibration.valEceAfter = result.validation.ece;
        result.calibration.testEceAfter = result.test.ece;
    }
}

} // namespace

bool trainsWithoutLibTorch(const HeadSpec& spec)
{
    return mlpNetSupports(spec);
}

TrainResult trainHead(const FeatureSet& data, const HeadSpec& spec, TrainingObserver* observer, const TrainOptions& options)
{
    const int numClasses = data.numClasses();
    if (const auto problems = validate(spec, numClasses); !problems.empty())
        throw Error("invalid head spec: " + problems.front());
    if (data.rows <= 0 || data.features.size() != static_cast<std::size_t>(data.rows * data.dim))
        throw Error(data.path + ": no features to train on");
    const auto started = Clock::now();
    TrainResult result;
    const SplitRows rows = splitAndCheck(data, spec, options, result);
    const auto classWeights = classWeightsOf(spec, data, rows.train);
    Training t{data, spec, observer, rows, numClasses, HeadLoss(spec, classWeights, numClasses)};

    std::unique_ptr<HeadModel> model;
    if (mlpNetSupports(spec)) {
        model = std::make_unique<NativeModel>(data, spec, numClasses, classWeights, rows.train);
        trainEpochs(t, *model, result);
    } else {
        auto torchModel = std::make_unique<TorchModel>(data, spec, numClasses, classWeights);
        if (!standardizeAndFitProbe(t, *torchModel, result))
            trainEpochs(t, *torchModel, result);
        model = std::move(torchModel);
    }
    result.parameters = parameterCount(spec, data.dim, numClasses);
    if (result.history.empty())
        throw Error("training was cancelled before the first epoch finished");

    const auto allLogits = model->logits(nullptr);
    finalMetrics(t, options.calibrate == CalibrationMethod::Temperature ? calibrate(t, allLogits, result) : allLogits,
                 allLogits, result);
    result.head = TrainedHead(headFromWeights(model->weights(result.calibration.temperature)));
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
}

} // namespace headbench
