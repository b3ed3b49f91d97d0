#include <headbench/compute/Runtime.h>

#include <dlfcn.h>
#include <malloc.h>
#include <thread>

namespace headbench {
namespace {
int g_threads = 1;
} // namespace

void configureRuntime(int threads)
{
    if (threads <= 0)
        threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    g_threads = threads;
    // glibc returns large freed blocks to the OS at once (mmap and trim thresholds), so every
    // batch's activation buffers would be page-faulted in again. Keep blocks under 4 MB (a
    // 1,024-row batch of 1,024 floats) in the heap; larger ones (feature matrices, 2,048-row
    // blocks of a pass over the file) are mapped and go back to the system when freed, or they
    // stay resident after their pass: on a 150,000 x 1,024 probe that was 75 MB at the peak.
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 16 << 20);
    // One heap per core, not glibc's default of eight: the probe's, the leakage check's and the
    // hash's threads each left freed memory in an arena of their own, about 25 MiB in all after a
    // run in the window (gui_memory_bench --train-in-window: 1.50x -> 1.48x of the matrix).
    mallopt(M_ARENA_MAX, std::max(2, threads));
    // Torch's own pool gets one thread when its module is loaded (train/TorchEntry.cpp).
    // The symbol is looked up because the BLAS behind libblas.so.3 may be another implementation.
    using SetThreads = void (*)(int);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(threads);
}

void releaseFreedMemory()
{
    malloc_trim(0);
}

namespace {

using SetBlasThreads = void (*)(int);
using GetBlasThreads = int (*)();

} // namespace

BlasThreadsScope::BlasThreadsScope(int threads)
{
    auto* get = reinterpret_cast<GetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    auto* set = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (get && set) {
        m_previous = get();
        set(threads);
    }
}

BlasThreadsScope::~BlasThreadsScope()
{
    if (m_previous > 0)
        if (auto* set = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
            set(m_previous);
}

int runtimeThreads()
{
    return g_threads;
}

} // namespace headbench
