#include "train/LbfgsProbe.h"

#include <headbench/eval/Metrics.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace headbench {
namespace {

using Clock = std::chrono::steady_clock;

// Iterations per optimizer.step() call: between chunks the observer may cancel and sees
// progress. LibTorch's L-BFGS keeps its history across calls, so chunks do not restart it.
constexpr int kChunk = 20;
constexpr int kMaxIterations = 1000;  ///< per penalty; the gradient tolerance normally ends it first
constexpr double kGradTolerance = 1e-5; ///< on max |gradient| in the preconditioned coordinates (and the bias)
constexpr double kChangeTolerance = 1e-9;

/// L-BFGS iterations done so far (the optimizer holds one state entry for all parameters).
std::int64_t iterationsOf(torch::optim::LBFGS& opt)
{
    for (const auto& [key, state] : opt.state())
        return static_cast<torch::optim::LBFGSParamState&>(*state).n_iter();
    return 0;
}

// Up to this many outputs the products with the feature matrix are one matrix-vector product
// per output: for a skinny right-hand side OpenBLAS's GEMM packs the whole feature matrix and
// was about 3x slower than GEMV per pass (measured on 120,000 x 1,024 floats).
constexpr std::int64_t kGemvOutputs = 3;

/// x W^T + b without autograd.
torch::Tensor linearOf(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b)
{
    if (w.size(0) > kGemvOutputs)
        return torch::addmm(b, x, w.t());
    std::vector<torch::Tensor> columns;
    for (std::int64_t k = 0; k < w.size(0); ++k)
        columns.push_back(x.mv(w[k]));
    return torch::stack(columns, 1) + b;
}

/// dZ^T x: the weight gradient from the logits' gradient dZ [n, K].
torch::Tensor weightGradient(const torch::Tensor& x, const torch::Tensor& dz)
{
    if (dz.size(1) > kGemvOutputs)
        return dz.t().mm(x);
    std::vector<torch::Tensor> rows;
    for (std::int64_t k = 0; k < dz.size(1); ++k)
        rows.push_back(x.t().mv(dz.select(1, k).contiguous()));
    return torch::stack(rows, 0);
}

} // namespace

std::vector<double> l2Grid(std::int64_t trainRows)
{
    std::vector<double> grid;
    for (double c : {0.01, 0.1, 1.0, 10.0, 100.0})
        grid.push_back(1.0 / (c * static_cast<double>(std::max<std::int64_t>(trainRows, 1))));
    return grid;
}

std::pair<torch::Tensor, torch::Tensor> standardization(const torch::Tensor& x, const torch::Tensor& rows)
{
    torch::NoGradGuard noGrad;
    const std::int64_t n = rows.size(0), block = 2048; // 16 MB of doubles at a time
    auto blockOf = [&](std::int64_t s) {
        return x.index_select(0, rows.slice(0, s, std::min(n, s + block))).to(torch::kDouble);
    };
    auto sum = torch::zeros({x.size(1)}, torch::kDouble);
    for (std::int64_t s = 0; s < n; s += block)
        sum += blockOf(s).sum(0);
    const auto mean = sum / static_cast<double>(std::max<std::int64_t>(n, 1));
    auto sq = torch::zeros({x.size(1)}, torch::kDouble);
    for (std::int64_t s = 0; s < n; s += block) // two passes: no cancellation for large means
        sq += (blockOf(s) - mean).square().sum(0);
    auto sd = (sq / static_cast<double>(std::max<std::int64_t>(n, 1))).sqrt();
    // Columns that are constant up to rounding keep their scale, as StandardScaler does.
    sd = torch::where(sd > 1e-12 * (mean.abs() + 1.0), sd, torch::ones_like(sd));
    return {mean.to(torch::kFloat), (1.0 / sd).to(torch::kFloat)};
}

