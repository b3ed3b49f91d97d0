// headbench_bench: HeadBench's side of the benchmark suite (bench/run_benchmarks.py runs it
// next to the Python peer). Each subcommand prints one JSON object.
//
//   headbench_bench train --features F.h5 --hidden 1024,1024 --dropout 0.1 --epochs 2
//   headbench_bench matmul --dim 768 --hidden 1024,1024 --batch 256      (the GEMM bound)
//   headbench_bench bandwidth --rows 150000 --dim 1024                   (the memory bound of matrix-vector
//                                     work: GB/s of OpenBLAS's sgemv over a matrix that size)
//   headbench_bench load --features F.h5                                   (MB/s into memory)
//   headbench_bench infer --features F.h5                                  (rows/s, probabilities)
//   headbench_bench extract --dataset D.jsonl --model M.pt --tokenizer T --out F.h5 --tokens-out P
//                                     (rows/s through a TorchScript backbone; writes the token ids
//                                      P.bin + P.json so the peer runs the model on the same inputs)
//   headbench_bench bootstrap --rows 15000 --resamples 1000 [--naive]     (seconds for the 95% intervals
//                                     of every metric of one split, for paired differences, and
//                                     with --naive for copying the rows per resample instead)
#include <headbench/compute/Runtime.h>
#include <headbench/data/Dataset.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/ModelBackbone.h>
#include <headbench/eval/Bootstrap.h>
#include <headbench/text/Tokenizer.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <filesystem>
#include <fstream>

using namespace headbench;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<int> parseHidden(const std::string& text)
{
    std::vector<int> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            out.push_back(std::stoi(item));
    return out;
}

/// Multiply-adds x2 of one training step per sample: forward 1 GEMM, backward 2 GEMMs per layer.
double flopsPerSample(std::int64_t dim, const std::vector<int>& hidden, int classes)
{
    double flops = 0;
    std::int64_t in = dim;
    for (int w : hidden) {
        flops += 6.0 * static_cast<double>(in) * w;
        in = w;
    }
    return flops + 6.0 * static_cast<double>(in) * classes;
}

