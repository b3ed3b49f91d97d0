#pragma once
/// \file VectorKernels.h
/// Private to the backend: the row kernels the passes over a feature matrix share, written so
/// that the compiler vectorises them (independent float lanes).
#include <cstdint>

namespace headbench {

/// a . b in eight independent float lanes, summed in double at the end.
inline double dotProduct(const float* a, const float* b, std::int64_t n)
{
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k)
            lane[k] += a[j + k] * b[j + k];
    double sum = 0;
    for (int k = 0; k < 8; ++k)
        sum += lane[k];
    for (; j < n; ++j)
        sum += static_cast<double>(a[j]) * b[j];
    return sum;
}

/// a . b with the widest instructions the processor has (AVX2 + FMA, four accumulators),
/// else dotProduct. Its rounding differs from dotProduct's in the last float bits.
double fastDot(const float* a, const float* b, std::int64_t n);

/// z[r * outputs + k] = x[rows[r]] . w[k] + b[k] for n rows of the row-major matrix x (d
/// columns) and `outputs` weight rows w (d columns each).
void rowsTimesWeights(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                      const float* b, std::int64_t outputs, float* z);

/// acc[k * d + j] += sum over r of dz[r * outputs + k] * x[rows[r]][j]: the same rows' share of
/// x^T dZ, read again while they are in cache.
void addRowsTransposed(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* dz,
                       std::int64_t outputs, float* acc);

/// sum[j] += x[rows[r]][j] - shift[j] and sumSq[j] += (x[rows[r]][j] - shift[j])^2 over n rows,
/// in double: the moments of a column about a shift near its mean (no cancellation to speak of).
void addShiftedMoments(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* shift,
                       double* sum, double* sumSq);

/// sig[k] = min over the n values of mix((v ^ xorv[k]) * mul[k]) for k < hashes (h ^= h >> 15):
/// a MinHash signature under `hashes` mixed permutations.
void minHashSignature(const std::uint32_t* values, std::size_t n, const std::uint32_t* mul, const std::uint32_t* xorv,
                      int hashes, std::uint32_t* sig);

/// out[i] = the number of bits in which row q and row rows[i] of a table of bit signatures
/// (`words` 64-bit words per row) differ, for i < n.
void hammingDistances(const std::uint64_t* signs, int words, std::size_t q, const std::uint32_t* rows, std::size_t n,
                      int* out);

/// What a fused pass asks of the loss for one row: its gradient dz[k] with respect to the row's
/// `outputs` logits z[k], given r (the row's place in `rows`).
using RowGradient = void (*)(void* context, std::int64_t r, const float* z, float* dz);

/// Most outputs a fused pass takes (its per-row logits live on the stack).
constexpr std::int64_t kFusedMaxOutputs = 16;

/// One read of each row for a loss whose gradient is row by row: z = x[rows[r]] . w[k] + b[k],
/// dz from `gradient`, then acc[k * d + j] += dz[k] * x[rows[r]][j] while the row is in L1.
void fusedRowsGradient(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                       const float* b, std::int64_t outputs, RowGradient gradient, void* context, float* acc);

} // namespace headbench
