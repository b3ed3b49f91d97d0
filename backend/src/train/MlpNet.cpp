#include "train/MlpNet.h"

#include "compute/Random.h"
#include "compute/VectorKernels.h"
#include "train/Activations.h"

#include <headbench/compute/Runtime.h>
#include <headbench/core/Error.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <future>

namespace headbench {

bool mlpNetSupports(const HeadSpec& spec)
{
    const Optimizer kind = resolvedOptimizer(spec);
    return !spec.hidden.empty() && spec.norm != Norm::BatchNorm &&
           (kind == Optimizer::Adam || kind == Optimizer::AdamW || kind == Optimizer::Sgd);
}

// ---- the loss ----

HeadLoss::HeadLoss(const HeadSpec& spec, std::vector<double> classWeights, int numClasses)
    : m_loss(spec.loss)
    , m_eps(spec.labelSmoothing)
    , m_gamma(spec.focalGamma)
    , m_weights(std::move(classWeights))
    , m_numClasses(numClasses)
    , m_outputs(outputUnits(spec, numClasses))
{
}

double HeadLoss::operator()(const float* logits, const std::int32_t* labels, std::int64_t n, float* gradient) const
{
    const bool weighted = !m_weights.empty();
    double total = 0, weightSum = 0;
    if (m_loss == Loss::BceWithLogits) {
        for (std::int64_t i = 0; i < n; ++i) {
            const double z = logits[i];
            const double y = labels[i] * (1.0 - m_eps) + 0.5 * m_eps;
            const double w = weighted ? m_weights[static_cast<std::size_t>(labels[i])] : 1.0;
            // max(z, 0) - z y + log(1 + exp(-|z|)): no overflow for either sign of z.
            total += w * (std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z))));
            weightSum += w;
            if (gradient)
                gradient[i] = static_cast<float>(w * (1.0 / (1.0 + std::exp(-z)) - y));
        }
    } else {
        const int k = m_outputs;
        const double smoothing = m_eps / k;
        double classWeightSum = 0;
        for (int c = 0; c < k; ++c)
            classWeightSum += weighted ? m_weights[static_cast<std::size_t>(c)] : 1.0;
        std::vector<double> logp(static_cast<std::size_t>(k)), p(static_cast<std::size_t>(k));
        for (std::int64_t i = 0; i < n; ++i) {
            const float* z = logits + i * k;
            const int y = labels[i];
            double top = z[0];
            for (int c = 1; c < k; ++c)
                top = std::max(top, static_cast<double>(z[c]));
            double sum = 0;
            for (int c = 0; c < k; ++c)
                sum += std::exp(z[c] - top);
            const double lse = top + std::log(sum);
            for (int c = 0; c < k; ++c) {
                logp[static_cast<std::size_t>(c)] = z[c] - lse;
                p[static_cast<std::size_t>(c)] = std::exp(logp[static_cast<std::size_t>(c)]);
            }
            const double wy = weighted ? m_weights[static_cast<std::size_t>(y)] : 1.0;
            weightSum += wy;
            const double nllY = -logp[static_cast<std::size_t>(y)];
            float* g = gradient ? gradient + i * k : nullptr;
            if (m_loss == Loss::CrossEntropy) {
                // (1 - eps) w_y nll_y + eps / K sum_c w_c nll_c, over the sum of w_y (PyTorch).
                double smooth = 0;
                if (m_eps > 0)
                    for (int c = 0; c < k; ++c)
                        smooth -= (weighted ? m_weights[static_cast<std::size_t>(c)] : 1.0) * logp[static_cast<std::size_t>(c)];
                total += (1.0 - m_eps) * wy * nllY + smoothing * smooth;
                if (g)
                    for (int c = 0; c < k; ++c) {
                        const double wc = weighted ? m_weights[static_cast<std::size_t>(c)] : 1.0;
                        g[c] = static_cast<float>((1.0 - m_eps) * wy * (p[static_cast<std::size_t>(c)] - (c == y)) +
                                                  smoothing * (classWeightSum * p[static_cast<std::size_t>(c)] - wc));
                    }
            } else { // focal: (1 - p_y)^gamma times the (smoothed) nll, a weighted mean
                double nll = nllY;
                if (m_eps > 0) {
                    double sumLogp = 0;
                    for (int c = 0; c < k; ++c)
                        sumLogp += logp[static_cast<std::size_t>(c)];
                    nll = (1.0 - m_eps) * nllY - smoothing * sumLogp;
                }
                const double pt = p[static_cast<std::size_t>(y)];
                const double u = 1.0 - pt;
                const double focus = std::pow(u, m_gamma);
                total += wy * focus * nll;
                if (g) {
                    // d/dz_c: u^g dnll_c - g u^(g-1) nll pt (delta_cy - p_c).
                    const double slope = m_gamma > 0 && u > 0 ? m_gamma * std::pow(u, m_gamma - 1.0) * nll * pt : 0.0;
                    for (int c = 0; c < k; ++c) {
                        const double pc = p[static_cast<std::size_t>(c)];
                        const double dnll = (1.0 - m_eps) * (pc - (c == y)) + m_eps * (pc - 1.0 / k);
                        g[c] = static_cast<float>(wy * (focus * dnll - slope * ((c == y) - pc)));
                    }
                }
            }
        }
    }
    if (weightSum <= 0)
        return 0;
    if (gradient) {
        const float inv = static_cast<float>(1.0 / weightSum);
        for (std::int64_t i = 0; i < n * m_outputs; ++i)
            gradient[i] *= inv;
    }
    return total / weightSum;
}

