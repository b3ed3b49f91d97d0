// Any bytes as a safetensors file: the header reader refuses it with headbench::Error, or every
// tensor it returns has a known dtype, a span matching dtype x shape inside the data, and no two
// spans overlap. The input goes through the whole-file reader (length prefix, limits, file size).
#include <headbench/core/Error.h>
#include <headbench/core/Safetensors.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::string path = [] {
        char name[] = "/tmp/fuzz_safetensorsXXXXXX";
        const int fd = ::mkstemp(name);
        if (fd >= 0)
            ::close(fd);
        return std::string(name);
    }();
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        const headbench::SafetensorsHeader h = headbench::readSafetensorsHeader(path);
        if (h.dataOffset + h.dataSize != size)
            __builtin_trap();
        std::uint64_t previousEnd = 0;
        for (const auto& t : h.tensors) {
            const std::size_t bytes = headbench::safetensorsDtypeSize(t.dtype);
            if (bytes == 0 || t.end < t.begin || t.end > h.dataSize || t.begin < previousEnd)
                __builtin_trap();
            if (static_cast<std::uint64_t>(t.elements()) * bytes != t.end - t.begin)
                __builtin_trap();
            previousEnd = std::max(previousEnd, t.end);
        }
    } catch (const headbench::Error&) {
    }
    return 0;
}
