#pragma once
/// \file Shard.h
/// One task's part of work split over a job array: `extract --shard I/N` takes every N-th slice
/// of the rows, `sweep --shard I/N` and `train --repeats/--cv --shard I/N` the points, seeds or
/// folds p with p mod N = I. Spelled "I/N", 0-based, as Slurm's SLURM_ARRAY_TASK_ID and
/// SLURM_ARRAY_TASK_COUNT give them.
#include <cstddef>
#include <string>

namespace headbench {

struct Shard {
    int index = 0;
    int count = 1;
    /// Whether item `p` of the whole list (0-based) is this shard's: p mod count = index.
    bool owns(std::size_t p) const { return static_cast<int>(p % static_cast<std::size_t>(count)) == index; }
    bool whole() const { return count == 1; }
};

/// Parses "I/N" with 0 <= I < N. Throws headbench::Error naming `flag` and the text otherwise.
Shard parseShard(const std::string& text, const std::string& flag = "--shard");

} // namespace headbench