// ---- the optimisers ----

namespace {

/// The Adam/AdamW loop, compiled for AVX2 + FMA and for any x86-64 (this file is built with
/// -fno-math-errno so that the square roots vectorise): on a 1x256 head over 768 inputs the
/// scalar loop took about a fifth of a 3-epoch fit.
struct AdamConstants {
    float b1, b2, eps, bc2Sqrt, stepSize, decay, l2;
};

__attribute__((always_inline)) inline void adamLoop(float* __restrict p, const float* __restrict g, float* __restrict m,
                                                    float* __restrict v, std::int64_t n, const AdamConstants& c)
{
    for (std::int64_t i = 0; i < n; ++i) {
        const float grad = g[i] + c.l2 * p[i];
        m[i] = c.b1 * m[i] + (1.0f - c.b1) * grad;
        v[i] = c.b2 * v[i] + (1.0f - c.b2) * grad * grad;
        p[i] = p[i] * c.decay - c.stepSize * m[i] / (std::sqrt(v[i]) / c.bc2Sqrt + c.eps);
    }
}

__attribute__((target("avx2,fma"))) void adamLoopAvx2(float* p, const float* g, float* m, float* v, std::int64_t n,
                                                     const AdamConstants& c)
{
    adamLoop(p, g, m, v, n, c);
}

void adamLoopPortable(float* p, const float* g, float* m, float* v, std::int64_t n, const AdamConstants& c)
{
    adamLoop(p, g, m, v, n, c);
}

} // namespace

void adamUpdate(float* p, const float* g, float* m, float* v, std::int64_t n, std::int64_t step, double lr,
                double weightDecay, bool decoupled)
{
    AdamConstants c;
    c.b1 = 0.9f;
    c.b2 = 0.999f;
    c.eps = 1e-8f;
    const float bc1 = 1.0f - std::pow(c.b1, static_cast<float>(step));
    c.bc2Sqrt = std::sqrt(1.0f - std::pow(c.b2, static_cast<float>(step)));
    c.stepSize = static_cast<float>(lr) / bc1;
    const float wd = static_cast<float>(weightDecay);
    c.decay = decoupled ? 1.0f - static_cast<float>(lr) * wd : 1.0f;
    c.l2 = decoupled ? 0.0f : wd;
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2)
        adamLoopAvx2(p, g, m, v, n, c);
    else
        adamLoopPortable(p, g, m, v, n, c);
}

HeadUpdate::HeadUpdate(const HeadSpec& spec, std::size_t parameters)
    : m_kind(resolvedOptimizer(spec)), m_weightDecay(spec.weightDecay), m_momentum(spec.momentum)
    , m_helper(runtimeThreads() > 1 && parameters >= (1u << 16))
{
    m_m.assign(parameters, 0.0f);
    if (m_kind != Optimizer::Sgd)
        m_v.assign(parameters, 0.0f);
}

