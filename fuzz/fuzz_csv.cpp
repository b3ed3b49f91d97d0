// Any bytes as a CSV dataset.
#include "DatasetFuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    return fuzzDataset(headbench::parseCsv, data, size, "fuzz.csv");
}
