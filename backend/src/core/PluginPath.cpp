#include <headbench/core/PluginPath.h>

#include <cstdlib>

namespace headbench {

std::vector<std::filesystem::path> pluginCandidates(const char* env, const char* name, const char* libdir,
                                                    const char* buildPath, const char* installPath)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> out;
    if (const char* given = std::getenv(env))
        out.emplace_back(given);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        out.push_back(exe.parent_path() / name);
        out.push_back(exe.parent_path() / ".." / libdir / name);
    }
    out.emplace_back(buildPath);
    out.emplace_back(installPath);
    return out;
}

} // namespace headbench
