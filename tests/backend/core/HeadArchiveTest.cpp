// head.pt written without LibTorch (HeadArchive.h): random heads of every shape the trainer
// makes (depth 0-2, each activation, layer and batch norm, one sigmoid output or a softmax,
// with and without a temperature) are read by LibTorch's TorchScript loader and give the
// probabilities of the network computed here from the definitions, in double. Python's
// torch.jit.load reads the same files in the CLI tests (cli_end_to_end, cli_calibration). The
// BLAS forward a head trained in this process uses (headProbabilities) is checked on the same heads.
#include <headbench/core/Error.h>
#include <headbench/core/HeadArchive.h>
#include <headbench/train/Trainer.h>
#include "TestUtil.h"
#include "train/TrainedHeadImpl.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace headbench;

namespace {

std::vector<float> randomFloats(std::mt19937& rng, std::size_t n, float lo, float hi)
{
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v)
        x = u(rng);
    return v;
}

HeadWeights::Dense randomDense(std::mt19937& rng, std::int64_t in, std::int64_t out)
{
    const float bound = 1.0f / std::sqrt(static_cast<float>(in));
    return {in, out, randomFloats(rng, static_cast<std::size_t>(in * out), -2 * bound, 2 * bound),
            randomFloats(rng, static_cast<std::size_t>(out), -bound, bound)};
}

/// The head's probabilities for one row, from the definitions of each layer, in double.
std::vector<double> reference(const HeadWeights& h, const float* row)
{
    std::vector<double> x(row, row + h.inputDim);
    auto linear = [](const HeadWeights::Dense& d, const std::vector<double>& in) {
        std::vector<double> out(static_cast<std::size_t>(d.out));
        for (std::int64_t o = 0; o < d.out; ++o) {
            double s = d.bias[o];
            for (std::int64_t i = 0; i < d.in; ++i)
                s += static_cast<double>(d.weight[o * d.in + i]) * in[i];
            out[o] = s;
        }
        return out;
    };
    for (std::size_t l = 0; l < h.hidden.size(); ++l) {
        x = linear(h.hidden[l], x);
        if (h.norm == HeadWeights::Norm::Layer) {
            double mean = 0, var = 0;
            for (double v : x)
                mean += v;
            mean /= x.size();
            for (double v : x)
                var += (v - mean) * (v - mean);
            var /= x.size(); // biased, as layer norm is
            for (std::size_t j = 0; j < x.size(); ++j)
                x[j] = (x[j] - mean) / std::sqrt(var + h.norms[l].eps) * h.norms[l].weight[j] + h.norms[l].bias[j];
        } else if (h.norm == HeadWeights::Norm::Batch) {
            const auto& n = h.norms[l];
            for (std::size_t j = 0; j < x.size(); ++j)
                x[j] = (x[j] - n.runningMean[j]) / std::sqrt(n.runningVar[j] + n.eps) * n.weight[j] + n.bias[j];
        }
        for (double& v : x) {
            if (h.activation == "relu")
                v = std::max(v, 0.0);
            else if (h.activation == "gelu")
                v = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
            else if (h.activation == "tanh")
                v = std::tanh(v);
            else if (h.activation == "silu")
                v = v / (1 + std::exp(-v));
            else
                v = v > 0 ? v : 0.01 * v;
        }
    }
    x = linear(h.output, x);
    for (double& v : x)
        v /= h.temperature;
    if (x.size() == 1) {
        const double p = 1 / (1 + std::exp(-x[0]));
        return {1 - p, p};
    }
    const double top = *std::max_element(x.begin(), x.end());
    double sum = 0;
    for (double& v : x)
        sum += (v = std::exp(v - top));
    for (double& v : x)
        v /= sum;
    return x;
}

} // namespace

