#include "train/LbfgsProbe.h"

#include "train/HeadModel.h"

#include "compute/VectorKernels.h"
#include "train/MlpNet.h"

#include <headbench/compute/Runtime.h>
#include <headbench/eval/Metrics.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
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
/// Iterations of one preconditioner before it is recomputed at the current weights. On the tiled
/// Juliet features (150,000 x 1,024, l2 auto), whole-process seconds and iterations per penalty:
/// never 17.3 s (83 + 205), every 20 16.7 s (81 + 81), every 40 12.1 s (81 + 67), every 60
/// 12.6 s (101 + 79). A refresh costs about three evaluations (16,384 rows x 1,024^2).
constexpr int kRefresh = 40;

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

std::pair<torch::Tensor, torch::Tensor> standardization(const torch::Tensor& x, const torch::Tensor& rows)
{
    const auto xs = x.to(torch::kFloat).contiguous(); // the matrix itself when it is float already
    const auto r = rows.to(torch::kLong).contiguous();
    const std::vector<std::int64_t> list(r.data_ptr<std::int64_t>(), r.data_ptr<std::int64_t>() + r.numel());
    auto [mean, scale] = columnStandardization(xs.data_ptr<float>(), xs.size(1), list);
    const auto d = static_cast<std::int64_t>(mean.size());
    return {torch::from_blob(mean.data(), {d}, torch::kFloat).clone(), torch::from_blob(scale.data(), {d}, torch::kFloat).clone()};
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

/// The data loss and its gradient in one pass over the training rows, on two threads. Each
/// thread takes blocks of rows that fit the cache: the block's logits (a dot product per row
/// and output, read from the matrix where it lies), their loss gradient, then its share of the
/// weight gradient from the same rows while they are still in cache. The probe is bound by
/// reading the matrix: this reads it once per evaluation, where matrix-vector products over
/// all rows read it twice, and a gather of each block into a buffer ran on one core while the
/// BLAS threads spun in sched_yield.
class BlockedLoss {
public:
    BlockedLoss(const LbfgsProblem& p, bool relative) : m_p(p), m_relative(relative)
    {
        // Sorted rows: each thread reads the matrix front to back.
        const auto [sorted, order] = p.trainRows.sort();
        m_rows = sorted.contiguous();
        m_targets = p.yTrain.index_select(0, order);
        const std::int64_t n = m_rows.size(0), d = p.x.size(1);
        // At most what fits the cache, and at least 8 blocks when there are 512 rows or more.
        const std::int64_t cacheRows = std::max<std::int64_t>(16, kBlockBytes / (4 * std::max<std::int64_t>(1, d)));
        const std::int64_t blockRows = std::clamp<std::int64_t>((n + 7) / 8, std::min<std::int64_t>(64, cacheRows), cacheRows);
        const double total = p.normalizer(m_targets);
        for (std::int64_t s = 0; s < n; s += blockRows) {
            const std::int64_t e = std::min(n, s + blockRows);
            m_blocks.push_back({s, e, total > 0 ? p.normalizer(m_targets.slice(0, s, e)) / total : 0.0});
        }
        m_threads = std::max(1, std::min(runtimeThreads(), static_cast<int>(m_blocks.size())));
        const std::int64_t outputs = relative ? p.numClasses - 1 : (p.closedForm && p.closedForm->sigmoid ? 1 : p.numClasses);
        if (p.closedForm && outputs <= kFusedMaxOutputs && (!p.closedForm->sigmoid || !relative)) {
            // Each row's share of the loss: w_y / sum of w_y over the rows (1 / n unweighted).
            const auto w = p.closedForm->classWeights.defined()
                ? p.closedForm->classWeights.to(torch::kDouble).index_select(0, m_targets)
                : torch::ones({n}, torch::kDouble);
            m_rowScale = (w / std::max(total, 1e-300)).contiguous();
            m_targetsLong = m_targets.to(torch::kLong).contiguous();
        }
    }

    /// Loss (data term), dL/dW (rows of W; all K outputs) and dL/db at weights w, bias b in
    /// standardised coordinates.
    std::tuple<double, torch::Tensor, torch::Tensor> operator()(const torch::Tensor& w, const torch::Tensor& b)
    {
        torch::NoGradGuard noGrad;
        auto we = m_relative ? w.slice(0, 1) - w[0] : w;
        auto be = m_relative ? b.slice(0, 1) - b[0] : b;
        if (m_p.shift.defined()) {
            we = we * m_p.scale;
            be = be - we.mv(m_p.shift);
        }
        we = we.contiguous();
        be = be.contiguous();
        std::vector<Partial> parts(static_cast<std::size_t>(m_threads));
        std::vector<std::future<void>> others;
        for (int t = 1; t < m_threads; ++t)
            others.push_back(std::async(std::launch::async, [&, t] { pass(t, we, be, parts[static_cast<std::size_t>(t)]); }));
        pass(0, we, be, parts[0]);
        for (auto& f : others)
            f.get();
        for (std::size_t t = 1; t < parts.size(); ++t) {
            parts[0].loss += parts[t].loss;
            parts[0].gx += parts[t].gx;
            parts[0].dzSum += parts[t].dzSum;
        }
        auto gw = parts[0].gx.to(torch::kFloat);
        if (m_relative)
            gw = torch::cat({-gw.sum(0, true), gw}, 0);
        const auto sums = parts[0].dzSum.to(torch::kFloat);
        if (m_p.shift.defined())
            gw = (gw - torch::outer(sums, m_p.shift)) * m_p.scale;
        return {parts[0].loss, gw, sums};
    }

private:
    static constexpr std::int64_t kBlockBytes = std::int64_t(4) << 20; ///< of rows per block: within a core's share of the L3
    struct Block {
        std::int64_t begin, end;
        double share; ///< of the loss's denominator
    };
    struct Partial {
        double loss = 0;
        torch::Tensor gx, dzSum; ///< x^T dZ and the column sums of dZ, accumulated in double
    };

    /// A thread's running sums for the closed-form row gradients.
    struct RowContext {
        const std::int64_t* targets;
        const double* scale;
        bool relative, sigmoid;
        std::int64_t outputs; ///< weight rows (K - 1 relative, else K)
        double loss = 0;
        double dzSum[kFusedMaxOutputs + 1] = {};
    };

    /// dL/dz of row r (scaled by its share of the loss), and its loss, for softmax
    /// cross-entropy on relative logits (z_0 = 0) or BCE-with-logits on one output.
    static void rowGradient(void* context, std::int64_t r, const float* z, float* dz)
    {
        auto& c = *static_cast<RowContext*>(context);
        const double s = c.scale[r];
        const std::int64_t y = c.targets[r];
        if (c.sigmoid) {
            const double v = z[0];
            c.loss += s * (std::max(v, 0.0) - v * static_cast<double>(y) + std::log1p(std::exp(-std::abs(v))));
            const double g = s * (1.0 / (1.0 + std::exp(-v)) - static_cast<double>(y));
            dz[0] = static_cast<float>(g);
            c.dzSum[0] += g;
            return;
        }
        const std::int64_t classes = c.relative ? c.outputs + 1 : c.outputs;
        const std::int64_t first = c.relative ? 1 : 0; // the logit z[0] stands for
        double full[kFusedMaxOutputs + 1];
        if (c.relative)
            full[0] = 0;
        double top = -std::numeric_limits<double>::infinity();
        for (std::int64_t k = 0; k < c.outputs; ++k)
            full[k + first] = z[k];
        for (std::int64_t k = 0; k < classes; ++k)
            top = std::max(top, full[k]);
        double sum = 0;
        for (std::int64_t k = 0; k < classes; ++k)
            sum += std::exp(full[k] - top);
        const double logSum = top + std::log(sum);
        c.loss += s * (logSum - full[y]);
        for (std::int64_t k = 0; k < classes; ++k) {
            const double g = s * (std::exp(full[k] - logSum) - (k == y ? 1.0 : 0.0));
            c.dzSum[k] += g;
            if (k >= first)
                dz[k - first] = static_cast<float>(g);
        }
    }

    /// Thread t's blocks (every m_threads-th, so that the threads read neighbouring parts).
    void pass(int t, const torch::Tensor& we, const torch::Tensor& be, Partial& out) const
    {
        torch::NoGradGuard noGrad;
        const std::int64_t d = m_p.x.size(1), outputs = we.size(0);
        const float* x = m_p.x.data_ptr<float>();
        const float* wp = we.data_ptr<float>();
        const float* bp = be.data_ptr<float>();
        const std::int64_t* rows = m_rows.data_ptr<std::int64_t>();
        out.gx = torch::zeros({outputs, d}, torch::kDouble);
        out.dzSum = torch::zeros({m_relative ? outputs + 1 : outputs}, torch::kDouble);
        auto acc = torch::zeros({outputs, d}, torch::kFloat); // one block's x^T dZ
        float* ap = acc.data_ptr<float>();
        if (m_rowScale.defined()) {
            const RowContext c{m_targetsLong.data_ptr<std::int64_t>(), m_rowScale.data_ptr<double>(), m_relative,
                               m_p.closedForm->sigmoid, outputs};
            double dzSum[kFusedMaxOutputs + 1] = {};
            for (std::size_t bi = static_cast<std::size_t>(t); bi < m_blocks.size(); bi += static_cast<std::size_t>(m_threads)) {
                const Block& blk = m_blocks[bi];
                acc.zero_();
                RowContext block = c; // rows from blk.begin: offset the per-row arrays
                block.targets += blk.begin;
                block.scale += blk.begin;
                block.loss = 0;
                std::fill(std::begin(block.dzSum), std::end(block.dzSum), 0.0);
                fusedRowsGradient(x, rows + blk.begin, blk.end - blk.begin, d, wp, bp, outputs, &BlockedLoss::rowGradient, &block, ap);
                out.gx += acc.to(torch::kDouble);
                out.loss += block.loss;
                for (std::int64_t k = 0; k <= kFusedMaxOutputs; ++k)
                    dzSum[k] += block.dzSum[k];
            }
            for (std::int64_t k = 0; k < out.dzSum.size(0); ++k)
                out.dzSum[k] = dzSum[k];
            return;
        }
        for (std::size_t bi = static_cast<std::size_t>(t); bi < m_blocks.size(); bi += static_cast<std::size_t>(m_threads)) {
            const Block& blk = m_blocks[bi];
            const std::int64_t n = blk.end - blk.begin;
            auto z = torch::empty({n, outputs}, torch::kFloat);
            rowsTimesWeights(x, rows + blk.begin, n, d, wp, bp, outputs, z.data_ptr<float>());
            if (m_relative)
                z = torch::cat({torch::zeros({n, 1}, z.options()), z}, 1);
            z.requires_grad_(true);
            {
                torch::AutoGradMode enableGrad(true);
                const auto l = m_p.loss(z, m_targets.slice(0, blk.begin, blk.end)) * blk.share;
                l.backward();
                out.loss += l.item<double>();
            }
            const auto dz = z.grad();
            out.dzSum += dz.sum(0).to(torch::kDouble);
            const auto dzOut = (m_relative ? dz.slice(1, 1) : dz).contiguous();
            acc.zero_();
            addRowsTransposed(x, rows + blk.begin, n, d, dzOut.data_ptr<float>(), outputs, ap);
            out.gx += acc.to(torch::kDouble);
        }
    }

    const LbfgsProblem& m_p;
    bool m_relative;
    torch::Tensor m_rows, m_targets;
    torch::Tensor m_rowScale, m_targetsLong; ///< defined: closed-form row gradients
    std::vector<Block> m_blocks;
    int m_threads = 1;
};

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
    std::optional<BlockedLoss> blocked;
    if (p.normalizer && p.x.is_contiguous() && p.x.scalar_type() == torch::kFloat)
        blocked.emplace(p, relative);
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
        std::int64_t iterations = 0;
        double dataLoss = 0;
        int chunk = 0;
        bool converged = false;
        // Stages: a preconditioner from the curvature at the stage's start, then L-BFGS on it.
        // The curvature changes as the fit grows confident (p (1 - p) falls on most rows), so a
        // stage that has not converged after kRefresh iterations hands over to a fresh one.
        for (int stage = 0; !converged && !fit.cancelled && chunk < maxChunks; ++stage) {
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
        // Autograd runs only on the small logits matrix (so any loss of the spec works); the
        // two passes over the features are done here, as matrix-vector products.
        auto closure = [&]() -> torch::Tensor {
            torch::NoGradGuard noGrad;
            const auto w = weightFrom(v);
            if (blocked) {
                auto [data, gw, gb] = (*blocked)(w, bias);
                if (lambda > 0)
                    gw.add_(w, lambda);
                v.mutable_grad() = chol.defined()
                    ? torch::linalg_solve_triangular(chol, gw.to(torch::kDouble).t(), /*upper=*/false).t().to(torch::kFloat)
                    : gw;
                bias.mutable_grad() = gb;
                dataLoss = data;
                const double penalty = lambda > 0 ? 0.5 * lambda * w.square().sum().item<double>() : 0.0;
                return torch::tensor(dataLoss + penalty, torch::kDouble);
            }
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
        const std::int64_t stageStart = iterations;
        // The passes run on threads of their own; the BLAS only solves with the small factor.
        std::optional<BlasThreadsScope> blasThreads;
        if (blocked)
            blasThreads.emplace(1);
        while (chunk < maxChunks) {
            if (observer && observer->shouldStop()) {
                fit.cancelled = true;
                break;
            }
            ++chunk;
            opt.step(closure);
            const std::int64_t done = stageStart + iterationsOf(opt);
            converged = done - iterations < kChunk; // stopped on a tolerance
            iterations = done;
            if (observer)
                observer->onBatch(static_cast<int>(g + 1), chunk, maxChunks);
            if (converged || iterations - stageStart >= kRefresh)
                break;
        }
        {
            torch::NoGradGuard noGrad;
            layer->weight.copy_(weightFrom(v));
            layer->bias.copy_(bias);
        }
        } // stages
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
        if (g + 1 < grid.size() && observer && observer->shouldFinish()) {
            fit.finishedByUser = true;
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