/// Training time of each epoch without its validation pass: the epoch's wall time minus the
/// time from its last batch to the end-of-epoch report.
class EpochTimer : public TrainingObserver {
public:
    std::vector<double> trainSeconds;
    void onBatch(int, int batch, int batches) override
    {
        if (batch == batches)
            m_lastBatch = Clock::now();
    }
    void onEpoch(const EpochStats& stats) override
    {
        trainSeconds.push_back(stats.seconds - std::chrono::duration<double>(Clock::now() - m_lastBatch).count());
    }

private:
    Clock::time_point m_lastBatch;
};

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"HeadBench's side of the benchmarks"};
    int threads = 0;
    app.add_option("--threads", threads);
    app.require_subcommand(1);
    std::string features, hidden = "";
    double dropout = 0;
    int epochs = 2, batch = 256;
    std::int64_t dim = 768;
    auto* train = app.add_subcommand("train");
    train->add_option("--features", features)->required();
    train->add_option("--hidden", hidden);
    train->add_option("--dropout", dropout);
    train->add_option("--epochs", epochs);
    train->add_option("--batch", batch);
    auto* matmul = app.add_subcommand("matmul");
    matmul->add_option("--dim", dim);
    matmul->add_option("--hidden", hidden);
    matmul->add_option("--batch", batch);
    std::int64_t bwRows = 150000;
    auto* bandwidth = app.add_subcommand("bandwidth", "GB/s of a matrix-vector product over rows x dim floats");
    bandwidth->add_option("--rows", bwRows);
    bandwidth->add_option("--dim", dim);
    auto* load = app.add_subcommand("load");
    load->add_option("--features", features)->required();
    auto* infer = app.add_subcommand("infer");
    infer->add_option("--features", features)->required();
    infer->add_option("--hidden", hidden);
    std::string dataset, model, tokenizerPath, out, tokensOut, pooling = "mean";
    int maxLength = 256, extractBatch = 16, torchThreads = 0;
    auto* extract = app.add_subcommand("extract");
    extract->add_option("--dataset", dataset)->required();
    extract->add_option("--model", model)->required();
    extract->add_option("--tokenizer", tokenizerPath)->required();
    extract->add_option("--out", out)->required();
    extract->add_option("--tokens-out", tokensOut);
    extract->add_option("--pooling", pooling);
    extract->add_option("--max-length", maxLength);
    extract->add_option("--batch", extractBatch);
    extract->add_option("--torch-threads", torchThreads, "override torch's intra-op threads (default: runtime's choice)");
    std::int64_t bootRows = 15000;
    int resamples = 1000, bootClasses = 2;
    auto* boot = app.add_subcommand("bootstrap", "Intervals of every metric of one split, and paired differences");
    boot->add_option("--rows", bootRows);
    boot->add_option("--resamples", resamples);
    boot->add_option("--classes", bootClasses);
    bool naive = false;
    boot->add_flag("--naive", naive, "Also time copying the drawn rows and calling computeMetrics per resample");
    CLI11_PARSE(app, argc, argv);
    configureRuntime(threads);
    if (torchThreads > 0)
        torch::set_num_threads(torchThreads);

    if (extract->parsed()) {
        const Dataset data = loadDataset(dataset, FieldMap{});
        ModelBackboneOptions to;
        to.modelPath = model;
        to.tokenizerPath = tokenizerPath;
        to.pooling = parsePooling(pooling);
        to.maxLength = maxLength;
        const auto t0 = Clock::now();
        auto backbone = loadModelBackbone(to);
        const double loadSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        // Tokenisation alone, for the record (the extraction does it again, inside its time).
        const auto tokenizer = loadTokenizer(tokenizerPath);
        const auto t1 = Clock::now();
        std::vector<std::vector<std::int64_t>> ids;
        ids.reserve(data.size());
        for (const auto& text : data.texts)
            ids.push_back(tokenizer->encode(text, maxLength));
        const double tokenizeSeconds = std::chrono::duration<double>(Clock::now() - t1).count();
        if (!tokensOut.empty()) {
            std::ofstream bin(tokensOut + ".bin", std::ios::binary);
            std::int64_t tokens = 0;
            for (const auto& row : ids) {
                std::vector<std::int64_t> padded(static_cast<std::size_t>(maxLength), tokenizer->padId());
                std::copy(row.begin(), row.end(), padded.begin());
                bin.write(reinterpret_cast<const char*>(padded.data()), static_cast<std::streamsize>(padded.size() * 8));
                tokens += static_cast<std::int64_t>(row.size());
            }
            std::vector<std::int64_t> lengths;
            for (const auto& row : ids)
                lengths.push_back(static_cast<std::int64_t>(row.size()));
            std::ofstream(tokensOut + ".json") << fmt::format(R"({{"rows": {}, "max_length": {}, "tokens": {}, "lengths": [{}]}})",
                                                              ids.size(), maxLength, tokens, fmt::join(lengths, ","));
        }
        ExtractOptions eo;
        eo.batchSize = extractBatch;
        eo.resume = false;
        eo.reuse = false;
        const auto t2 = Clock::now();
        extractFeatures(data, *backbone, out, nullptr, eo);
        const double seconds = std::chrono::duration<double>(Clock::now() - t2).count();
        fmt::print(R"({{"rows": {}, "seconds": {:.3f}, "rows_per_s": {:.2f}, "tokenize_seconds": {:.3f}, "load_seconds": {:.3f}, "torch_threads": {}}})"
                   "\n",
                   data.size(), seconds, static_cast<double>(data.size()) / seconds, tokenizeSeconds, loadSeconds,
                   torch::get_num_threads());
        return 0;
    }

    if (train->parsed()) {
        const FeatureSet data = readFeatureFile(features, {.loadTexts = false});
        HeadSpec spec;
        spec.hidden = parseHidden(hidden);
        spec.dropout = dropout;
        spec.epochs = epochs;
        spec.batchSize = batch;
        spec.optimizer = Optimizer::Adam;
        spec.weightDecay = 0; // as the peer's torch.optim.Adam(lr=1e-3)
        EpochTimer timer;
        const TrainResult r = trainHead(data, spec, &timer);
        std::int64_t trainRows = 0;
        for (auto s : r.split)
            trainRows += s == kTrain;
        // The first epoch warms up allocations and caches; the best of the rest is reported.
        const double best = *std::min_element(timer.trainSeconds.begin() + (timer.trainSeconds.size() > 1 ? 1 : 0),
                                              timer.trainSeconds.end());
        const double sps = static_cast<double>(trainRows) / best;
        fmt::print("{{\"samples_per_s\": {:.1f}, \"train_seconds_per_epoch\": {:.4f}, \"gflops\": {:.2f}, "
                   "\"val_accuracy\": {:.4f}}}\n",
                   sps, best, sps * flopsPerSample(data.dim, spec.hidden, outputUnits(spec, data.numClasses())) / 1e9,
                   r.validation.accuracy);
    } else if (matmul->parsed()) {
        // The GEMMs of one training step (forward, grad input, grad weight per layer), in a loop.
        torch::NoGradGuard noGrad;
        const auto widths = parseHidden(hidden);
        std::vector<std::int64_t> sizes{dim};
        for (int w : widths)
            sizes.push_back(w);
        sizes.push_back(2);
        std::vector<torch::Tensor> xs, ws, gs;
        for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
            xs.push_back(torch::randn({batch, sizes[l]}));
            ws.push_back(torch::randn({sizes[l + 1], sizes[l]}));
            gs.push_back(torch::randn({batch, sizes[l + 1]}));
        }
        auto step = [&] {
            for (std::size_t l = 0; l < ws.size(); ++l) {
                auto y = torch::mm(xs[l], ws[l].t());
                auto gx = torch::mm(gs[l], ws[l]);
                auto gw = torch::mm(gs[l].t(), xs[l]);
            }
        };
        for (int i = 0; i < 20; ++i)
            step();
        const int reps = 200;
        const auto t0 = Clock::now();
        for (int i = 0; i < reps; ++i)
            step();
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        const double flops = flopsPerSample(dim, widths, 2) * batch * reps;
        fmt::print("{{\"gflops\": {:.2f}}}\n", flops / seconds / 1e9);
    } else if (bandwidth->parsed()) {
        // A matrix-vector product reads each float once and does two flops with it: its time is
        // the memory's. OpenBLAS on the process's threads, best of 9 after one to fault pages in.
        torch::NoGradGuard noGrad;
        const auto x = torch::randn({bwRows, dim});
        const auto w = torch::randn({dim});
        double best = 1e30;
        for (int i = 0; i < 10; ++i) {
            const auto t0 = Clock::now();
            const auto y = torch::mv(x, w);
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            if (i > 0)
                best = std::min(best, s);
        }
        const double bytes = static_cast<double>(bwRows) * static_cast<double>(dim) * sizeof(float);
        fmt::print("{{\"gb_per_s\": {:.2f}, \"gemv_seconds\": {:.5f}, \"bytes\": {:.0f}}}\n", bytes / best / 1e9, best, bytes);
    } else if (load->parsed()) {
        const auto bytes = static_cast<double>(std::filesystem::file_size(features));
        // Raw sequential read of the same bytes into fresh memory: the bound for an uncompressed file.
        auto t0 = Clock::now();
        {
            std::unique_ptr<char[]> buffer(new char[static_cast<std::size_t>(bytes)]);
            std::ifstream in(features, std::ios::binary);
            in.read(buffer.get(), static_cast<std::streamsize>(bytes));
        }
        const double raw = std::chrono::duration<double>(Clock::now() - t0).count();
        t0 = Clock::now();
        const FeatureSet set = readFeatureFile(features, {.loadTexts = false});
        const double ours = std::chrono::duration<double>(Clock::now() - t0).count();
        const double matrix = static_cast<double>(set.features.size() * sizeof(float));
        fmt::print("{{\"mb_per_s\": {:.1f}, \"raw_mb_per_s\": {:.1f}, \"seconds\": {:.3f}}}\n", matrix / ours / 1e6,
                   bytes / raw / 1e6, ours);
    } else if (infer->parsed()) {
        FeatureSet data = readFeatureFile(features, {.loadTexts = false});
        HeadSpec spec;
        spec.hidden = parseHidden(hidden);
        spec.epochs = 1;
        // A head trained briefly on the first rows; the timed part is the inference.
        FeatureSet small = data;
        small.rows = std::min<std::int64_t>(data.rows, 5000);
        small.features.resize(static_cast<std::size_t>(small.rows * small.dim));
        small.labels.resize(static_cast<std::size_t>(small.rows));
        small.split.clear();
        const TrainResult r = trainHead(small, spec);
        r.head.predictProba(data.features.data(), std::min<std::int64_t>(data.rows, 8192)); // warm-up
        const auto t0 = Clock::now();
        const auto probs = r.head.predictProba(data.features.data(), data.rows);
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        fmt::print("{{\"rows_per_s\": {:.0f}, \"seconds\": {:.3f}, \"checksum\": {:.4f}}}\n", data.rows / seconds, seconds,
                   probs[1] + probs[probs.size() - 1]);
    }
    if (boot->parsed()) {
        // A classifier's outputs with realistic ties: scores rounded to 4 decimals.
        std::mt19937_64 rng(1);
        std::normal_distribution<double> noise(0.0, 1.0);
        std::vector<std::int32_t> labels(static_cast<std::size_t>(bootRows));
        std::vector<float> first, second;
        for (auto& label : labels) {
            label = static_cast<std::int32_t>(rng() % static_cast<unsigned>(bootClasses));
            for (std::vector<float>* probs : {&first, &second}) {
                std::vector<double> e(static_cast<std::size_t>(bootClasses));
                double sum = 0;
                for (int c = 0; c < bootClasses; ++c)
                    sum += e[static_cast<std::size_t>(c)] = std::exp((c == label ? 1.0 : 0.0) + noise(rng));
                for (double v : e)
                    probs->push_back(static_cast<float>(std::round(v / sum * 1e4) / 1e4));
            }
        }
        auto t0 = Clock::now();
        const MetricIntervals ci = bootstrapIntervals(labels, first, bootClasses, 0.5, {.resamples = resamples});
        const double single = std::chrono::duration<double>(Clock::now() - t0).count();
        t0 = Clock::now();
        const PairedDifferences d = pairedBootstrap(labels, first, second, bootClasses, 0.5, 0.5, {.resamples = resamples});
        const double paired = std::chrono::duration<double>(Clock::now() - t0).count();
        double naiveSeconds = 0;
        if (naive) { // the textbook way, for comparison: copy the drawn rows, re-sort in computeMetrics
            t0 = Clock::now();
            std::vector<std::int32_t> l(labels.size());
            std::vector<float> p(first.size());
            const auto k = static_cast<std::size_t>(bootClasses);
            for (int b = 0; b < resamples; ++b) {
                for (std::size_t i = 0; i < labels.size(); ++i) {
                    const std::size_t r = rng() % labels.size();
                    l[i] = labels[r];
                    std::copy_n(first.begin() + static_cast<std::ptrdiff_t>(r * k), k, p.begin() + static_cast<std::ptrdiff_t>(i * k));
                }
                computeMetrics(l, p, bootClasses);
            }
            naiveSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        }
        fmt::print("{{\"rows\": {}, \"resamples\": {}, \"intervals_seconds\": {:.3f}, \"paired_seconds\": {:.3f}, "
                   "\"naive_seconds\": {:.3f}, \"f1_ci\": [{:.4f}, {:.4f}], \"f1_diff_ci\": [{:.4f}, {:.4f}]}}\n",
                   bootRows, resamples, single, paired, naiveSeconds, ci.f1.low, ci.f1.high, d.f1.ci.low, d.f1.ci.high);
    }
    return 0;
}
