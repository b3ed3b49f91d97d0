#include "train/TorchHead.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/core/HeadArchive.h>

#include <fmt/format.h>

#include <cstring>
#include <sstream>

namespace headbench {

HeadNetImpl::HeadNetImpl(const HeadSpec& s, std::int64_t inputDim, int outputs)
    : spec(s)
{
    std::int64_t in = inputDim;
    for (std::size_t i = 0; i < spec.hidden.size(); ++i) {
        const std::int64_t width = spec.hidden[i];
        hidden.push_back(register_module(fmt::format("fc{}", i), torch::nn::Linear(in, width)));
        if (spec.norm == Norm::LayerNorm)
            layerNorms.push_back(register_module(fmt::format("ln{}", i),
                                                 torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}))));
        else if (spec.norm == Norm::BatchNorm)
            batchNorms.push_back(register_module(fmt::format("bn{}", i), torch::nn::BatchNorm1d(width)));
        in = width;
    }
    output = register_module("out", torch::nn::Linear(in, outputs));
}

std::pair<torch::Tensor, torch::Tensor> HeadNetImpl::foldedFirstLayer(const torch::nn::Linear& layer) const
{
    // W ((x - m) s) + b = (W diag(s)) x + (b - (W diag(s)) m), computed in double.
    const auto w = layer->weight.detach().to(torch::kDouble) * inputScale.to(torch::kDouble);
    const auto b = layer->bias.detach().to(torch::kDouble) - w.matmul(inputShift.to(torch::kDouble));
    return {w.to(torch::kFloat), b.to(torch::kFloat)};
}

namespace {

/// The first linear layer on z-scored inputs without a z-scored copy of the batch. Evaluating a
/// 150,000-row file in 1,024-row batches otherwise made two batch-sized temporaries per batch
/// (and left about 500 MB resident at the end of a probe's training).
torch::Tensor standardizedLinear(const HeadNetImpl& net, const torch::nn::Linear& layer, const torch::Tensor& x)
{
    const auto [w, b] = net.foldedFirstLayer(layer);
    return torch::addmm(b, x, w.t());
}

} // namespace

torch::Tensor HeadNetImpl::forward(torch::Tensor x)
{
    // Training keeps the plain form (its gradients and rounding are what the tests compare);
    // evaluation folds the z-scoring into the first layer.
    const bool fold = inputShift.defined() && !is_training();
    if (inputShift.defined() && !fold)
        x = (x - inputShift) * inputScale;
    for (std::size_t i = 0; i < hidden.size(); ++i) {
        x = fold && i == 0 ? standardizedLinear(*this, hidden[i], x) : hidden[i]->forward(x);
        if (spec.norm == Norm::LayerNorm)
            x = layerNorms[i]->forward(x);
        else if (spec.norm == Norm::BatchNorm)
            x = batchNorms[i]->forward(x);
        switch (spec.activation) {
        case Activation::Relu: x = torch::relu(x); break;
        case Activation::Gelu: x = torch::gelu(x); break;
        case Activation::Tanh: x = torch::tanh(x); break;
        case Activation::Silu: x = torch::silu(x); break;
        case Activation::LeakyRelu: x = torch::leaky_relu(x, 0.01); break;
        }
        if (spec.dropout > 0)
            x = torch::dropout(x, spec.dropout, is_training());
    }
    return fold && hidden.empty() ? standardizedLinear(*this, output, x) : output->forward(x);
}