namespace {

constexpr std::int64_t kSampleRows = 16384; ///< rows of the preconditioner's curvature estimate

/// Logits of every row of x for weights W and bias b in standardised coordinates: [N, K]. With
/// `relative`, those of class 0 are 0 and the others are relative to them (z_k - z_0): the same
/// softmax for K - 1 passes over the rows instead of K.
torch::Tensor allLogits(const LbfgsProblem& p, torch::Tensor w, torch::Tensor b, bool relative)
{
    if (relative) {
        w = w.slice(0, 1) - w[0];
        b = b.slice(0, 1) - b[0];
    }
    torch::Tensor z;
    if (!p.shift.defined()) {
        z = linearOf(p.x, w, b);
    } else {
        const auto scaled = w * p.scale;
        z = linearOf(p.x, scaled, b - scaled.mv(p.shift));
    }
    return relative ? torch::cat({torch::zeros({z.size(0), 1}, z.options()), z}, 1) : z;
}

/// The preconditioner of one penalty: the lower Cholesky factor L (double) of
/// M = X^T diag(s) X / n + l2 I, the loss's curvature at the current weights (exact at the
/// start for two classes: s = p (1 - p)), estimated on an evenly strided sample of rows. L-BFGS
/// then runs on V = W L, where the objective is close to round: correlated features (n-gram
/// hashes, embeddings) otherwise cost it hundreds of iterations. Empty if M is not positive definite.
torch::Tensor preconditioner(const LbfgsProblem& p, const torch::Tensor& w, const torch::Tensor& b, double lambda)
{
    torch::NoGradGuard noGrad;
    const std::int64_t n = p.trainRows.size(0), step = std::max<std::int64_t>(1, n / kSampleRows);
    const auto sample = p.trainRows.slice(0, 0, n, step);
    // Accumulated over chunks of 2,048 sampled rows (8 MB each), not one 64 MB copy of the sample.
    auto m = torch::zeros({p.x.size(1), p.x.size(1)}, torch::kFloat);
    for (std::int64_t c = 0; c < sample.size(0); c += 2048) {
        auto xs = p.x.index_select(0, sample.slice(0, c, std::min(sample.size(0), c + 2048)));
        if (p.shift.defined())
            xs.sub_(p.shift).mul_(p.scale);
        const auto z = linearOf(xs, w, b);
        torch::Tensor s;
        if (z.size(1) == 1) {
            const auto q = torch::sigmoid(z.squeeze(1));
            s = q * (1 - q);
        } else {
            const auto q = torch::softmax(z, 1);
            s = (q * (1 - q)).mean(1);
        }
        xs.mul_(s.sqrt().unsqueeze(1)); // X^T diag(s) X as (S^1/2 X)^T (S^1/2 X)
        m.addmm_(xs.t(), xs);
    }
    m = m.to(torch::kDouble) / static_cast<double>(sample.size(0));
    // A small ridge keeps the factorisation defined without a penalty (l2 0, separable data).
    const double ridge = lambda + 1e-8 * (m.diagonal().mean().item<double>() + 1e-12);
    m.diagonal().add_(ridge);
    const auto [factor, info] = torch::linalg_cholesky_ex(m);
    if (info.item<int>() != 0)
        return {};
    return factor;
}

} // namespace

