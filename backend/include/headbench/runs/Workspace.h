#pragma once
/// \file Workspace.h
/// A workspace is a folder holding `features/` (feature files) and `runs/` (RunStore).
#include <string>

namespace headbench {

/// Makes `dir` a new workspace: creates it when missing and its `features/` and `runs/`
/// folders. Throws headbench::Error when `dir` is a file, already holds anything (a new
/// workspace is never made over other files), or cannot be created.
void createWorkspace(const std::string& dir);

} // namespace headbench
