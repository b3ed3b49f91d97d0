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

} // namespace headbench
