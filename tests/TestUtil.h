#pragma once
// Helpers shared by the backend tests.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <headbench/data/FeatureFile.h>

namespace headbench::test {

/// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
public:
    TempDir()
    {
        std::random_device rd;
        m_path = std::filesystem::temp_directory_path() / ("headbench-test-" + std::to_string(rd()));
        std::filesystem::create_directories(m_path);
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

inline void writeFile(const std::string& path, const std::string& content)
{
    std::ofstream(path, std::ios::binary) << content;
}

inline std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A linearly separable-ish problem: K Gaussian blobs in `dim` dimensions.
inline FeatureSet blobs(std::int64_t rows, std::int64_t dim, int classes, std::uint64_t seed, double spread = 0.6)
{
    FeatureSet set;
    set.rows = rows;
    set.dim = dim;
    set.features.resize(static_cast<std::size_t>(rows * dim));
    set.labels.resize(static_cast<std::size_t>(rows));
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(spread));
    std::vector<std::vector<float>> centers(classes, std::vector<float>(static_cast<std::size_t>(dim)));
    for (auto& c : centers)
        for (auto& v : c)
            v = noise(rng) > 0 ? 1.0f : -1.0f;
    for (std::int64_t r = 0; r < rows; ++r) {
        const int k = static_cast<int>(r % classes);
        set.labels[static_cast<std::size_t>(r)] = k;
        for (std::int64_t j = 0; j < dim; ++j)
            set.features[static_cast<std::size_t>(r * dim + j)] = centers[k][static_cast<std::size_t>(j)] + noise(rng);
    }
    for (int k = 0; k < classes; ++k)
        set.labelNames.push_back("class" + std::to_string(k));
    set.backbone = "synthetic";
    return set;
}

} // namespace headbench::test
