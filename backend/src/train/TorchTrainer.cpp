// LibTorch's side of training (in the LibTorch module, backend/src/extract/TorchLibrary.h): the
// network of TorchHead.h with autograd, its loss and optimisers, and the L-BFGS probe. Heads with
// hidden layers and no batch norm train on the BLAS instead (MlpNet.h).
#include "train/HeadModel.h"
#include "train/LbfgsProbe.h"
#include "train/TorchHead.h"
#include "compute/HelperThread.h"

#include <headbench/compute/Runtime.h>
#include <headbench/core/Error.h>

#include <cmath>

namespace headbench {
namespace {

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

    bool fitFullBatch(Training& t, TrainResult& result) override;

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

/// Step 3, the probe: input statistics of the training split (folded into the saved head's
/// first layer; also for an Adam head asked to standardise), and for L-BFGS the full-batch fit
/// over its L2 path. Returns whether it was L-BFGS.
bool TorchModel::fitFullBatch(Training& t, TrainResult& result)
{
    const bool lbfgs = resolvedOptimizer(t.spec) == Optimizer::Lbfgs;
    const torch::Tensor trainRows = indexTensor(t.rows.train);
    HeadNet& net = m_net;
    if (standardizes(t.spec))
        std::tie(net->inputShift, net->inputScale) = standardization(m_x, trainRows);
    if (!lbfgs)
        return false;
    // Full batch on the feature matrix where it lies: no copy of the training rows.
    const auto valIndex = indexTensor(t.rows.validation);
    LbfgsProblem problem;
    problem.x = m_x;
    problem.shift = net->inputShift;
    problem.scale = net->inputScale;
    problem.trainRows = trainRows;
    problem.yTrain = m_y.index_select(0, trainRows);
    problem.valRows = valIndex;
    problem.yVal = m_y.index_select(0, valIndex);
    problem.valLabels = t.rows.validationLabels;
    problem.numClasses = t.numClasses;
    const Criterion& criterion = m_criterion;
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

} // namespace

std::unique_ptr<HeadModel> makeTorchModel(const FeatureSet& data, const HeadSpec& spec, int numClasses,
                                          const std::vector<double>& classWeights)
{
    return std::make_unique<TorchModel>(data, spec, numClasses, classWeights);
}

} // namespace headbench
