// Any bytes as a JSONL dataset.
#include "DatasetFuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    return fuzzDataset(headbench::parseJsonl, data, size, "fuzz.jsonl");
}