namespace {

std::vector<float> floatsOf(const torch::Tensor& t)
{
    const auto c = t.detach().to(torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

HeadWeights::Dense denseOf(const torch::Tensor& weight, const torch::Tensor& bias)
{
    return {weight.size(1), weight.size(0), floatsOf(weight), floatsOf(bias)};
}

} // namespace

HeadWeights headWeights(HeadNet& net, std::int64_t inputDim, int numClasses, const std::vector<std::string>& labelNames,
                        double temperature)
{
    torch::NoGradGuard noGrad;
    HeadWeights head;
    const HeadSpec& spec = net->spec;
    // The first linear layer takes the standardisation (HeadNetImpl::foldedFirstLayer, as
    // evaluation in training does).
    auto layer = [&](const torch::nn::Linear& l, bool first) {
        if (!first || !net->inputShift.defined())
            return denseOf(l->weight, l->bias);
        const auto [w, b] = net->foldedFirstLayer(l);
        return denseOf(w, b);
    };
    head.activation = toString(spec.activation); // the spec's names are TorchScript's
    head.norm = spec.norm == Norm::LayerNorm   ? HeadWeights::Norm::Layer
                : spec.norm == Norm::BatchNorm ? HeadWeights::Norm::Batch
                                               : HeadWeights::Norm::None;
    for (std::size_t i = 0; i < net->hidden.size(); ++i) {
        head.hidden.push_back(layer(net->hidden[i], i == 0));
        if (spec.norm == Norm::LayerNorm) {
            const auto& ln = net->layerNorms[i];
            head.norms.push_back({floatsOf(ln->weight), floatsOf(ln->bias), {}, {}, ln->options.eps()});
        } else if (spec.norm == Norm::BatchNorm) {
            const auto& bn = net->batchNorms[i];
            head.norms.push_back({floatsOf(bn->weight), floatsOf(bn->bias), floatsOf(bn->running_mean),
                                  floatsOf(bn->running_var), bn->options.eps()});
        }
    }
    head.output = layer(net->output, net->hidden.empty());
    head.temperature = temperature;
    head.inputDim = inputDim;
    head.numClasses = numClasses;
    head.labelNames = labelNames;
    return head;
}

struct TorchHeadModule {
    torch::jit::Module module;
};

std::vector<float> torchHeadProbabilities(const TorchHeadModule& head, const float* features, std::int64_t rows,
                                          std::int64_t inputDim, int numClasses)
{
    torch::InferenceMode inference;
    std::vector<float> out(static_cast<std::size_t>(rows * numClasses));
    const std::int64_t batch = 8192;
    auto module = head.module; // forward() is not const; the copy shares the module's state
    for (std::int64_t start = 0; start < rows; start += batch) {
        const std::int64_t n = std::min(batch, rows - start);
        auto x = torch::from_blob(const_cast<float*>(features + start * inputDim), {n, inputDim}, torch::kFloat);
        auto p = module.forward({x}).toTensor().contiguous();
        std::memcpy(out.data() + start * numClasses, p.data_ptr<float>(), sizeof(float) * n * numClasses);
    }
    return out;
}

std::string torchHeadBytes(const TorchHeadModule& head)
{
    // Into memory, then to disk by our own writer: LibTorch's file writer finishes the archive
    // in its destructor, and a write that fails there (a full disk) ends the process.
    std::ostringstream out;
    try {
        head.module.save(out);
    } catch (const c10::Error& e) {
        throw Error("saving the head failed (" + std::string(e.what_without_backtrace()) + ")");
    }
    return std::move(out).str();
}

std::unique_ptr<TrainedHead::Impl> loadTorchHead(const std::string& path)
{
    auto impl = std::make_unique<TrainedHead::Impl>();
    auto module = std::make_shared<TorchHeadModule>();
    try {
        module->module = torch::jit::load(path);
        module->module.eval();
        if (!module->module.hasattr("input_dim") || !module->module.hasattr("num_classes"))
            throw Error(path + ": not a HeadBench head (no input_dim / num_classes attributes)");
        impl->inputDim = module->module.attr("input_dim").toInt();
        impl->numClasses = static_cast<int>(module->module.attr("num_classes").toInt());
    } catch (const c10::Error& e) {
        throw Error(path + ": not a loadable TorchScript head (" +
                    std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    impl->module = std::move(module);
    return impl;
}

} // namespace headbench
