#pragma once
/// \file MlpNet.h
/// Private to the backend: a head with hidden layers trained on the BLAS directly, without
/// LibTorch: [Linear -> LayerNorm? -> Activation -> Dropout] x depth -> Linear, its losses
/// (cross-entropy, BCE-with-logits, focal; class weights, label smoothing) with their gradients
/// in closed form, and Adam, AdamW and SGD with momentum as torch.optim defines them.
///
/// The same network and updates as the LibTorch head (TorchHead.h) for the specs
/// mlpNetSupports() accepts; tests/backend/train/MlpNetTest.cpp checks its losses, gradients
/// and steps against python3-torch's autograd.
#include "compute/HelperThread.h"

#include <headbench/core/HeadArchive.h>
#include <headbench/train/HeadSpec.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headbench {

/// Whether MlpNet trains `spec`: a head with hidden layers, no batch norm, and an optimiser of
/// the minibatch kind (Adam, AdamW or SGD).
bool mlpNetSupports(const HeadSpec& spec);

/// The loss of a head as its spec defines it, on logits held as floats. Class weights make a
/// weighted mean over the samples (PyTorch's weighted cross-entropy); label smoothing puts
/// (1 - eps) on the class and eps / K on every class.
class HeadLoss {
public:
    /// `classWeights`: one per class, or empty for none.
    HeadLoss(const HeadSpec& spec, std::vector<double> classWeights, int numClasses);

    /// The mean loss of n rows of `outputs` logits with targets `labels`; when `gradient` is not
    /// null it receives d loss / d logits (n x outputs), computed in double.
    double operator()(const float* logits, const std::int32_t* labels, std::int64_t n, float* gradient = nullptr) const;

    /// Logits per row: 1 for BCE-with-logits, else the class count.
    int outputs() const { return m_outputs; }

private:
    Loss m_loss;
    double m_eps, m_gamma;
    std::vector<double> m_weights;
    int m_numClasses, m_outputs;
};

/// Adam and AdamW (amsgrad off) or SGD with momentum, over one parameter vector, as
/// torch.optim steps them.
class HeadUpdate {
public:
    HeadUpdate(const HeadSpec& spec, std::size_t parameters);
    /// One step of `params` along `grads` with learning rate lr.
    void step(std::span<float> params, std::span<const float> grads, double lr);

private:
    Optimizer m_kind;
    double m_weightDecay, m_momentum;
    std::vector<float> m_m, m_v;
    std::int64_t m_step = 0;
    HelperThread m_helper;
};

/// One Adam/AdamW update of n floats (also LibTorch's heads' optimiser, Trainer.cpp): `step` is
/// the 1-based step count; `decoupled` makes it AdamW.
void adamUpdate(float* p, const float* g, float* m, float* v, std::int64_t n, std::int64_t step, double lr,
                double weightDecay, bool decoupled);

/// The per-column mean and 1 / standard deviation (population) of the given rows of x (n x d,
/// row-major), computed in double. Columns constant up to rounding keep a scale of 1.
std::pair<std::vector<float>, std::vector<float>> columnStandardization(const float* x, std::int64_t d,
                                                                       const std::vector<std::int64_t>& rows);

/// The network and its buffers for batches of at most `maxBatch` rows.
class MlpNet {
public:
    MlpNet(const HeadSpec& spec, std::int64_t inputDim, int outputs, std::int64_t maxBatch);

    /// Z-scores inputs before the first layer: x -> (x - shift) * scale.
    void setStandardization(std::vector<float> shift, std::vector<float> scale);

    /// Forward and backward over the n rows `rows` of x (inputDim columns), with dropout from
    /// the network's own generator: fills gradients() and returns the batch's mean loss.
    double lossAndGradients(const float* x, const std::int64_t* rows, std::int64_t n, const std::int32_t* labels,
                            const HeadLoss& loss);
    /// The same on rows already gathered (n x inputDim) with a given dropout keep-mask per hidden
    /// layer (n x width each, 1 keeps), or none: what the tests compare with autograd.
    double lossAndGradients(const float* batch, std::int64_t n, const std::int32_t* labels, const HeadLoss& loss,
                            const std::vector<std::vector<std::uint8_t>>* keepMasks);

    /// Evaluation-mode logits (no dropout) of the n rows `rows` of x, or of rows first..first+n-1
    /// when rows is null: n x outputs into `out`.
    void logits(const float* x, const std::int64_t* rows, std::int64_t first, std::int64_t n, float* out);

    std::span<float> parameters() { return m_params; }
    std::span<const float> gradients() const { return m_grads; }
    /// Where the parameters lie in parameters(): per hidden layer weight [out, in], bias, then
    /// (layer norm) weight and bias; then the output layer's weight and bias. The order of
    /// torch's named_parameters() for the same head.
    struct Block {
        std::string name;
        std::size_t offset = 0;
        std::vector<std::int64_t> shape;
    };
    const std::vector<Block>& blocks() const { return m_blocks; }

    /// The evaluation-mode head with the standardisation folded into the first layer (in double).
    HeadWeights weights(int numClasses, const std::vector<std::string>& labelNames, double temperature) const;

private:
    struct Layer {
        std::int64_t in = 0, out = 0;
        std::size_t w = 0, b = 0, gamma = 0, beta = 0; ///< offsets in m_params
        // Per batch: pre-norm z, normalised zhat (layer norm), pre-activation y, output a,
        // keep-mask, and layer norm's per-row 1 / sigma.
        std::vector<float> z, zhat, y, a, rstd;
        std::vector<std::uint8_t> keep;
    };
    void forward(const float* input, std::int64_t n, bool training, const std::vector<std::vector<std::uint8_t>>* keepMasks);
    void gather(const float* x, const std::int64_t* rows, std::int64_t first, std::int64_t n);
    std::uint64_t nextBits();

    HeadSpec m_spec;
    std::int64_t m_inputDim;
    int m_outputs;
    std::int64_t m_maxBatch;
    std::vector<float> m_params, m_grads;
    std::vector<Block> m_blocks;
    std::vector<Layer> m_layers;
    std::size_t m_outW = 0, m_outB = 0;
    std::vector<float> m_shift, m_scale;
    std::vector<float> m_input, m_logits, m_dlogits, m_da, m_dz;
    std::uint64_t m_rng;
};

} // namespace headbench
