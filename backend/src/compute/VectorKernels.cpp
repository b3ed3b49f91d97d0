#include "compute/VectorKernels.h"

#include <immintrin.h>

namespace headbench {
namespace {

__attribute__((always_inline)) inline void minHashLoop(const std::uint32_t* values, std::size_t n, const std::uint32_t* mul,
                                                       const std::uint32_t* xorv, int hashes, std::uint32_t* sig)
{
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t x = values[i];
        for (int k = 0; k < hashes; ++k) {
            std::uint32_t h = (x ^ xorv[k]) * mul[k];
            h ^= h >> 15;
            sig[k] = h < sig[k] ? h : sig[k];
        }
    }
}

__attribute__((always_inline)) inline void hammingLoop(const std::uint64_t* signs, int words, std::size_t q,
                                                       const std::uint32_t* rows, std::size_t n, int* out)
{
    const std::uint64_t* a = signs + q * static_cast<std::size_t>(words);
    for (std::size_t i = 0; i < n; ++i) {
        // The rows are scattered over the signature table: ask for one a few ahead.
        if (i + 8 < n)
            __builtin_prefetch(signs + rows[i + 8] * static_cast<std::size_t>(words));
        const std::uint64_t* b = signs + rows[i] * static_cast<std::size_t>(words);
        int bits = 0;
        for (int w = 0; w < words; ++w)
            bits += __builtin_popcountll(a[w] ^ b[w]);
        out[i] = bits;
    }
}

// The portable build targets x86-64 (SSE2); these passes are compute-bound there (a linear
// probe's pass over 490 MB took 73 ms where the memory allows 25), so the AVX2 + FMA versions
// are picked at run time on processors that have them.

void rowsTimesWeightsPortable(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                              const float* b, std::int64_t outputs, float* z)
{
    for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t k = 0; k < outputs; ++k)
            z[r * outputs + k] = static_cast<float>(dotProduct(x + rows[r] * d, w + k * d, d)) + b[k];
}

void addRowsTransposedPortable(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* dz,
                               std::int64_t outputs, float* acc)
{
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        for (std::int64_t k = 0; k < outputs; ++k) {
            const float a = dz[r * outputs + k];
            float* y = acc + k * d;
            for (std::int64_t j = 0; j < d; ++j)
                y[j] += a * xi[j];
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HEADBENCH_AVX2 1

__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, std::int64_t n)
{
    // Four independent accumulators: one FMA chain would wait on its own latency.
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    std::int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(b + j + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(b + j + 24), s3);
    }
    for (; j + 8 <= n; j += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float sum = _mm_cvtss_f32(h);
    for (; j < n; ++j)
        sum += a[j] * b[j];
    return sum;
}

__attribute__((target("avx2,fma"))) void rowsTimesWeightsAvx2(const float* x, const std::int64_t* rows, std::int64_t n,
                                                              std::int64_t d, const float* w, const float* b,
                                                              std::int64_t outputs, float* z)
{
    for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t k = 0; k < outputs; ++k)
            z[r * outputs + k] = dotAvx2(x + rows[r] * d, w + k * d, d) + b[k];
}

__attribute__((target("avx2,fma"))) void addRowsTransposedAvx2(const float* x, const std::int64_t* rows, std::int64_t n,
                                                               std::int64_t d, const float* dz, std::int64_t outputs,
                                                               float* acc)
{
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        for (std::int64_t k = 0; k < outputs; ++k) {
            const float a = dz[r * outputs + k];
            const __m256 av = _mm256_set1_ps(a);
            float* y = acc + k * d;
            std::int64_t j = 0;
            for (; j + 8 <= d; j += 8)
                _mm256_storeu_ps(y + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(xi + j), _mm256_loadu_ps(y + j)));
            for (; j < d; ++j)
                y[j] += a * xi[j];
        }
    }
}

__attribute__((target("avx2,fma"))) void fusedRowsGradientAvx2(const float* x, const std::int64_t* rows, std::int64_t n,
                                                               std::int64_t d, const float* w, const float* b,
                                                               std::int64_t outputs, RowGradient gradient, void* context,
                                                               float* acc)
{
    float z[kFusedMaxOutputs], dz[kFusedMaxOutputs];
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        for (std::int64_t k = 0; k < outputs; ++k)
            z[k] = dotAvx2(xi, w + k * d, d) + b[k];
        gradient(context, r, z, dz);
        for (std::int64_t k = 0; k < outputs; ++k) {
            const __m256 av = _mm256_set1_ps(dz[k]);
            float* y = acc + k * d;
            std::int64_t j = 0;
            for (; j + 8 <= d; j += 8)
                _mm256_storeu_ps(y + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(xi + j), _mm256_loadu_ps(y + j)));
            for (; j < d; ++j)
                y[j] += dz[k] * xi[j];
        }
    }
}

