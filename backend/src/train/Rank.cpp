#include <headbench/train/Rank.h>
#include "train/RankImpl.h"

#include <headbench/core/Error.h>
#include <headbench/data/Split.h>
#include <headbench/train/HeadSpec.h>
#include <headbench/train/Trainer.h>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>

namespace headbench {

namespace {

/// Evidence of one target y (already projected): s = squared singular values of F (the rank
/// k ones), z = U^T y (k), yy = ||y||^2; n rows, d columns of F.
double evidenceOf(const std::vector<double>& s, const std::vector<double>& z, double yy, double n, double d)
{
    double zz = 0;
    for (double v : z)
        zz += v * v;
    // Fixed point of the paper's Algorithm 1, in the SVD basis: with A = alpha I + beta F^T F,
    //   m = beta A^-1 F^T y,  gamma = sum beta s_i / (alpha + beta s_i),
    //   alpha <- gamma / m^T m,  beta <- (n - gamma) / ||F m - y||^2,
    // where m^T m = sum (beta sqrt(s_i) z_i / (alpha + beta s_i))^2 and
    // ||F m - y||^2 = ||y||^2 - ||z||^2 + sum (alpha z_i / (alpha + beta s_i))^2, so one step
    // costs O(k) instead of O(n d): iterating to convergence is cheap.
    double alpha = 1.0, beta = 1.0, mm = 0, res = 0;
    auto moments = [&](double a, double b) {
        double g = 0;
        mm = 0;
        res = std::max(yy - zz, 0.0);
        for (std::size_t i = 0; i < s.size(); ++i) {
            const double den = a + b * s[i];
            g += b * s[i] / den;
            const double mi = b * std::sqrt(s[i]) * z[i] / den;
            mm += mi * mi;
            const double ri = a * z[i] / den;
            res += ri * ri;
        }
        // A target the features fit exactly (or not at all) has no finite optimum; tiny floors
        // keep the evidence finite, as the reference implementation's epsilon does.
        mm = std::max(mm, 1e-12);
        res = std::max(res, 1e-12 * std::max(yy, 1.0));
        return g;
    };
    for (int it = 0; it < 10000; ++it) {
        const double gamma = moments(alpha, beta);
        const double a = gamma / mm, b = std::max(n - gamma, 1e-12) / res;
        const bool done = std::abs(a - alpha) <= 1e-12 * alpha && std::abs(b - beta) <= 1e-12 * beta;
        alpha = a;
        beta = b;
        if (done)
            break;
    }
    moments(alpha, beta);
    double logDet = (d - static_cast<double>(s.size())) * std::log(alpha); // zero singular values
    for (double v : s)
        logDet += std::log(alpha + beta * v);
    const double evidence = d / 2.0 * std::log(alpha) + n / 2.0 * std::log(beta) - 0.5 * logDet - beta / 2.0 * res -
                            alpha / 2.0 * mm - n / 2.0 * std::log(2.0 * std::numbers::pi);
    return evidence / n;
}

} // namespace

double logmeWithTorch(const float* x, std::int64_t rows, std::int64_t dim, std::span<const std::int32_t> labels,
                      int numClasses)
{
    if (rows < 2 || dim < 1)
        throw Error("LogME needs at least two rows and one feature, got " + std::to_string(rows) + " x " + std::to_string(dim));
    if (static_cast<std::int64_t>(labels.size()) != rows)
        throw Error("LogME: " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) + " rows");
    torch::NoGradGuard noGrad;
    // from_blob does not own the buffer; the copy to double does, before x can go away.
    const torch::Tensor f = torch::from_blob(const_cast<float*>(x), {rows, dim}, torch::kFloat).to(torch::kDouble);
    const torch::Tensor y = torch::zeros({rows, numClasses}, torch::kDouble);
    {
        auto ya = y.accessor<double, 2>();
        for (std::int64_t r = 0; r < rows; ++r)
            ya[r][labels[static_cast<std::size_t>(r)]] = 1.0;
    }
    // The SVD of F from the eigen-decomposition of the smaller Gram matrix.
    torch::Tensor s, z; // squared singular values [k], projections U^T Y [k, K]
    if (dim <= rows) {
        auto [evals, v] = torch::linalg::eigh(f.t().mm(f), "L");
        const torch::Tensor keep = evals > evals.max().clamp_min(0) * 1e-12 + 1e-300;
        s = evals.index({keep});
        v = v.index({torch::indexing::Slice(), keep});
        z = v.t().mm(f.t().mm(y)) / s.sqrt().unsqueeze(1); // U^T Y = S^-1 V^T F^T Y
    } else {
        auto [evals, u] = torch::linalg::eigh(f.mm(f.t()), "L");
        const torch::Tensor keep = evals > evals.max().clamp_min(0) * 1e-12 + 1e-300;
        s = evals.index({keep});
        u = u.index({torch::indexing::Slice(), keep});
        z = u.t().mm(y);
    }
    s = s.contiguous();
    const std::vector<double> sv(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    const torch::Tensor zt = z.t().contiguous(); // [K, k]
    const torch::Tensor yy = (y * y).sum(0).contiguous();
    double total = 0;
    for (int k = 0; k < numClasses; ++k) {
        const double* zk = zt.data_ptr<double>() + static_cast<std::int64_t>(k) * zt.size(1);
        total += evidenceOf(sv, std::vector<double>(zk, zk + zt.size(1)), yy.data_ptr<double>()[k],
                            static_cast<double>(rows), static_cast<double>(dim));
    }
    return total / numClasses;
}

namespace {

/// The training split's rows of `data` (as training would choose them), gathered.
FeatureMatrix trainRows(const FeatureSet& data, const std::vector<std::uint8_t>& split, std::vector<std::int32_t>& labels)
{
    FeatureMatrix out;
    labels.clear();
    for (std::int64_t r = 0; r < data.rows; ++r)
        if (split[static_cast<std::size_t>(r)] == kTrain) {
            out.insert(out.end(), data.features.begin() + r * data.dim, data.features.begin() + (r + 1) * data.dim);
            labels.push_back(data.labels[static_cast<std::size_t>(r)]);
        }
    return out;
}

void checkSameRows(const FeatureSet& a, const FeatureSet& b)
{
    if (a.rows != b.rows)
        throw Error(b.path + ": " + std::to_string(b.rows) + " rows, but " + a.path + " has " + std::to_string(a.rows) +
                    "; rank compares files of the same rows");
    for (std::int64_t r = 0; r < a.rows; ++r) {
        if (a.idOf(r) != b.idOf(r))
            throw Error(b.path + ": row " + std::to_string(r) + " has id '" + b.idOf(r) + "' but " + a.path + " has '" +
                        a.idOf(r) + "'; rank compares files of the same rows in the same order");
        if (a.labels[static_cast<std::size_t>(r)] != b.labels[static_cast<std::size_t>(r)])
            throw Error(b.path + ": row " + std::to_string(r) + " (id '" + b.idOf(r) + "') has another label than in " + a.path);
    }
    if (a.labelNames != b.labelNames)
        throw Error(b.path + ": its label names differ from those of " + a.path);
}

} // namespace

std::vector<RankEntry> rankFeatureSetsWithTorch(const std::vector<std::string>& files, const RankOptions& options,
                                                RankObserver* observer)
{
    if (files.empty())
        throw Error("rank: no feature file given");
    // What to score: every set of every file (a single-set file counts once).
    struct Job {
        std::string file;
        FeatureSetInfo info;
    };
    std::vector<Job> jobs;
    FeatureSet first;
    for (const std::string& file : files) {
        FeatureSet f = readFeatureFile(file, {.loadTexts = false});
        if (jobs.empty())
            first = f;
        else
            checkSameRows(first, f);
        if (f.featureSets.empty())
            jobs.push_back({file, {"features", -1, f.attributes.count("pooling") ? f.attributes.at("pooling") : "", "/features"}});
        for (const FeatureSetInfo& info : f.featureSets)
            jobs.push_back({file, info});
    }
    HeadSpec probe;
    probe.hidden = {};
    probe.optimizer = Optimizer::Lbfgs;
    probe.seed = options.seed;
    TrainOptions trainOptions;
    trainOptions.leakage.method = LeakageOptions::Method::Off;
    std::vector<RankEntry> out;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        if (observer && observer->shouldStop())
            break;
        const Job& job = jobs[j];
        if (observer)
            observer->onProgress(static_cast<int>(j), static_cast<int>(jobs.size()), job.file + " " + job.info.name);
        const auto start = std::chrono::steady_clock::now();
        const FeatureSet data = readFeatureFile(job.file, {.loadTexts = false, .requireTwoClasses = true, .featureSet = job.info.name});
        const SplitChoice split = chooseSplit(data, SplitMode::Auto, options.seed);
        std::vector<std::int32_t> labels;
        const FeatureMatrix x = trainRows(data, split.split, labels);
        RankEntry e;
        e.file = job.file;
        e.featureSet = job.info.name;
        e.layer = job.info.layer;
        e.pooling = job.info.pooling;
        e.dim = data.dim;
        e.logme = logmeWithTorch(x.data(), static_cast<std::int64_t>(labels.size()), data.dim, labels, data.numClasses());
        e.probeValF1 = std::numeric_limits<double>::quiet_NaN();
        if (options.probe) {
            const TrainResult r = trainHead(data, probe, nullptr, trainOptions);
            e.probeValF1 = r.validation.f1;
        }
        e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out.push_back(std::move(e));
    }
    if (observer)
        observer->onProgress(static_cast<int>(out.size()), static_cast<int>(jobs.size()), {});
    std::stable_sort(out.begin(), out.end(), [](const RankEntry& a, const RankEntry& b) { return a.logme > b.logme; });
    return out;
}

} // namespace headbench
