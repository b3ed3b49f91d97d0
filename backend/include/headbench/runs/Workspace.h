#pragma once
/// \file Workspace.h
/// A workspace is a folder holding `features/` (feature files) and `runs/` (RunStore).
#include <string>

namespace headbench {

/// Makes `dir` a new workspace: creates it when missing and its `features/` and `runs/`
/// folders. Throws headbench::Error when `dir` is a file, already holds anything (a new
/// workspace is never made over other files), or cannot be created.
void createWorkspace(const std::string& dir);

/// For commands that read a workspace (runs, compare --sweep): throws headbench::Error when
/// `dir` does not exist or is a file ("no runs in …" read as an empty workspace).
void checkWorkspaceToRead(const std::string& dir);

} // namespace headbench
