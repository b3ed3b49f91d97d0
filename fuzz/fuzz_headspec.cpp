// Any bytes as a head spec: refused with headbench::Error, or a spec that survives validation,
// the architecture description and a JSON round trip unchanged.
#include <headbench/core/Error.h>
#include <headbench/train/HeadSpec.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const headbench::HeadSpec spec = headbench::headSpecFromJson(text, "fuzz.json");
        if (!headbench::validate(spec, 2).empty())
            return 0;
        const auto layers = headbench::describeLayers(spec, 768, 2);
        if (layers.empty() || headbench::parameterCount(spec, 768, 2) <= 0)
            __builtin_trap();
        const std::string json = headbench::toJson(spec);
        if (headbench::toJson(headbench::headSpecFromJson(json, "round trip")) != json)
            __builtin_trap();
        (void)headbench::summary(spec);
    } catch (const headbench::Error&) {
    }
    return 0;
}
