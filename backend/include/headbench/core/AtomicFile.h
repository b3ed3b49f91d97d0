#pragma once
/// \file AtomicFile.h
/// The one way the backend replaces a file: a temporary file with a unique name in the target's
/// folder, written, fsync'd, renamed over the target, and the folder fsync'd, so that neither a
/// crash nor a power cut can leave a half-written or empty file under the target's name. On any
/// failure (including an exception from the writer) the temporary file is removed and the target
/// is left as it was. Temporary files of the same target that a crashed writer left (its process
/// gone, untouched for ten minutes) are removed before the next write.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace headbench {

/// Replaces `path` with what `write` puts into the temporary file whose path it is given (for
/// writers that open files themselves: HDF5, TorchScript). The temporary file exists, empty,
/// when `write` is called. Throws headbench::Error naming `path` when anything fails.
void writeFileAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write);

/// Throws headbench::Error when `out` is one of `inputs` (the same file, by any name): an
/// output written there would destroy what it is made from. `what` names the inputs ("the
/// dataset", "one of the shards").
void refuseToReplaceAnInput(const std::string& out, const std::vector<std::string>& inputs, const std::string& what);

/// Replaces `path` with `bytes`.
void writeFileAtomically(const std::string& path, std::string_view bytes);

/// Replaces `path` with what `write` streams (checked for errors before the rename).
void writeStreamAtomically(const std::string& path, const std::function<void(std::ostream&)>& write);

/// How many fsync calls the atomic writes have made in this process (files and folders): lets
/// a test see that data reached the disk without tracing system calls.
std::uint64_t atomicFileSyncCount();

} // namespace headbench
