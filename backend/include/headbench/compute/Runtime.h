#pragma once
/// \file Runtime.h
namespace headbench {

/// Process-wide settings to make once at start-up, before any tensor work:
/// torch's thread count (0 = number of cores), OpenBLAS's thread count, and glibc malloc
/// thresholds so that activation buffers are not returned to the OS after every batch.
void configureRuntime(int threads = 0);

/// Gives the heap's free memory back to the system (malloc_trim): called after a job whose
/// temporaries (the leakage check's shingles and buckets, a training's buffers) would otherwise
/// stay resident, freed but kept by the allocator, for as long as the window stays open.
void releaseFreedMemory();

/// The thread count configureRuntime settled on.
int runtimeThreads();

/// OpenBLAS's thread count for a scope, restored at its end. Code that runs threads of its own
/// over a matrix and calls the BLAS only for small products sets 1: OpenBLAS's threads otherwise
/// wake for those products and then spin in sched_yield on the cores the scope's threads use.
class BlasThreadsScope {
public:
    explicit BlasThreadsScope(int threads);
    ~BlasThreadsScope();
    BlasThreadsScope(const BlasThreadsScope&) = delete;
    BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

private:
    int m_previous = 0;
};

} // namespace headbench
