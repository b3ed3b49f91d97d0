#pragma once
/// \file DemoData.h
/// The built-in demo: realistic C functions in vulnerable and fixed variants, generated
/// deterministically from a seed so that HeadBench works with no download.
#include <headbench/data/Dataset.h>

#include <cstdint>

namespace headbench {

/// Weakness families the generator draws from (one per vulnerable/fixed pair).
enum class WeaknessFamily {
    BufferCopy,       ///< unchecked strcpy/memcpy into a fixed buffer
    OffByOne,         ///< loop bound <= instead of <
    FormatString,     ///< printf-family with a format from input
    UseAfterFree,     ///< pointer used after free
    IntegerOverflow,  ///< unchecked size arithmetic before allocation
    NullCheck,        ///< result of malloc/lookup used without a NULL check
};

/// Generates `n` samples (label 1 = vulnerable, 0 = safe), the same for the same seed.
/// About 6% of the labels are flipped on purpose, as in real vulnerability datasets, so the
/// task is hard enough for heads to differ. `paired`: functions come in pairs, before and after
/// a fix (label 1 and 0, not flipped), sharing a group ("pair-00042") in `groups` — the shape of
/// fix-commit datasets such as BigVul, where a random split leaks one version of a pair into
/// training and the other into test.
Dataset generateDemoDataset(std::size_t n = 2400, std::uint64_t seed = 7, bool paired = false);

/// Kebab-case name of a family, used as the prefix of demo sample ids ("format-string-0042").
const char* weaknessFamilyName(WeaknessFamily family);

} // namespace headbench
