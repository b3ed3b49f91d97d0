#include <headbench/train/Trainer.h>

#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/data/Split.h>
#include "extract/TorchLibrary.h"
#include "train/HeadModel.h"
#include "train/TrainedHeadImpl.h"

#include <fmt/format.h>

#include <headbench/compute/Runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

namespace headbench {
namespace {

using Clock = std::chrono::steady_clock;

double scheduledRate(const HeadSpec& s, int epochIndex)
{
    switch (s.schedule) {
    case Schedule::Constant: return s.learningRate;
    case Schedule::Cosine: return s.learningRate * 0.5 * (1.0 + std::cos(M_PI * epochIndex / s.epochs));
    case Schedule::Step: return s.learningRate * std::pow(s.stepGamma, epochIndex / s.stepSize);
    }
    return s.learningRate;
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

std::vector<double> l2Grid(std::int64_t trainRows)
{
    std::vector<double> grid;
    for (double c : {0.01, 0.1, 1.0, 10.0, 100.0})
        grid.push_back(1.0 / (c * static_cast<double>(std::max<std::int64_t>(trainRows, 1))));
    return grid;
}

int plannedEpochs(const HeadSpec& spec)
{
    if (resolvedOptimizer(spec) != Optimizer::Lbfgs)
        return spec.epochs;
    return spec.l2 ? 1 : static_cast<int>(l2Grid(1).size());
}

namespace {

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
    bool fitFullBatch(Training&, TrainResult&) override { return false; }

private:
    const FeatureSet& m_data;
    int m_numClasses;
    MlpNet m_net;
    HeadLoss m_loss;
    HeadUpdate m_update;
    std::vector<float> m_best;
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
        // LibTorch's module is loaded here, and only here, for training.
        model = torchFunction<decltype(&makeTorchModel)>("makeTorchModel")(data, spec, numClasses, classWeights);
        if (!model->fitFullBatch(t, result))
            trainEpochs(t, *model, result);
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