__attribute__((target("avx2,fma"))) void addShiftedMomentsAvx2(const float* x, const std::int64_t* rows, std::int64_t n,
                                                               std::int64_t d, const float* shift, double* sum, double* sumSq)
{
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        std::int64_t j = 0;
        for (; j + 4 <= d; j += 4) {
            const __m256d v = _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(xi + j), _mm_loadu_ps(shift + j)));
            _mm256_storeu_pd(sum + j, _mm256_add_pd(_mm256_loadu_pd(sum + j), v));
            _mm256_storeu_pd(sumSq + j, _mm256_fmadd_pd(v, v, _mm256_loadu_pd(sumSq + j)));
        }
        for (; j < d; ++j) {
            const double v = static_cast<double>(xi[j] - shift[j]);
            sum[j] += v;
            sumSq[j] += v * v;
        }
    }
}

// 32-bit products vectorise from SSE4.1 on; x86-64's SSE2 multiplies them one at a time. The
// loop is compiled twice: inlined into the AVX2 function and into the portable one.
__attribute__((target("avx2"))) void minHashSignatureAvx2(const std::uint32_t* values, std::size_t n,
                                                          const std::uint32_t* mul, const std::uint32_t* xorv, int hashes,
                                                          std::uint32_t* sig)
{
    minHashLoop(values, n, mul, xorv, hashes, sig);
}

// x86-64 has no popcount instruction (the compiler calls a library routine for each word).
__attribute__((target("popcnt"))) void hammingDistancesPopcnt(const std::uint64_t* signs, int words, std::size_t q,
                                                              const std::uint32_t* rows, std::size_t n, int* out)
{
    hammingLoop(signs, words, q, rows, n, out);
}

bool hasPopcnt()
{
    static const bool yes = __builtin_cpu_supports("popcnt");
    return yes;
}

bool hasAvx2()
{
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}
#endif

void fusedRowsGradientPortable(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                               const float* b, std::int64_t outputs, RowGradient gradient, void* context, float* acc)
{
    float z[kFusedMaxOutputs], dz[kFusedMaxOutputs];
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        for (std::int64_t k = 0; k < outputs; ++k)
            z[k] = static_cast<float>(dotProduct(xi, w + k * d, d)) + b[k];
        gradient(context, r, z, dz);
        for (std::int64_t k = 0; k < outputs; ++k) {
            float* y = acc + k * d;
            for (std::int64_t j = 0; j < d; ++j)
                y[j] += dz[k] * xi[j];
        }
    }
}

void addShiftedMomentsPortable(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d,
                               const float* shift, double* sum, double* sumSq)
{
    for (std::int64_t r = 0; r < n; ++r) {
        const float* xi = x + rows[r] * d;
        for (std::int64_t j = 0; j < d; ++j) {
            const double v = static_cast<double>(xi[j] - shift[j]);
            sum[j] += v;
            sumSq[j] += v * v;
        }
    }
}

void minHashSignaturePortable(const std::uint32_t* values, std::size_t n, const std::uint32_t* mul,
                              const std::uint32_t* xorv, int hashes, std::uint32_t* sig)
{
    minHashLoop(values, n, mul, xorv, hashes, sig);
}

void hammingDistancesPortable(const std::uint64_t* signs, int words, std::size_t q, const std::uint32_t* rows,
                              std::size_t n, int* out)
{
    hammingLoop(signs, words, q, rows, n, out);
}

} // namespace

void hammingDistances(const std::uint64_t* signs, int words, std::size_t q, const std::uint32_t* rows, std::size_t n,
                      int* out)
{
#ifdef HEADBENCH_AVX2
    if (hasPopcnt())
        return hammingDistancesPopcnt(signs, words, q, rows, n, out);
#endif
    hammingDistancesPortable(signs, words, q, rows, n, out);
}

void minHashSignature(const std::uint32_t* values, std::size_t n, const std::uint32_t* mul, const std::uint32_t* xorv,
                      int hashes, std::uint32_t* sig)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return minHashSignatureAvx2(values, n, mul, xorv, hashes, sig);
#endif
    minHashSignaturePortable(values, n, mul, xorv, hashes, sig);
}

void addShiftedMoments(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* shift,
                       double* sum, double* sumSq)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return addShiftedMomentsAvx2(x, rows, n, d, shift, sum, sumSq);
#endif
    addShiftedMomentsPortable(x, rows, n, d, shift, sum, sumSq);
}

double fastDot(const float* a, const float* b, std::int64_t n)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return dotAvx2(a, b, n);
#endif
    return dotProduct(a, b, n);
}

void fusedRowsGradient(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                       const float* b, std::int64_t outputs, RowGradient gradient, void* context, float* acc)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return fusedRowsGradientAvx2(x, rows, n, d, w, b, outputs, gradient, context, acc);
#endif
    fusedRowsGradientPortable(x, rows, n, d, w, b, outputs, gradient, context, acc);
}

void rowsTimesWeights(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* w,
                      const float* b, std::int64_t outputs, float* z)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return rowsTimesWeightsAvx2(x, rows, n, d, w, b, outputs, z);
#endif
    rowsTimesWeightsPortable(x, rows, n, d, w, b, outputs, z);
}

void addRowsTransposed(const float* x, const std::int64_t* rows, std::int64_t n, std::int64_t d, const float* dz,
                       std::int64_t outputs, float* acc)
{
#ifdef HEADBENCH_AVX2
    if (hasAvx2())
        return addRowsTransposedAvx2(x, rows, n, d, dz, outputs, acc);
#endif
    addRowsTransposedPortable(x, rows, n, d, dz, outputs, acc);
}

} // namespace headbench
