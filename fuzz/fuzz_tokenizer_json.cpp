// Any bytes as a tokenizer.json: refused with headbench::Error, or a tokenizer that encodes.
#include <headbench/core/Error.h>
#include <headbench/text/Tokenizer.h>

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        const auto tok = headbench::parseHfTokenizer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
        for (std::int64_t id : tok->encode("int main(void) { return 0; } // d\u00e9j\u00e0 vu", 32))
            if (id < 0 || id >= tok->vocabSize())
                __builtin_trap();
    } catch (const headbench::Error&) {
    }
    return 0;
}