LbfgsFit fitLbfgsProbe(torch::nn::Linear& layer, const LbfgsProblem& p, TrainingObserver* observer)
{
    LbfgsFit fit;
    const std::vector<double> grid = p.l2 ? std::vector<double>{*p.l2} : l2Grid(p.trainRows.size(0));
    const std::int64_t rows = p.x.size(0), outputs = layer->weight.size(0);
    // A softmax loss (every head of two or more outputs) sees only differences of a row's logits,
    // and its logit gradient sums to 0 over the row: z_k - z_0 and dW_0 = -(dW_1 + ... + dW_K-1)
    // save one of the K passes over the rows per product (half of them with two classes).
    const bool relative = outputs >= 2;
    const int maxChunks = (kMaxIterations + kChunk - 1) / kChunk;
    double bestValLoss = std::numeric_limits<double>::infinity();
    torch::Tensor bestWeight, bestBias;
    {
        torch::NoGradGuard noGrad; // a convex problem: start at zero, as scikit-learn does
        layer->weight.zero_();
        layer->bias.zero_();
    }

    for (std::size_t g = 0; g < grid.size() && !fit.cancelled; ++g) {
        const auto started = Clock::now();
        const double lambda = grid[g];
        const torch::Tensor chol = preconditioner(p, layer->weight, layer->bias, lambda);
        // W from V = W L and the gradient with respect to V: W^T = L^-T V^T, dV^T = L^-1 dW^T.
        auto weightFrom = [&](const torch::Tensor& v) {
            if (!chol.defined())
                return v.detach().clone();
            return torch::linalg_solve_triangular(chol.t(), v.detach().to(torch::kDouble).t(), /*upper=*/true)
                .t()
                .to(torch::kFloat);
        };
        torch::Tensor v;
        {
            torch::NoGradGuard noGrad; // warm start from the previous penalty's solution
            v = chol.defined() ? layer->weight.to(torch::kDouble).mm(chol).to(torch::kFloat) : layer->weight.detach().clone();
        }
        v.requires_grad_(true);
        auto bias = layer->bias.detach().clone().requires_grad_(true);
        // A fresh optimizer per penalty (its curvature pairs belong to one objective).
        torch::optim::LBFGS opt({v, bias}, torch::optim::LBFGSOptions(1.0)
                                               .max_iter(kChunk)
                                               .max_eval(kChunk * 25)
                                               .tolerance_grad(kGradTolerance)
                                               .tolerance_change(kChangeTolerance)
                                               .history_size(20)
                                               .line_search_fn("strong_wolfe"));
        double dataLoss = 0;
        // Autograd runs only on the small logits matrix (so any loss of the spec works); the
        // two passes over the features are done here, as matrix-vector products.
        auto closure = [&]() -> torch::Tensor {
            torch::NoGradGuard noGrad;
            const auto w = weightFrom(v);
            auto z = allLogits(p, w, bias, relative).index_select(0, p.trainRows).requires_grad_(true);
            torch::Tensor data;
            {
                torch::AutoGradMode enableGrad(true);
                data = p.loss(z, p.yTrain);
                data.backward();
            }
            const auto dz = z.grad();
            // x^T dZ over every row (the other rows' dZ is 0), then the chain rule through the
            // folded standardisation: dW = (x^T dZ - sum(dZ) shift) * scale.
            const auto fitted = relative ? dz.slice(1, 1) : dz;
            auto gw = weightGradient(p.x, torch::zeros({rows, fitted.size(1)}, torch::kFloat).index_copy_(0, p.trainRows, fitted));
            if (relative)
                gw = torch::cat({-gw.sum(0, true), gw}, 0);
            if (p.shift.defined())
                gw = (gw - torch::outer(dz.sum(0), p.shift)) * p.scale;
            if (lambda > 0)
                gw.add_(w, lambda);
            v.mutable_grad() = chol.defined()
                ? torch::linalg_solve_triangular(chol, gw.to(torch::kDouble).t(), /*upper=*/false).t().to(torch::kFloat)
                : gw;
            bias.mutable_grad() = dz.sum(0);
            dataLoss = data.item<double>();
            const double penalty = lambda > 0 ? 0.5 * lambda * w.square().sum().item<double>() : 0.0;
            return torch::tensor(dataLoss + penalty, torch::kDouble);
        };
        std::int64_t iterations = 0;
        for (int chunk = 1; chunk <= maxChunks; ++chunk) {
            if (observer && observer->shouldStop()) {
                fit.cancelled = true;
                break;
            }
            opt.step(closure);
            const std::int64_t done = iterationsOf(opt);
            const bool converged = done - iterations < kChunk; // stopped on a tolerance
            iterations = done;
            if (observer)
                observer->onBatch(static_cast<int>(g + 1), chunk, maxChunks);
            if (converged)
                break;
        }
        {
            torch::NoGradGuard noGrad;
            layer->weight.copy_(weightFrom(v));
            layer->bias.copy_(bias);
        }
        if (fit.cancelled && iterations == 0)
            break;

        EpochStats stats;
        stats.epoch = static_cast<int>(g + 1);
        stats.l2 = lambda;
        stats.iterations = static_cast<int>(iterations);
        {
            torch::NoGradGuard noGrad;
            layer->eval();
            stats.trainLoss = dataLoss;
            const auto logits = allLogits(p, layer->weight, layer->bias, false).index_select(0, p.valRows);
            stats.valLoss = p.loss(logits, p.yVal).item<double>();
            const auto probs = (logits.size(1) == 1 ? torch::cat({1 - torch::sigmoid(logits), torch::sigmoid(logits)}, 1)
                                                    : torch::softmax(logits, 1)).contiguous();
            const Metrics m = computeMetrics(p.valLabels, std::span<const float>(probs.data_ptr<float>(), static_cast<std::size_t>(probs.numel())),
                                             p.numClasses);
            stats.valAccuracy = m.accuracy;
            stats.valF1 = m.f1;
            stats.valRocAuc = m.rocAuc;
            layer->train();
        }
        stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        fit.history.push_back(stats);
        if (observer)
            observer->onEpoch(stats);

        // Chosen by validation log-loss. The walk goes from the strongest penalty to the
        // weakest and stops at the first one that is worse than the best so far: validation
        // loss is normally unimodal in the penalty, and the weak penalties are the slow fits.
        if (stats.valLoss < bestValLoss) {
            bestValLoss = stats.valLoss;
            fit.bestEpoch = stats.epoch;
            torch::NoGradGuard noGrad;
            bestWeight = layer->weight.detach().clone();
            bestBias = layer->bias.detach().clone();
        } else {
            break;
        }
    }
    if (bestWeight.defined()) {
        torch::NoGradGuard noGrad;
        layer->weight.copy_(bestWeight);
        layer->bias.copy_(bestBias);
    }
    return fit;
}

} // namespace headbench
