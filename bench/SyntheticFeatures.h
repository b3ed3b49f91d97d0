#pragma once
/// \file SyntheticFeatures.h
/// The benchmarks' feature file: two classes apart on the first 16 of `dim` normal features.
#include <headbench/data/FeatureFile.h>

#include <random>
#include <string>

namespace headbench::bench {

/// rows x dim features (class r % 2 shifted by 0.5 on the first 16 columns); with `texts`, a
/// short C function per row, about the length of a Juliet function's first lines.
inline FeatureSet syntheticFeatures(int rows, int dim, bool texts = false)
{
    FeatureSet set;
    set.rows = rows;
    set.dim = dim;
    set.features.resize(static_cast<std::size_t>(rows) * dim);
    set.labels.resize(rows);
    if (texts)
        set.texts.resize(rows);
    std::mt19937 rng(1);
    std::normal_distribution<float> n(0, 1);
    for (int r = 0; r < rows; ++r) {
        set.labels[r] = r % 2;
        for (int j = 0; j < dim; ++j)
            set.features[static_cast<std::size_t>(r) * dim + j] = n(rng) + (j < 16 ? 0.5f * set.labels[r] : 0.0f);
        if (texts)
            set.texts.set(r, "static void f" + std::to_string(r) + "(char *data) {\n    char buf[100];\n    memcpy(buf, data, " +
                           std::to_string(r % 200) + ");\n    printLine(buf);\n}\n");
    }
    set.labelNames = texts ? std::vector<std::string>{"safe", "vulnerable"} : std::vector<std::string>{"0", "1"};
    set.backbone = "synthetic";
    return set;
}

} // namespace headbench::bench
