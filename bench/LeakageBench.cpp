// leakage_bench: how long the leakage check of a training run takes on a feature file.
//
//   leakage_bench --features F.h5 [--method auto|text|features] [--split random|group|file] [--threads N]
//
// Prints one JSON object: rows, dim, method, seconds of the check (the file's loading is not
// counted), and what it found. The figure in docs/PERFORMANCE.md comes from the built-in
// backbone's features of `headbench-cli demo --n 150000`.
#include <headbench/compute/Runtime.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/compute/Leakage.h>
#include <headbench/data/Split.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>

using namespace headbench;

int main(int argc, char** argv)
{
    CLI::App app("HeadBench leakage-check benchmark");
    std::string features, method = "auto", split = "random";
    int threads = 2;
    app.add_option("--features", features, "Feature file (.h5)")->required();
    app.add_option("--method", method, "auto, text or features")->capture_default_str();
    app.add_option("--split", split, "random, group or file")->capture_default_str();
    app.add_option("--threads", threads, "Threads")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    configureRuntime(threads);
    const auto t0 = std::chrono::steady_clock::now();
    const FeatureSet data = readFeatureFile(features);
    const auto t1 = std::chrono::steady_clock::now();
    const auto choice = chooseSplit(data, parseSplitMode(split), 42);
    LeakageOptions options;
    options.method = parseLeakageMethod(method);
    const auto t2 = std::chrono::steady_clock::now();
    const LeakageReport r = measureLeakage(data, choice.split, options);
    const auto t3 = std::chrono::steady_clock::now();
    auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    fmt::print("{{\"rows\": {}, \"dim\": {}, \"threads\": {}, \"split\": \"{}\", \"method\": \"{}\", \"load_seconds\": {:.2f}, "
               "\"leakage_seconds\": {:.2f}, \"test_rows\": {}, \"test_exact\": {}, \"test_near\": {}, \"validation_near\": {}, "
               "\"conflicting\": {}, \"duplicate_rows\": {}}}\n",
               data.rows, data.dim, threads, choice.source, r.method, seconds(t0, t1), seconds(t2, t3), r.testRows,
               r.testExactDuplicates, r.testNearDuplicates, r.validationNearDuplicates, r.conflictingLabels, r.duplicateRows);
    return 0;
}