void HeadUpdate::step(std::span<float> params, std::span<const float> grads, double lr)
{
    ++m_step;
    const auto n = static_cast<std::int64_t>(params.size());
    auto part = [&](std::int64_t from, std::int64_t to) {
        if (m_kind != Optimizer::Sgd) {
            adamUpdate(params.data() + from, grads.data() + from, m_m.data() + from, m_v.data() + from, to - from, m_step,
                       lr, m_weightDecay, m_kind == Optimizer::AdamW);
            return;
        }
        // torch.optim.SGD: d = g + wd p; buf = d on the first step, else momentum buf + d; p -= lr buf.
        const float wd = static_cast<float>(m_weightDecay), mu = static_cast<float>(m_momentum), rate = static_cast<float>(lr);
        float* __restrict p = params.data();
        const float* __restrict g = grads.data();
        float* __restrict buf = m_m.data();
        for (std::int64_t i = from; i < to; ++i) {
            float d = g[i] + wd * p[i];
            if (mu != 0) {
                buf[i] = m_step == 1 ? d : mu * buf[i] + d;
                d = buf[i];
            }
            p[i] -= rate * d;
        }
    };
    // A large head is split with the helper thread: while the step runs, the cores the BLAS uses
    // for the GEMMs would otherwise idle.
    if (n >= (1 << 16) && m_helper.available()) {
        m_helper.run([&] { part(n / 2, n); });
        part(0, n / 2);
        m_helper.wait();
    } else {
        part(0, n);
    }
}

// ---- standardisation ----

std::pair<std::vector<float>, std::vector<float>> columnStandardization(const float* x, std::int64_t d,
                                                                       const std::vector<std::int64_t>& unsortedRows)
{
    // One pass over the rows (in file order), on every thread, with sums about the first row:
    // (x - x_0) and its square in double.
    std::vector<std::int64_t> rows = unsortedRows;
    std::sort(rows.begin(), rows.end());
    const auto n = static_cast<std::int64_t>(rows.size());
    std::vector<float> shift(static_cast<std::size_t>(d), 0.0f);
    if (n > 0)
        std::copy(x + rows[0] * d, x + (rows[0] + 1) * d, shift.begin());
    const int threads = std::max<int>(1, static_cast<int>(std::min<std::int64_t>(runtimeThreads(), n / 1024 + 1)));
    std::vector<std::vector<double>> sums(static_cast<std::size_t>(threads), std::vector<double>(static_cast<std::size_t>(2 * d), 0.0));
    auto part = [&](int t) {
        const std::int64_t begin = n * t / threads, end = n * (t + 1) / threads;
        double* s = sums[static_cast<std::size_t>(t)].data();
        addShiftedMoments(x, rows.data() + begin, end - begin, d, shift.data(), s, s + d);
    };
    std::vector<std::future<void>> others;
    for (int t = 1; t < threads; ++t)
        others.push_back(std::async(std::launch::async, part, t));
    part(0);
    for (auto& f : others)
        f.get();
    std::vector<float> mean(static_cast<std::size_t>(d)), scale(static_cast<std::size_t>(d));
    const double count = static_cast<double>(std::max<std::int64_t>(n, 1));
    for (std::int64_t j = 0; j < d; ++j) {
        double sum = 0, sq = 0;
        for (const auto& s : sums) {
            sum += s[static_cast<std::size_t>(j)];
            sq += s[static_cast<std::size_t>(d + j)];
        }
        const double centred = sum / count;
        const double m = shift[static_cast<std::size_t>(j)] + centred;
        double sd = std::sqrt(std::max(0.0, sq / count - centred * centred));
        // Columns that are constant up to rounding keep their scale, as StandardScaler does.
        if (!(sd > 1e-12 * (std::abs(m) + 1.0)))
            sd = 1.0;
        mean[static_cast<std::size_t>(j)] = static_cast<float>(m);
        scale[static_cast<std::size_t>(j)] = static_cast<float>(1.0 / sd);
    }
    return {std::move(mean), std::move(scale)};
}

