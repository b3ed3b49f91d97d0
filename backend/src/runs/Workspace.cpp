#include <headbench/runs/Workspace.h>

#include <headbench/core/Error.h>

#include <filesystem>
#include <system_error>

namespace headbench {

namespace fs = std::filesystem;

void createWorkspace(const std::string& dir)
{
    const fs::path path(dir);
    std::error_code ec;
    if (fs::exists(path, ec)) {
        if (!fs::is_directory(path, ec))
            throw Error(dir + ": is a file, not a folder");
        if (!fs::is_empty(path, ec))
            throw Error(dir + ": is not empty; a new workspace needs an empty folder (or open it as a workspace)");
    }
    for (const char* sub : {"features", "runs"}) {
        fs::create_directories(path / sub, ec);
        if (ec)
            throw Error(dir + ": cannot create " + sub + "/: " + ec.message());
    }
}

void checkWorkspaceToRead(const std::string& dir)
{
    std::error_code ec;
    if (!fs::exists(dir, ec))
        throw Error(dir + ": no such workspace (the folder does not exist)");
    if (!fs::is_directory(dir, ec))
        throw Error(dir + ": is a file, not a workspace folder");
}

} // namespace headbench
