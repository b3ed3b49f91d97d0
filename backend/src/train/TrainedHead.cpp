#include "train/TrainedHeadImpl.h"

#include "extract/TorchLibrary.h"
#include "train/Activations.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace headbench {

std::unique_ptr<TrainedHead::Impl> headFromWeights(HeadWeights weights)
{
    auto impl = std::make_unique<TrainedHead::Impl>();
    impl->archive = headArchive(weights); // also checks that the shapes chain
    impl->inputDim = weights.inputDim;
    impl->numClasses = weights.numClasses;
    impl->weights = std::move(weights);
    return impl;
}

namespace {

/// out (n x dense.out) = in (n x dense.in) W^T + b.
void applyDense(const HeadWeights::Dense& dense, const float* in, std::int64_t n, float* out)
{
    for (std::int64_t i = 0; i < n; ++i)
        std::memcpy(out + i * dense.out, dense.bias.data(), sizeof(float) * static_cast<std::size_t>(dense.out));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(dense.out),
                static_cast<int>(dense.in), 1.0f, in, static_cast<int>(dense.in), dense.weight.data(),
                static_cast<int>(dense.in), 1.0f, out, static_cast<int>(dense.out));
}

} // namespace

std::vector<float> headProbabilities(const HeadWeights& head, const float* x, std::int64_t rows)
{
    const int k = head.numClasses;
    const Activation activation = parseEnum<Activation>(head.activation);
    std::vector<float> probs(static_cast<std::size_t>(rows * k));
    const std::int64_t batch = 4096;
    std::int64_t widest = head.output.out;
    for (const auto& d : head.hidden)
        widest = std::max(widest, d.out);
    std::vector<float> a(static_cast<std::size_t>(std::min(rows, batch) * widest)), b(a.size());
    for (std::int64_t s = 0; s < rows; s += batch) {
        const std::int64_t n = std::min(batch, rows - s);
        const float* in = x + s * head.inputDim;
        for (std::size_t l = 0; l < head.hidden.size(); ++l) {
            const auto& dense = head.hidden[l];
            float* out = in == a.data() ? b.data() : a.data();
            applyDense(dense, in, n, out);
            const std::int64_t h = dense.out;
            if (head.norm != HeadWeights::Norm::None) {
                const auto& norm = head.norms[l];
                for (std::int64_t i = 0; i < n; ++i) {
                    float* z = out + i * h;
                    if (head.norm == HeadWeights::Norm::Layer) {
                        normalizeRow(z, h, norm.eps, z);
                        for (std::int64_t j = 0; j < h; ++j)
                            z[j] = z[j] * norm.weight[static_cast<std::size_t>(j)] + norm.bias[static_cast<std::size_t>(j)];
                    } else { // batch norm with its running statistics
                        for (std::int64_t j = 0; j < h; ++j) {
                            const auto c = static_cast<std::size_t>(j);
                            z[j] = static_cast<float>((z[j] - norm.runningMean[c]) / std::sqrt(norm.runningVar[c] + norm.eps)) *
                                       norm.weight[c] + norm.bias[c];
                        }
                    }
                }
            }
            withActivation(activation, [&]<typename F>() {
                for (std::int64_t j = 0; j < n * h; ++j)
                    out[j] = F::f(out[j]);
            });
            in = out;
        }
        float* logits = in == a.data() ? b.data() : a.data();
        applyDense(head.output, in, n, logits);
        const int outputs = static_cast<int>(head.output.out);
        for (std::int64_t i = 0; i < n; ++i) {
            const float* z = logits + i * outputs;
            float* p = probs.data() + (s + i) * k;
            if (outputs == 1) {
                const double p1 = 1.0 / (1.0 + std::exp(-static_cast<double>(z[0]) / head.temperature));
                p[0] = static_cast<float>(1.0 - p1);
                p[1] = static_cast<float>(p1);
                continue;
            }
            double top = z[0] / head.temperature, sum = 0;
            for (int c = 1; c < outputs; ++c)
                top = std::max(top, z[c] / head.temperature);
            for (int c = 0; c < outputs; ++c)
                sum += std::exp(z[c] / head.temperature - top);
            for (int c = 0; c < outputs; ++c)
                p[c] = static_cast<float>(std::exp(z[c] / head.temperature - top) / sum);
        }
    }
    return probs;
}

// ---- TrainedHead ----

TrainedHead::TrainedHead() = default;
TrainedHead::~TrainedHead() = default;
TrainedHead::TrainedHead(TrainedHead&&) noexcept = default;
TrainedHead& TrainedHead::operator=(TrainedHead&&) noexcept = default;
TrainedHead::TrainedHead(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}

bool TrainedHead::isNull() const { return !d; }
std::int64_t TrainedHead::inputDim() const { return d ? d->inputDim : 0; }
int TrainedHead::numClasses() const { return d ? d->numClasses : 0; }

std::vector<float> TrainedHead::predictProba(const float* features, std::int64_t rows) const
{
    if (!d)
        throw Error("no trained head");
    if (d->weights)
        return headProbabilities(*d->weights, features, rows);
    return torchFunction<decltype(&torchHeadProbabilities)>("torchHeadProbabilities")(*d->module, features, rows,
                                                                                   d->inputDim, d->numClasses);
}

std::string TrainedHead::serialized() const
{
    if (!d)
        throw Error("no trained head to save");
    if (!d->archive.empty())
        return d->archive;
    return torchFunction<decltype(&torchHeadBytes)>("torchHeadBytes")(*d->module);
}

void TrainedHead::save(const std::string& path) const
{
    try {
        writeFileAtomically(path, serialized());
    } catch (const Error& e) {
        const std::string what = e.what();
        throw Error(what.rfind(path, 0) == 0 ? what : path + ": " + what);
    }
}

TrainedHead TrainedHead::load(const std::string& path)
{
    return TrainedHead(torchFunction<decltype(&loadTorchHead)>("loadTorchHead")(path));
}

} // namespace headbench