// ---- the network ----

namespace {

constexpr double kLayerNormEps = 1e-5;

/// out (n x cols) = in (n x inner) W^T + b, W [cols, inner] row-major.
void linearForward(const float* in, std::int64_t n, std::int64_t inner, const float* w, const float* b, std::int64_t cols,
                   float* out)
{
    for (std::int64_t i = 0; i < n; ++i)
        std::memcpy(out + i * cols, b, sizeof(float) * static_cast<std::size_t>(cols));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(cols),
                static_cast<int>(inner), 1.0f, in, static_cast<int>(inner), w, static_cast<int>(inner), 1.0f, out,
                static_cast<int>(cols));
}

/// gW [cols, inner] = dOut^T in; gb = column sums of dOut (n x cols).
void linearGradients(const float* in, const float* dOut, std::int64_t n, std::int64_t inner, std::int64_t cols, float* gw,
                     float* gb)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(cols), static_cast<int>(inner),
                static_cast<int>(n), 1.0f, dOut, static_cast<int>(cols), in, static_cast<int>(inner), 0.0f, gw,
                static_cast<int>(inner));
    std::vector<double> sums(static_cast<std::size_t>(cols), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t c = 0; c < cols; ++c)
            sums[static_cast<std::size_t>(c)] += dOut[i * cols + c];
    for (std::int64_t c = 0; c < cols; ++c)
        gb[c] = static_cast<float>(sums[static_cast<std::size_t>(c)]);
}

/// dIn (n x inner) = dOut (n x cols) W.
void linearInputGradient(const float* dOut, std::int64_t n, const float* w, std::int64_t inner, std::int64_t cols, float* dIn)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n), static_cast<int>(inner),
                static_cast<int>(cols), 1.0f, dOut, static_cast<int>(cols), w, static_cast<int>(inner), 0.0f, dIn,
                static_cast<int>(inner));
}

} // namespace

MlpNet::MlpNet(const HeadSpec& spec, std::int64_t inputDim, int outputs, std::int64_t maxBatch)
    : m_spec(spec), m_inputDim(inputDim), m_outputs(outputs), m_maxBatch(std::max<std::int64_t>(maxBatch, 1))
    , m_rng(spec.seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL)
{
    if (!mlpNetSupports(spec))
        throw Error("internal: MlpNet was given a head it does not train (" + summary(spec) + ")");
    std::size_t size = 0;
    auto block = [&](std::string name, std::vector<std::int64_t> shape) {
        std::int64_t count = 1;
        for (auto s : shape)
            count *= s;
        m_blocks.push_back({std::move(name), size, std::move(shape)});
        size += static_cast<std::size_t>(count);
        return m_blocks.back().offset;
    };
    std::int64_t in = inputDim, widest = inputDim;
    for (std::size_t i = 0; i < spec.hidden.size(); ++i) {
        Layer layer;
        layer.in = in;
        layer.out = spec.hidden[i];
        const std::string name = "fc" + std::to_string(i);
        layer.w = block(name + ".weight", {layer.out, layer.in});
        layer.b = block(name + ".bias", {layer.out});
        if (spec.norm == Norm::LayerNorm) {
            layer.gamma = block("ln" + std::to_string(i) + ".weight", {layer.out});
            layer.beta = block("ln" + std::to_string(i) + ".bias", {layer.out});
        }
        const auto cells = static_cast<std::size_t>(m_maxBatch * layer.out);
        layer.z.resize(cells);
        layer.a.resize(cells);
        if (spec.norm == Norm::LayerNorm) {
            layer.zhat.resize(cells);
            layer.y.resize(cells);
            layer.rstd.resize(static_cast<std::size_t>(m_maxBatch));
        }
        if (spec.dropout > 0)
            layer.keep.resize(cells);
        widest = std::max(widest, layer.out);
        in = layer.out;
        m_layers.push_back(std::move(layer));
    }
    m_outW = block("out.weight", {outputs, in});
    m_outB = block("out.bias", {outputs});
    m_params.assign(size, 0.0f);
    m_grads.assign(size, 0.0f);
    // torch.nn.Linear's initialisation: weight and bias uniform in +-1 / sqrt(fan_in); layer
    // norm starts at weight 1, bias 0.
    std::uint64_t init = spec.seed ^ 0x1b873593a5a5a5a5ULL;
    auto uniform = [&](std::size_t offset, std::int64_t count, std::int64_t fanIn) {
        const float bound = 1.0f / std::sqrt(static_cast<float>(fanIn));
        for (std::int64_t j = 0; j < count; ++j)
            m_params[offset + static_cast<std::size_t>(j)] = (2.0f * nextUniform(init) - 1.0f) * bound;
    };
    for (const auto& layer : m_layers) {
        uniform(layer.w, layer.out * layer.in, layer.in);
        uniform(layer.b, layer.out, layer.in);
        if (spec.norm == Norm::LayerNorm)
            std::fill_n(m_params.begin() + static_cast<std::ptrdiff_t>(layer.gamma), layer.out, 1.0f);
    }
    uniform(m_outW, outputs * in, in);
    uniform(m_outB, outputs, in);
    m_input.resize(static_cast<std::size_t>(m_maxBatch * inputDim));
    m_logits.resize(static_cast<std::size_t>(m_maxBatch * outputs));
    m_dlogits.resize(m_logits.size());
    m_da.resize(static_cast<std::size_t>(m_maxBatch * widest));
    m_dz.resize(m_da.size());
}

