// The LibTorch module's one exported function (extract/TorchLibrary.h): its functions by name.
#include "extract/TorchLibrary.h"
#include "train/HeadModel.h"
#include "train/RankImpl.h"
#include "train/TrainedHeadImpl.h"

#include <torch/torch.h>

#include <cstring>

namespace headbench {
namespace {

/// Set once, when the module is loaded: the cores go to the BLAS, not to torch's OpenMP pool. A
/// head's time is in its GEMMs, and OpenMP workers spin-waiting between ops steal the cores
/// OpenBLAS's threads need. Measured on 2 cores, 2x1024 MLP on 50,000 x 768 (s/epoch): torch 1 +
/// BLAS 2: 5.1; torch 2 + BLAS 2: 11.0; torch 2 + BLAS 1: 7.5; torch 1 + BLAS 1: 7.8.
const bool g_oneTorchThread = [] {
    torch::set_num_threads(1);
    return true;
}();

struct Named {
    const char* name;
    void* function;
};

template <typename F> void* address(F f)
{
    return reinterpret_cast<void*>(f);
}

} // namespace
} // namespace headbench

extern "C" __attribute__((visibility("default"))) void* headbench_torch_entry(const char* name)
{
    using namespace headbench;
    static const Named table[] = {
        {"loadModelBackbone", address(&loadModelBackboneWithTorch)},
        {"makeTorchModel", address(&makeTorchModel)},
        {"loadTorchHead", address(&loadTorchHead)},
        {"torchHeadProbabilities", address(&torchHeadProbabilities)},
        {"torchHeadBytes", address(&torchHeadBytes)},
        {"logme", address(&logmeWithTorch)},
        {"rankFeatureSets", address(&rankFeatureSetsWithTorch)},
    };
    for (const auto& entry : table)
        if (std::strcmp(entry.name, name) == 0)
            return entry.function;
    return nullptr;
}
