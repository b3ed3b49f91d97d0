#include "train/TorchHead.h"

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>

#include <fmt/format.h>

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

torch::Tensor logitsToProbabilities(const torch::Tensor& logits)
{
    if (logits.size(1) == 1) {
        auto p1 = torch::sigmoid(logits);
        return torch::cat({1 - p1, p1}, 1);
    }
    return torch::softmax(logits, 1);
}

std::unique_ptr<TrainedHead::Impl> scriptHead(HeadNet& net, std::int64_t inputDim, int numClasses,
                                              const std::vector<std::string>& labelNames, double temperature)
{
    torch::NoGradGuard noGrad;
    auto impl = std::make_unique<TrainedHead::Impl>();
    torch::jit::Module m("HeadBenchHead");
    const HeadSpec& spec = net->spec;
    std::string body = "def forward(self, x):\n";
    // The first linear layer takes the standardisation (HeadNetImpl::foldedFirstLayer, as
    // evaluation in training does).
    auto weightOf = [&](const torch::nn::Linear& layer, bool first) {
        if (!first || !net->inputShift.defined())
            return layer->weight.detach().clone();
        return net->foldedFirstLayer(layer).first;
    };
    auto biasOf = [&](const torch::nn::Linear& layer, bool first) {
        if (!first || !net->inputShift.defined())
            return layer->bias.detach().clone();
        return net->foldedFirstLayer(layer).second;
    };
    for (std::size_t i = 0; i < net->hidden.size(); ++i) {
        m.register_parameter(fmt::format("w{}", i), weightOf(net->hidden[i], i == 0), false);
        m.register_parameter(fmt::format("b{}", i), biasOf(net->hidden[i], i == 0), false);
        body += fmt::format("    x = torch.linear(x, self.w{0}, self.b{0})\n", i);
        const auto width = net->hidden[i]->weight.size(0);
        if (spec.norm == Norm::LayerNorm) {
            auto& ln = net->layerNorms[i];
            m.register_parameter(fmt::format("ln_w{}", i), ln->weight.detach().clone(), false);
            m.register_parameter(fmt::format("ln_b{}", i), ln->bias.detach().clone(), false);
            body += fmt::format("    x = torch.layer_norm(x, [{1}], self.ln_w{0}, self.ln_b{0}, {2}, False)\n", i, width,
                                ln->options.eps());
        } else if (spec.norm == Norm::BatchNorm) {
            auto& bn = net->batchNorms[i];
            m.register_parameter(fmt::format("bn_w{}", i), bn->weight.detach().clone(), false);
            m.register_parameter(fmt::format("bn_b{}", i), bn->bias.detach().clone(), false);
            m.register_buffer(fmt::format("bn_mean{}", i), bn->running_mean.detach().clone());
            m.register_buffer(fmt::format("bn_var{}", i), bn->running_var.detach().clone());
            body += fmt::format("    x = torch.batch_norm(x, self.bn_w{0}, self.bn_b{0}, self.bn_mean{0}, "
                                "self.bn_var{0}, False, 0.1, {1}, False)\n",
                                i, bn->options.eps());
        }
        switch (spec.activation) {
        case Activation::Relu: body += "    x = torch.relu(x)\n"; break;
        case Activation::Gelu: body += "    x = torch.gelu(x)\n"; break;
        case Activation::Tanh: body += "    x = torch.tanh(x)\n"; break;
        case Activation::Silu: body += "    x = torch.silu(x)\n"; break;
        case Activation::LeakyRelu: body += "    x = torch.leaky_relu(x, 0.01)\n"; break;
        }
    }
    m.register_parameter("w_out", weightOf(net->output, net->hidden.empty()), false);
    m.register_parameter("b_out", biasOf(net->output, net->hidden.empty()), false);
    body += "    x = torch.linear(x, self.w_out, self.b_out)\n";
    if (temperature != 1.0) { // temperature scaling (train --calibrate temperature)
        m.register_buffer("temperature", torch::full({1}, temperature, torch::kFloat));
        body += "    x = x / self.temperature\n";
    }
    if (net->output->weight.size(0) == 1)
        body += "    p1 = torch.sigmoid(x)\n    return torch.cat([1.0 - p1, p1], 1)\n";
    else
        body += "    return torch.softmax(x, 1)\n";

    m.register_attribute("input_dim", c10::IntType::get(), inputDim);
    m.register_attribute("num_classes", c10::IntType::get(), static_cast<std::int64_t>(numClasses));
    c10::List<std::string> names;
    for (const auto& n : labelNames)
        names.push_back(n);
    m.register_attribute("label_names", c10::ListType::ofStrings(), names);
    m.define(body);
    m.eval();
    impl->module = std::move(m);
    impl->inputDim = inputDim;
    impl->numClasses = numClasses;
    return impl;
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
    torch::InferenceMode inference;
    std::vector<float> out(static_cast<std::size_t>(rows * d->numClasses));
    const std::int64_t batch = 8192;
    for (std::int64_t start = 0; start < rows; start += batch) {
        const std::int64_t n = std::min(batch, rows - start);
        auto x = torch::from_blob(const_cast<float*>(features + start * d->inputDim), {n, d->inputDim}, torch::kFloat);
        auto p = d->module.forward({x}).toTensor().contiguous();
        std::memcpy(out.data() + start * d->numClasses, p.data_ptr<float>(), sizeof(float) * n * d->numClasses);
    }
    return out;
}

std::string TrainedHead::serialized() const
{
    if (!d)
        throw Error("no trained head to save");
    // Into memory, then to disk by our own writer: LibTorch's file writer finishes the archive
    // in its destructor, and a write that fails there (a full disk) ends the process.
    std::ostringstream out;
    try {
        d->module.save(out);
    } catch (const c10::Error& e) {
        throw Error("saving the head failed (" + std::string(e.what_without_backtrace()) + ")");
    }
    return std::move(out).str();
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
    auto impl = std::make_unique<Impl>();
    try {
        impl->module = torch::jit::load(path);
        impl->module.eval();
        if (!impl->module.hasattr("input_dim") || !impl->module.hasattr("num_classes"))
            throw Error(path + ": not a HeadBench head (no input_dim / num_classes attributes)");
        impl->inputDim = impl->module.attr("input_dim").toInt();
        impl->numClasses = static_cast<int>(impl->module.attr("num_classes").toInt());
    } catch (const c10::Error& e) {
        throw Error(path + ": not a loadable TorchScript head (" +
                    std::string(e.what_without_backtrace()).substr(0, 200) + ")");
    }
    return TrainedHead(std::move(impl));
}

} // namespace headbench