void MlpNet::setStandardization(std::vector<float> shift, std::vector<float> scale)
{
    m_shift = std::move(shift);
    m_scale = std::move(scale);
}

std::uint64_t MlpNet::nextBits()
{
    return nextRandomBits(m_rng);
}

void MlpNet::gather(const float* x, const std::int64_t* rows, std::int64_t first, std::int64_t n)
{
    const std::int64_t d = m_inputDim;
    for (std::int64_t i = 0; i < n; ++i) {
        const float* src = x + (rows ? rows[i] : first + i) * d;
        float* dst = m_input.data() + i * d;
        if (m_shift.empty()) {
            std::memcpy(dst, src, sizeof(float) * static_cast<std::size_t>(d));
        } else {
            for (std::int64_t j = 0; j < d; ++j)
                dst[j] = (src[j] - m_shift[static_cast<std::size_t>(j)]) * m_scale[static_cast<std::size_t>(j)];
        }
    }
}

void MlpNet::forward(const float* input, std::int64_t n, bool training, const std::vector<std::vector<std::uint8_t>>* keepMasks)
{
    const float* prev = input;
    const float* p = m_params.data();
    const float keepScale = m_spec.dropout > 0 ? static_cast<float>(1.0 / (1.0 - m_spec.dropout)) : 1.0f;
    // A unit is dropped when a uniform 32-bit draw is under dropout * 2^32.
    const auto dropBelow = static_cast<std::uint32_t>(std::min(m_spec.dropout * 4294967296.0, 4294967295.0));
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        Layer& layer = m_layers[l];
        const std::int64_t h = layer.out;
        linearForward(prev, n, layer.in, p + layer.w, p + layer.b, h, layer.z.data());
        const float* y = layer.z.data();
        if (m_spec.norm == Norm::LayerNorm) {
            const float* gamma = p + layer.gamma;
            const float* beta = p + layer.beta;
            for (std::int64_t i = 0; i < n; ++i) {
                float* zhat = layer.zhat.data() + i * h;
                layer.rstd[static_cast<std::size_t>(i)] = normalizeRow(layer.z.data() + i * h, h, kLayerNormEps, zhat);
                float* out = layer.y.data() + i * h;
                for (std::int64_t j = 0; j < h; ++j)
                    out[j] = zhat[j] * gamma[j] + beta[j];
            }
            y = layer.y.data();
        }
        float* a = layer.a.data();
        const std::int64_t cells = n * h;
        withActivation(m_spec.activation, [&]<typename F>() {
            for (std::int64_t j = 0; j < cells; ++j)
                a[j] = F::f(y[j]);
        });
        if (training && m_spec.dropout > 0) {
            std::uint8_t* keep = layer.keep.data();
            if (keepMasks)
                std::copy_n((*keepMasks)[l].begin(), cells, keep);
            else
                for (std::int64_t j = 0; j < cells; j += 2) {
                    const std::uint64_t bits = nextBits();
                    keep[j] = static_cast<std::uint32_t>(bits) >= dropBelow;
                    if (j + 1 < cells)
                        keep[j + 1] = static_cast<std::uint32_t>(bits >> 32) >= dropBelow;
                }
            for (std::int64_t j = 0; j < cells; ++j)
                a[j] = keep[j] ? a[j] * keepScale : 0.0f;
        }
        prev = a;
    }
    linearForward(prev, n, m_layers.back().out, p + m_outW, p + m_outB, m_outputs, m_logits.data());
}

