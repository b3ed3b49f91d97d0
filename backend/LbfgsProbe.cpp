#include "LbfgsProbe.h"

#include "Metrics.h"

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
constexpr double kGradTolerance = 1e-7; ///< on max |gradient| of the mean-loss objective
constexpr double kChangeTolerance = 1e-9;

/// L-BFGS iterations done so far (the optimizer holds one state entry for all parameters).
std::int64_t iterationsOf(torch::optim::LBFGS& opt)
{
    for (const auto& [key, state] : opt.state())
        return static_cast<torch::optim::LBFGSParamState&>(*state).n_iter();
    return 0;
}

} // namespace

std::vector<double> l2Grid(std::int64_t trainRows)
{
    std::vector<double> grid;
    for (double c : {0.01, 0.1, 1.0, 10.0, 100.0})
        grid.push_back(1.0 / (c * static_cast<double>(std::max<std::int64_t>(trainRows, 1))));
    return grid;
}

std::pair<torch::Tensor, torch::Tensor> standardization(const torch::Tensor& x)
{
    torch::NoGradGuard noGrad;
    const std::int64_t n = x.size(0), block = 8192;
    auto sum = torch::zeros({x.size(1)}, torch::kDouble);
    for (std::int64_t s = 0; s < n; s += block)
        sum += x.slice(0, s, std::min(n, s + block)).to(torch::kDouble).sum(0);
    const auto mean = sum / static_cast<double>(std::max<std::int64_t>(n, 1));
    auto sq = torch::zeros({x.size(1)}, torch::kDouble);
    for (std::int64_t s = 0; s < n; s += block) // two passes: no cancellation for large means
        sq += (x.slice(0, s, std::min(n, s + block)).to(torch::kDouble) - mean).square().sum(0);
    auto sd = (sq / static_cast<double>(std::max<std::int64_t>(n, 1))).sqrt();
    // Columns that are constant up to rounding keep their scale, as StandardScaler does.
    sd = torch::where(sd > 1e-12 * (mean.abs() + 1.0), sd, torch::ones_like(sd));
    return {mean.to(torch::kFloat), (1.0 / sd).to(torch::kFloat)};
}

LbfgsFit fitLbfgsProbe(torch::nn::Linear& layer, const LbfgsProblem& p, TrainingObserver* observer)
{
    LbfgsFit fit;
    const std::vector<double> grid = p.l2 ? std::vector<double>{*p.l2} : l2Grid(p.xTrain.size(0));
    const int maxChunks = (kMaxIterations + kChunk - 1) / kChunk;
    double bestValLoss = std::numeric_limits<double>::infinity();
    torch::Tensor bestWeight, bestBias;
    layer->train();

    for (std::size_t g = 0; g < grid.size() && !fit.cancelled; ++g) {
        const auto started = Clock::now();
        const double lambda = grid[g];
        // A fresh optimizer per penalty (its curvature pairs belong to one objective), warm-
        // started from the previous penalty's solution.
        torch::optim::LBFGS opt({layer->weight, layer->bias}, torch::optim::LBFGSOptions(1.0)
                                                                  .max_iter(kChunk)
                                                                  .max_eval(kChunk * 25)
                                                                  .tolerance_grad(kGradTolerance)
                                                                  .tolerance_change(kChangeTolerance)
                                                                  .history_size(20)
                                                                  .line_search_fn("strong_wolfe"));
        double dataLoss = 0;
        auto closure = [&]() -> torch::Tensor {
            opt.zero_grad();
            auto data = p.loss(layer->forward(p.xTrain), p.yTrain);
            auto loss = lambda > 0 ? data + (0.5 * lambda) * layer->weight.square().sum() : data;
            loss.backward();
            dataLoss = data.item<double>();
            return loss;
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
            const auto logits = layer->forward(p.xVal);
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
