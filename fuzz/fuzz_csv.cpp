// Any bytes as a CSV dataset: parsed, or refused with headbench::Error; nothing else.
#include "Dataset.h"
#include "Error.h"

#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    try {
        const headbench::Dataset d = headbench::parseCsv(in, "fuzz.csv");
        // What was accepted is consistent: one label per text, labels in range, two classes.
        if (d.labels.size() != d.texts.size() || d.ids.size() != d.texts.size() || d.labelNames.size() < 2)
            __builtin_trap();
        for (int label : d.labels)
            if (label < 0 || label >= d.numClasses())
                __builtin_trap();
    } catch (const headbench::Error&) {
    }
    return 0;
}
