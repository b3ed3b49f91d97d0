#pragma once
// Shared by the JSONL and CSV targets: any bytes are parsed, or refused with headbench::Error;
// what is accepted is consistent (one label and id per text, labels in range, two classes).
#include "Dataset.h"
#include "Error.h"

#include <cstdint>
#include <sstream>
#include <string>

template <typename Parser> int fuzzDataset(Parser parse, const std::uint8_t* data, std::size_t size, const char* name)
{
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    try {
        const headbench::Dataset d = parse(in, name, headbench::FieldMap{});
        if (d.labels.size() != d.texts.size() || d.ids.size() != d.texts.size() || d.labelNames.size() < 2)
            __builtin_trap();
        for (int label : d.labels)
            if (label < 0 || label >= d.numClasses())
                __builtin_trap();
    } catch (const headbench::Error&) {
    }
    return 0;
}
