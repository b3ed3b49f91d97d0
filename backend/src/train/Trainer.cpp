#include <headbench/train/Trainer.h>

#include <headbench/core/Error.h>
#include <headbench/eval/Bootstrap.h>
#include "train/LbfgsProbe.h"
#include <headbench/data/Split.h>
#include "train/TorchHead.h"

#include <fmt/format.h>

#include <headbench/core/Runtime.h>

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

private:
    HeadSpec m_spec;
    torch::Tensor m_weights;
    int m_numClasses;
};

/// One extra thread that runs a task on request; the caller waits for it. Sleeps (no spinning)
/// between tasks, so it never competes with the BLAS threads during the GEMMs.
class HelperThread {
public:
    explicit HelperThread(bool enabled)
    {
        if (enabled)
            m_thread = std::thread([this] { loop(); });
    }
    ~HelperThread()
    {
        if (m_thread.joinable()) {
            {
                std::lock_guard lock(m_mutex);
                m_quit = true;
            }
            m_cv.notify_all();
            m_thread.join();
        }
    }
    bool available() const { return m_thread.joinable(); }
    void run(std::function<void()> task)
    {
        {
            std::lock_guard lock(m_mutex);
            m_task = std::move(task);
            m_done = false;
        }
        m_cv.notify_all();
    }
    void wait()
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done; });
    }

