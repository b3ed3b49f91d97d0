#include "extract/TorchLibrary.h"

#include <headbench/core/Error.h>
#include <headbench/core/PluginPath.h>

#include <dlfcn.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>

namespace headbench {
namespace {

using Entry = void* (*)(const char*);

std::atomic<bool> g_loaded{false};

Entry entryFunction()
{
    static Entry entry = nullptr;
    static std::string error;
    static std::once_flag once;
    std::call_once(once, [] {
        std::string tried;
        for (const auto& p : pluginCandidates("HEADBENCH_TORCH_MODULE", HEADBENCH_TORCH_MODULE_NAME,
                                              HEADBENCH_TORCH_MODULE_LIBDIR, HEADBENCH_TORCH_MODULE_BUILD_PATH,
                                              HEADBENCH_TORCH_MODULE_INSTALL_PATH)) {
            std::error_code ec;
            if (!std::filesystem::exists(p, ec))
                continue;
            // Never closed: objects it made (backbones, heads) live as long as the process.
            void* handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!handle) {
                tried += std::string("; ") + dlerror();
                continue;
            }
            entry = reinterpret_cast<Entry>(dlsym(handle, "headbench_torch_entry"));
            if (entry) {
                g_loaded = true;
                return;
            }
            tried += "; " + p.string() + " lacks headbench_torch_entry";
        }
        error = "HeadBench's LibTorch module " HEADBENCH_TORCH_MODULE_NAME " was not found beside the program, in ../" HEADBENCH_TORCH_MODULE_LIBDIR
                ", in the build folder or at " HEADBENCH_TORCH_MODULE_INSTALL_PATH " (set HEADBENCH_TORCH_MODULE to its path)" +
                tried;
    });
    if (!entry)
        throw Error(error);
    return entry;
}

} // namespace

void* torchLibraryEntry(const char* name)
{
    void* f = entryFunction()(name);
    if (!f)
        throw Error(std::string("HeadBench's LibTorch module has no function '") + name +
                    "' (a module from another build?)");
    return f;
}

bool torchLibraryLoaded()
{
    return g_loaded;
}

} // namespace headbench