TEST(HeadArchive, LibTorchReadsEveryKindOfHeadAsItsDefinitionsCompute)
{
    test::TempDir dir;
    std::mt19937 rng(7);
    const std::int64_t dim = 12, rows = 40;
    const auto x = randomFloats(rng, static_cast<std::size_t>(dim * rows), -3, 3);
    int checked = 0;
    for (int depth : {0, 1, 2})
        for (const char* activation : {"relu", "gelu", "tanh", "silu", "leaky_relu"})
            for (auto norm : {HeadWeights::Norm::None, HeadWeights::Norm::Layer, HeadWeights::Norm::Batch})
                for (int classes : {2, 3})
                    for (bool single : {false, true}) {
                        if ((depth == 0 && (norm != HeadWeights::Norm::None || activation != std::string("relu"))) ||
                            (single && classes != 2))
                            continue;
                        HeadWeights h;
                        h.activation = activation;
                        h.norm = norm;
                        h.inputDim = dim;
                        h.numClasses = classes;
                        h.temperature = (checked % 3 == 1) ? 1.7 : 1.0;
                        if (checked % 2)
                            h.labelNames = classes == 2 ? std::vector<std::string>{"safe", "vulnerable"}
                                                        : std::vector<std::string>{"a", "b", "c"};
                        std::int64_t in = dim;
                        for (int l = 0; l < depth; ++l) {
                            const std::int64_t width = 5 + 3 * l;
                            h.hidden.push_back(randomDense(rng, in, width));
                            if (norm != HeadWeights::Norm::None)
                                h.norms.push_back({randomFloats(rng, width, 0.5f, 1.5f), randomFloats(rng, width, -0.5f, 0.5f),
                                                   randomFloats(rng, width, -0.3f, 0.3f), randomFloats(rng, width, 0.2f, 2.0f),
                                                   l == 0 ? 1e-5 : 1e-3});
                            in = width;
                        }
                        h.output = randomDense(rng, in, single ? 1 : classes);
                        SCOPED_TRACE(::testing::Message() << "depth " << depth << ", " << activation << ", norm "
                                                          << static_cast<int>(norm) << ", " << classes << " classes"
                                                          << (single ? " (one output)" : "") << ", T " << h.temperature);

                        const std::string bytes = headArchive(h);
                        EXPECT_EQ(bytes, headArchive(h)) << "the same head gives the same bytes";
                        const std::string path = dir.file("head" + std::to_string(checked) + ".pt");
                        test::writeFile(path, bytes);
                        const TrainedHead loaded = TrainedHead::load(path);
                        ASSERT_EQ(loaded.inputDim(), dim);
                        ASSERT_EQ(loaded.numClasses(), classes);
                        const auto p = loaded.predictProba(x.data(), rows);
                        // The same network applied without LibTorch, as a head trained in this
                        // process is (TrainedHead.cpp).
                        const auto blas = headProbabilities(h, x.data(), rows);
                        ASSERT_EQ(p.size(), static_cast<std::size_t>(rows * classes));
                        ASSERT_EQ(blas.size(), p.size());
                        for (std::int64_t r = 0; r < rows; ++r) {
                            const auto want = reference(h, x.data() + r * dim);
                            for (int k = 0; k < classes; ++k) {
                                ASSERT_NEAR(p[r * classes + k], want[k], 2e-5) << "row " << r << ", class " << k;
                                ASSERT_NEAR(blas[r * classes + k], want[k], 2e-5) << "BLAS: row " << r << ", class " << k;
                            }
                        }
                        ++checked;
                    }
    EXPECT_EQ(checked, 3 + 2 * 5 * 3 * 3); // depth 0: softmax of 2 and 3, one sigmoid output
}

TEST(HeadArchive, RefusesWeightsThatDoNotChain)
{
    std::mt19937 rng(1);
    HeadWeights h;
    h.inputDim = 4;
    h.numClasses = 3;
    h.hidden.push_back(randomDense(rng, 4, 6));
    h.output = randomDense(rng, 5, 3); // takes 5 where 6 come
    try {
        headArchive(h);
        FAIL() << "a head whose layers do not chain was written";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the output layer takes 5 inputs"), std::string::npos) << e.what();
    }
    h.output = randomDense(rng, 6, 3);
    h.output.bias.pop_back();
    EXPECT_THROW(headArchive(h), Error);
    h.output = randomDense(rng, 6, 3);
    h.labelNames = {"a", "b"};
    EXPECT_THROW(headArchive(h), Error) << "two names for three classes";
    h.labelNames.clear();
    h.activation = "softplus";
    EXPECT_THROW(headArchive(h), Error);
}
