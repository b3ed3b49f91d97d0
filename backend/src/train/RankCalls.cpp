// Rank.h's functions, in the torch-free backend: they load the LibTorch module and run there.
#include <headbench/train/Rank.h>

#include "extract/TorchLibrary.h"
#include "train/RankImpl.h"

namespace headbench {

double logme(const float* x, std::int64_t rows, std::int64_t dim, std::span<const std::int32_t> labels, int numClasses)
{
    return torchFunction<decltype(&logmeWithTorch)>("logme")(x, rows, dim, labels, numClasses);
}

std::vector<RankEntry> rankFeatureSets(const std::vector<std::string>& files, const RankOptions& options,
                                       RankObserver* observer)
{
    return torchFunction<decltype(&rankFeatureSetsWithTorch)>("rankFeatureSets")(files, options, observer);
}

} // namespace headbench