double MlpNet::lossAndGradients(const float* x, const std::int64_t* rows, std::int64_t n, const std::int32_t* labels,
                                const HeadLoss& loss)
{
    if (n > m_maxBatch)
        throw Error("internal: a batch of " + std::to_string(n) + " rows is over MlpNet's " + std::to_string(m_maxBatch));
    gather(x, rows, 0, n);
    std::vector<std::int32_t> batchLabels(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        batchLabels[static_cast<std::size_t>(i)] = labels[rows[i]];
    return lossAndGradients(m_input.data(), n, batchLabels.data(), loss, nullptr);
}

double MlpNet::lossAndGradients(const float* batch, std::int64_t n, const std::int32_t* labels, const HeadLoss& loss,
                                const std::vector<std::vector<std::uint8_t>>* keepMasks)
{
    if (n > m_maxBatch)
        throw Error("internal: a batch of " + std::to_string(n) + " rows is over MlpNet's " + std::to_string(m_maxBatch));
    forward(batch, n, true, keepMasks);
    const double value = loss(m_logits.data(), labels, n, m_dlogits.data());
    const float* p = m_params.data();
    float* g = m_grads.data();
    const float keepScale = m_spec.dropout > 0 ? static_cast<float>(1.0 / (1.0 - m_spec.dropout)) : 1.0f;
    // Output layer.
    const Layer& last = m_layers.back();
    linearGradients(last.a.data(), m_dlogits.data(), n, last.out, m_outputs, g + m_outW, g + m_outB);
    float* da = m_da.data();
    float* dz = m_dz.data();
    linearInputGradient(m_dlogits.data(), n, p + m_outW, last.out, m_outputs, da);
    for (std::size_t l = m_layers.size(); l-- > 0;) {
        const Layer& layer = m_layers[l];
        const std::int64_t h = layer.out, cells = n * h;
        const float* y = m_spec.norm == Norm::LayerNorm ? layer.y.data() : layer.z.data();
        // Through dropout and the activation: dy = da * keep / (1 - p) * f'(y), in place.
        if (m_spec.dropout > 0)
            for (std::int64_t j = 0; j < cells; ++j)
                da[j] = layer.keep[static_cast<std::size_t>(j)] ? da[j] * keepScale : 0.0f;
        withActivation(m_spec.activation, [&]<typename F>() {
            for (std::int64_t j = 0; j < cells; ++j)
                da[j] *= F::slope(y[j]);
        });
        const float* dpre = da; // gradient of the linear layer's output
        if (m_spec.norm == Norm::LayerNorm) {
            // d gamma = sum dy zhat, d beta = sum dy; dz = rstd (dxhat - mean(dxhat) - zhat mean(dxhat zhat)).
            const float* gamma = p + layer.gamma;
            std::vector<double> dgamma(static_cast<std::size_t>(h), 0.0), dbeta(static_cast<std::size_t>(h), 0.0);
            for (std::int64_t i = 0; i < n; ++i) {
                const float* dy = da + i * h;
                const float* zhat = layer.zhat.data() + i * h;
                double meanDx = 0, meanDxZ = 0;
                for (std::int64_t j = 0; j < h; ++j) {
                    dgamma[static_cast<std::size_t>(j)] += static_cast<double>(dy[j]) * zhat[j];
                    dbeta[static_cast<std::size_t>(j)] += dy[j];
                    const double dx = static_cast<double>(dy[j]) * gamma[j];
                    meanDx += dx;
                    meanDxZ += dx * zhat[j];
                }
                meanDx /= static_cast<double>(h);
                meanDxZ /= static_cast<double>(h);
                const double rstd = layer.rstd[static_cast<std::size_t>(i)];
                float* out = dz + i * h;
                for (std::int64_t j = 0; j < h; ++j)
                    out[j] = static_cast<float>(rstd * (static_cast<double>(dy[j]) * gamma[j] - meanDx - zhat[j] * meanDxZ));
            }
            for (std::int64_t j = 0; j < h; ++j) {
                g[layer.gamma + static_cast<std::size_t>(j)] = static_cast<float>(dgamma[static_cast<std::size_t>(j)]);
                g[layer.beta + static_cast<std::size_t>(j)] = static_cast<float>(dbeta[static_cast<std::size_t>(j)]);
            }
            dpre = dz;
        }
        const float* input = l == 0 ? batch : m_layers[l - 1].a.data();
        linearGradients(input, dpre, n, layer.in, h, g + layer.w, g + layer.b);
        if (l > 0) {
            // The next gradient goes to whichever buffer dpre is not.
            float* next = dpre == da ? dz : da;
            linearInputGradient(dpre, n, p + layer.w, layer.in, h, next);
            if (next == dz)
                std::swap(da, dz);
        }
    }
    return value;
}

void MlpNet::logits(const float* x, const std::int64_t* rows, std::int64_t first, std::int64_t n, float* out)
{
    for (std::int64_t s = 0; s < n; s += m_maxBatch) {
        const std::int64_t count = std::min(m_maxBatch, n - s);
        gather(x, rows ? rows + s : nullptr, first + s, count);
        forward(m_input.data(), count, false, nullptr);
        std::copy_n(m_logits.begin(), count * m_outputs, out + s * m_outputs);
    }
}

HeadWeights MlpNet::weights(int numClasses, const std::vector<std::string>& labelNames, double temperature) const
{
    HeadWeights head;
    head.activation = toString(m_spec.activation); // the spec's names are TorchScript's
    head.norm = m_spec.norm == Norm::LayerNorm ? HeadWeights::Norm::Layer : HeadWeights::Norm::None;
    auto slice = [&](std::size_t offset, std::int64_t count) {
        return std::vector<float>(m_params.begin() + static_cast<std::ptrdiff_t>(offset),
                                  m_params.begin() + static_cast<std::ptrdiff_t>(offset + static_cast<std::size_t>(count)));
    };
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        const Layer& layer = m_layers[l];
        HeadWeights::Dense dense{layer.in, layer.out, slice(layer.w, layer.out * layer.in), slice(layer.b, layer.out)};
        if (l == 0 && !m_shift.empty()) {
            // W ((x - m) s) + b = (W diag(s)) x + (b - (W diag(s)) m), in double.
            for (std::int64_t o = 0; o < layer.out; ++o) {
                double bias = dense.bias[static_cast<std::size_t>(o)];
                for (std::int64_t j = 0; j < layer.in; ++j) {
                    const double w = static_cast<double>(dense.weight[static_cast<std::size_t>(o * layer.in + j)]) *
                                     m_scale[static_cast<std::size_t>(j)];
                    bias -= w * m_shift[static_cast<std::size_t>(j)];
                    dense.weight[static_cast<std::size_t>(o * layer.in + j)] = static_cast<float>(w);
                }
                dense.bias[static_cast<std::size_t>(o)] = static_cast<float>(bias);
            }
        }
        head.hidden.push_back(std::move(dense));
        if (m_spec.norm == Norm::LayerNorm)
            head.norms.push_back({slice(layer.gamma, layer.out), slice(layer.beta, layer.out), {}, {}, kLayerNormEps});
    }
    const std::int64_t last = m_layers.back().out;
    head.output = {last, m_outputs, slice(m_outW, m_outputs * last), slice(m_outB, m_outputs)};
    head.temperature = temperature;
    head.inputDim = m_inputDim;
    head.numClasses = numClasses;
    head.labelNames = labelNames;
    return head;
}

} // namespace headbench
