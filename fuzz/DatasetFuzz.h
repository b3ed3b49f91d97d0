#pragma once
// Shared by the JSONL and CSV targets: any bytes are parsed, or refused with headbench::Error;
// what is accepted is consistent (one label and id per text, labels in range, two classes; a
// split and a group per row when asked for). Each input is read twice: as is, and with a split
// field, a group field and invalid rows skipped.
#include <headbench/core/Error.h>
#include <headbench/data/Dataset.h>

#include <cstdint>
#include <sstream>
#include <string>

template <typename Parser> int fuzzDataset(Parser parse, const std::uint8_t* data, std::size_t size, const char* name)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    for (int pass = 0; pass < 2; ++pass) {
        headbench::FieldMap fields;
        headbench::LoadOptions options;
        if (pass == 1) {
            fields.split = "split";
            fields.group = "group";
            options.skipInvalid = true;
        }
        std::istringstream in(bytes);
        try {
            const headbench::Dataset d = parse(in, name, fields, options);
            if (d.labels.size() != d.texts.size() || d.ids.size() != d.texts.size() || d.labelNames.size() < 2)
                __builtin_trap();
            for (int label : d.labels)
                if (label < 0 || label >= d.numClasses())
                    __builtin_trap();
            if (pass == 1 && (d.groups.size() != d.texts.size() || (!d.split.empty() && d.split.size() != d.texts.size())))
                __builtin_trap();
            for (auto code : d.split)
                if (code > 2)
                    __builtin_trap();
        } catch (const headbench::Error&) {
        }
    }
    return 0;
}
