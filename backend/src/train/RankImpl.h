#pragma once
/// \file RankImpl.h
/// Private to the backend: the ranking of Rank.h as the LibTorch module implements it (Rank.cpp;
/// LogME's eigendecompositions run on LibTorch's LAPACK). Rank.h's functions forward to these
/// (RankCalls.cpp, extract/TorchLibrary.h).
#include <headbench/train/Rank.h>

namespace headbench {

double logmeWithTorch(const float* x, std::int64_t rows, std::int64_t dim, std::span<const std::int32_t> labels,
                      int numClasses);
std::vector<RankEntry> rankFeatureSetsWithTorch(const std::vector<std::string>& files, const RankOptions& options,
                                                RankObserver* observer);

} // namespace headbench
