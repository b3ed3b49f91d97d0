#pragma once
/// \file PluginPath.h
/// Where HeadBench looks for a module it loads at run time (the SentencePiece plugin, the
/// LibTorch part of the backend), in order.
#include <filesystem>
#include <vector>

namespace headbench {

/// The places to try for the module file `name`: the path in the environment variable `env` when
/// set; beside the running program; `libdir` relative to the program's parent (where
/// `cmake --install --prefix P` and the .deb put it, relative to P/bin: an absolute path compiled
/// in only holds for the prefix the build was configured with); `buildPath`; `installPath`.
std::vector<std::filesystem::path> pluginCandidates(const char* env, const char* name, const char* libdir,
                                                    const char* buildPath, const char* installPath);

} // namespace headbench