private:
    void loop()
    {
        std::unique_lock lock(m_mutex);
        while (true) {
            m_cv.wait(lock, [this] { return m_quit || m_task; });
            if (m_quit)
                return;
            auto task = std::move(m_task);
            m_task = nullptr;
            lock.unlock();
            task();
            lock.lock();
            m_done = true;
            m_cv.notify_all();
        }
    }

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::function<void()> m_task;
    bool m_done = true;
    bool m_quit = false;
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
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        const float bc1 = 1.0f - std::pow(b1, static_cast<float>(m_step));
        const float bc2Sqrt = std::sqrt(1.0f - std::pow(b2, static_cast<float>(m_step)));
        const float stepSize = static_cast<float>(lr) / bc1;
        const float wd = static_cast<float>(m_weightDecay);
        const float decay = m_decoupled ? 1.0f - static_cast<float>(lr) * wd : 1.0f;
        const float l2 = m_decoupled ? 0.0f : wd;
        auto update = [&](std::size_t k, std::int64_t from, std::int64_t to) {
            auto& p = m_params[k];
            float* __restrict pp = p.data_ptr<float>();
            const float* __restrict g = p.grad().data_ptr<float>();
            float* __restrict m = m_m[k].data_ptr<float>();
            float* __restrict v = m_v[k].data_ptr<float>();
            for (std::int64_t i = from; i < to; ++i) {
                const float grad = g[i] + l2 * pp[i];
                m[i] = b1 * m[i] + (1.0f - b1) * grad;
                v[i] = b2 * v[i] + (1.0f - b2) * grad * grad;
                pp[i] = pp[i] * decay - stepSize * m[i] / (std::sqrt(v[i]) / bc2Sqrt + eps);
            }
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

/// Logits of the given rows, in evaluation mode, in large batches.
torch::Tensor logitsOf(HeadNet& net, const torch::Tensor& x, const torch::Tensor& rows)
{
    torch::NoGradGuard noGrad;
    net->eval();
    std::vector<torch::Tensor> parts;
    const std::int64_t n = rows.size(0), batch = 8192;
    for (std::int64_t s = 0; s < n; s += batch)
        parts.push_back(net->forward(x.index_select(0, rows.slice(0, s, std::min(n, s + batch)))));
    net->train();
    return parts.empty() ? torch::empty({0, net->output->weight.size(0)}) : torch::cat(parts, 0);
}

Metrics metricsOf(const torch::Tensor& probs, const std::vector<std::int32_t>& labels, int numClasses)
{
    auto p = probs.contiguous();
    return computeMetrics(labels, std::span<const float>(p.data_ptr<float>(), static_cast<std::size_t>(p.numel())), numClasses);
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

TrainResult trainHead(const FeatureSet& data, const HeadSpec& spec, TrainingObserver* observer, const TrainOptions& options)
{
    const int numClasses = data.numClasses();
    if (const auto problems = validate(spec, numClasses); !problems.empty())
        throw Error("invalid head spec: " + problems.front());
    if (data.rows <= 0 || data.features.size() != static_cast<std::size_t>(data.rows * data.dim))
        throw Error(data.path + ": no features to train on");

    const auto started = Clock::now();
    TrainResult result;
    SplitChoice choice = chooseSplit(data, options.split, options.splitSeed.value_or(spec.seed));
    result.split = std::move(choice.split);
    result.splitSource = std::move(choice.source);
    result.leakage = measureLeakage(data, result.split, options.leakage);

    std::vector<std::int64_t> trainRows, valRows, testRows;
    std::vector<std::int32_t> valLabels, testLabels;
    for (std::int64_t i = 0; i < data.rows; ++i) {
        const auto label = data.labels[static_cast<std::size_t>(i)];
        switch (result.split[static_cast<std::size_t>(i)]) {
        case kTrain: trainRows.push_back(i); break;
        case kValidation: valRows.push_back(i); valLabels.push_back(label); break;
        default: testRows.push_back(i); testLabels.push_back(label); break;
        }
    }
    if (trainRows.empty())
        throw Error(data.path + ": the training split is empty");
    result.trainFraction = options.trainFraction;
    if (options.trainFraction != 1.0)
        trainRows = trainSubset(data.labels, result.split, numClasses, options.trainFraction,
                                options.splitSeed.value_or(spec.seed));
    result.trainRows = static_cast<std::int64_t>(trainRows.size());
    if (valRows.empty())
        throw Error(data.path + ": the validation split is empty");

    torch::manual_seed(spec.seed);
    const int outputs = outputUnits(spec, numClasses);
    HeadNet net(spec, data.dim, outputs);
    net->train();
    result.parameters = 0;
    for (const auto& p : net->parameters())
        result.parameters += p.numel();

    // The whole feature matrix stays where it is; batches are gathered from it.
    const auto x = torch::from_blob(const_cast<float*>(data.features.data()), {data.rows, data.dim}, torch::kFloat);
    const auto y = torch::from_blob(const_cast<std::int32_t*>(data.labels.data()), {data.rows}, torch::kInt).to(torch::kLong);
    const auto valIndex = indexTensor(valRows);
    const auto valTargets = y.index_select(0, valIndex);

    torch::Tensor classWeights;
    if (spec.autoClassWeights) {
        std::vector<double> counts(static_cast<std::size_t>(numClasses), 0.0);
        for (auto r : trainRows)
            counts[static_cast<std::size_t>(data.labels[static_cast<std::size_t>(r)])] += 1;
        classWeights = torch::empty({numClasses}, torch::kFloat);
        for (int k = 0; k < numClasses; ++k) // "balanced": n / (K * n_k); absent classes weigh 1
            classWeights[k] = counts[k] > 0 ? static_cast<double>(trainRows.size()) / (numClasses * counts[k]) : 1.0;
    } else if (!spec.classWeights.empty()) {
        classWeights = torch::tensor(std::vector<float>(spec.classWeights.begin(), spec.classWeights.end()));
    }
    const Criterion criterion(spec, classWeights, numClasses);
    HeadOptimizer optimizer(spec, net->parameters());
    const bool lbfgs = resolvedOptimizer(spec) == Optimizer::Lbfgs;
    torch::Tensor xTrain; // the training rows, gathered once for the statistics and L-BFGS
    if (standardizes(spec) || lbfgs)
        xTrain = x.index_select(0, indexTensor(trainRows));
    if (standardizes(spec)) {
        // Statistics of the training split only; the saved head folds them into its first layer.
        std::tie(net->inputShift, net->inputScale) = standardization(xTrain);
        if (!lbfgs)
            xTrain = torch::Tensor(); // minibatches are gathered from x: free the copy
    }
    if (lbfgs) {
        // Full batch: the training and validation rows are gathered once (and standardised in
        // place) instead of per iteration.
        LbfgsProblem problem;
        problem.xTrain = std::move(xTrain);
        problem.yTrain = y.index_select(0, indexTensor(trainRows));
        problem.xVal = x.index_select(0, valIndex);
        problem.yVal = valTargets;
        if (net->inputShift.defined())
            for (auto* t : {&problem.xTrain, &problem.xVal})
                t->sub_(net->inputShift).mul_(net->inputScale);
        problem.valLabels = valLabels;
        problem.numClasses = numClasses;
        problem.loss = [&criterion](const torch::Tensor& logits, const torch::Tensor& targets) { return criterion(logits, targets); };
        problem.l2 = spec.l2;
        LbfgsFit fit = fitLbfgsProbe(net->output, problem, observer);
        result.history = std::move(fit.history);
        result.bestEpoch = fit.bestEpoch;
        result.cancelled = fit.cancelled;
    }

    const auto nTrain = static_cast<std::int64_t>(trainRows.size());
    // A last batch of one sample breaks batch norm; it is merged into the previous batch.
    const std::int64_t batchSize = spec.batchSize;
    std::int64_t batches = (nTrain + batchSize - 1) / batchSize;
    if (spec.norm == Norm::BatchNorm && batches > 1 && nTrain % batchSize == 1)
        --batches;
    std::mt19937_64 shuffleRng(spec.seed ^ 0x5eedULL);
    std::vector<std::int64_t> order = trainRows;
    // Reused buffers: no allocation per batch for the gathered inputs and targets.
    auto xBatch = torch::empty({batchSize + 1, data.dim}, torch::kFloat);
    auto yBatch = torch::empty({batchSize + 1}, torch::kLong);

    double bestScore = -std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> bestState;
    int sinceBest = 0;
    for (int epoch = 1; !lbfgs && epoch <= spec.epochs && !result.cancelled; ++epoch) {
        const auto epochStart = Clock::now();
        const double lr = scheduledRate(spec, epoch - 1);
        for (std::size_t i = order.size(); i > 1; --i)
            std::swap(order[i - 1], order[shuffleRng() % i]);
        const auto orderTensor = indexTensor(order);

        double lossSum = 0;
        std::int64_t seen = 0;
        for (std::int64_t b = 0; b < batches; ++b) {
            if (observer && observer->shouldStop()) {
                result.cancelled = true;
                break;
            }
            const std::int64_t start = b * batchSize;
            const std::int64_t end = b + 1 == batches ? nTrain : start + batchSize;
            const auto idx = orderTensor.slice(0, start, end);
            auto xb = xBatch.narrow(0, 0, end - start);
            auto yb = yBatch.narrow(0, 0, end - start);
            torch::index_select_out(xb, x, 0, idx);
            torch::index_select_out(yb, y, 0, idx);
            optimizer.zeroGrad();
            auto loss = criterion(net->forward(xb), yb);
            loss.backward();
            {
                torch::NoGradGuard noGrad;
                optimizer.step(lr);
            }
            lossSum += loss.item<double>() * static_cast<double>(end - start);
            seen += end - start;
            if (observer)
                observer->onBatch(epoch, static_cast<int>(b + 1), static_cast<int>(batches));
        }
        if (result.cancelled && seen == 0)
            break;

        EpochStats stats;
        stats.epoch = epoch;
        stats.trainLoss = lossSum / static_cast<double>(std::max<std::int64_t>(seen, 1));
        stats.learningRate = lr;
        {
            const auto logits = logitsOf(net, x, valIndex);
            torch::NoGradGuard noGrad;
            stats.valLoss = criterion(logits, valTargets).item<double>();
            const auto m = metricsOf(logitsToProbabilities(logits), valLabels, numClasses);
            stats.valAccuracy = m.accuracy;
            stats.valF1 = m.f1;
            stats.valRocAuc = m.rocAuc;
        }
        stats.seconds = std::chrono::duration<double>(Clock::now() - epochStart).count();
        result.history.push_back(stats);
        if (observer)
            observer->onEpoch(stats);

        if (spec.earlyStopping == StopMetric::None) {
            result.bestEpoch = epoch;
            continue;
        }
        const double score = stopScore(spec.earlyStopping, stats);
        if (score > bestScore) {
            bestScore = score;
            result.bestEpoch = epoch;
            sinceBest = 0;
            torch::NoGradGuard noGrad;
            bestState.clear();
            for (const auto& t : net->parameters())
                bestState.push_back(t.detach().clone());
            for (const auto& t : net->buffers())
                bestState.push_back(t.detach().clone());
        } else if (++sinceBest >= spec.patience) {
            result.stoppedEarly = true;
            break;
        }
    }
    if (result.history.empty())
        throw Error("training was cancelled before the first epoch finished");

    if (!bestState.empty()) { // restore the best epoch's weights
        torch::NoGradGuard noGrad;
        std::size_t i = 0;
        for (auto& t : net->parameters())
            t.copy_(bestState[i++]);
        for (auto& t : net->buffers())
            t.copy_(bestState[i++]);
    }

    // Final probabilities for every row, then metrics per split.
    const auto allRows = torch::arange(data.rows, torch::kLong);
    const auto allLogits = logitsOf(net, x, allRows);
    const auto gatherFrom = [&](const std::vector<float>& all, const std::vector<std::int64_t>& rows) {
        std::vector<float> out;
        out.reserve(rows.size() * static_cast<std::size_t>(numClasses));
        for (auto r : rows)
            out.insert(out.end(), all.begin() + r * numClasses, all.begin() + (r + 1) * numClasses);
        return out;
    };
    // Temperature scaling: one T fitted on the validation logits; from here on (metrics, saved
    // probabilities, the exported head) the probabilities are softmax(logits / T).
    torch::Tensor scaledLogits = allLogits;
    if (options.calibrate == CalibrationMethod::Temperature) {
        // A single BCE logit z is the pair (0, z): softmax((0, z) / T) = (1 - sigmoid(z / T), sigmoid(z / T)).
        const auto pairs = allLogits.size(1) == 1 ? torch::cat({torch::zeros_like(allLogits), allLogits}, 1) : allLogits;
        const auto valLogits = pairs.index_select(0, indexTensor(valRows)).contiguous();
        const double temperature = fitTemperature(
            std::span<const float>(valLogits.data_ptr<float>(), static_cast<std::size_t>(valLogits.numel())), valLabels,
            numClasses);
        const auto rawTensor = logitsToProbabilities(allLogits).contiguous();
        const std::vector<float> raw(rawTensor.data_ptr<float>(), rawTensor.data_ptr<float>() + rawTensor.numel());
        result.calibration.method = "temperature";
        result.calibration.temperature = temperature;
        result.calibration.valEceBefore = expectedCalibrationError(valLabels, gatherFrom(raw, valRows), numClasses);
        if (!testRows.empty()) {
            result.calibration.hasTest = true;
            result.calibration.testEceBefore = expectedCalibrationError(testLabels, gatherFrom(raw, testRows), numClasses);
        }
        // The same float division the exported head does.
        scaledLogits = allLogits / torch::full({1}, temperature, torch::kFloat);
    }
    const auto probs = logitsToProbabilities(scaledLogits).contiguous();
    result.probabilities.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
    const auto gatherProbs = [&](const std::vector<std::int64_t>& rows) { return gatherFrom(result.probabilities, rows); };
    const auto valProbs = gatherProbs(valRows);
    result.validation = computeMetrics(valLabels, valProbs, numClasses);
    // Intervals once, here, so the CLI, the window and the run files all show the same ones.
    result.validation.ci = bootstrapIntervals(valLabels, valProbs, numClasses, 0.5, {.seed = spec.seed});
    result.validation.loss = result.history[static_cast<std::size_t>(std::max(result.bestEpoch, 1) - 1)].valLoss;
    if (!testRows.empty()) {
        const auto testProbs = gatherProbs(testRows);
        result.test = computeMetrics(testLabels, testProbs, numClasses);
        result.test.ci = bootstrapIntervals(testLabels, testProbs, numClasses, 0.5, {.seed = spec.seed});
        torch::NoGradGuard noGrad;
        result.test.loss = criterion(logitsOf(net, x, indexTensor(testRows)), y.index_select(0, indexTensor(testRows))).item<double>();
    }
    if (result.calibration.enabled()) {
        result.calibration.valEceAfter = result.validation.ece;
        result.calibration.testEceAfter = result.test.ece;
    }
    result.head = TrainedHead(scriptHead(net, data.dim, numClasses, data.labelNames, result.calibration.temperature));
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return result;
}

} // namespace headbench
