// Feature files as other writers make them: the input chooses each dataset's presence, type,
// rank, shape (declared extents far beyond what is written included), contents and the root
// attributes, and the file is written through the HDF5 API, so libhdf5 always reads a
// well-formed file and what is exercised is HeadBench's own checking: readFeatureFile refuses
// the file with headbench::Error, or returns a set whose shapes and values hold together.
// Byte-level corruption of the HDF5 structure is not generated: libhdf5's own parser is not
// hardened against it (docs/SECURITY.md), and its crashes are not ours to find here.
#include <headbench/core/Error.h>
#include <headbench/data/FeatureFile.h>

#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

hid_t numericType(FuzzedDataProvider& in)
{
    static const hid_t* const types[] = {&H5T_NATIVE_FLOAT_g, &H5T_NATIVE_DOUBLE_g, &H5T_NATIVE_INT8_g, &H5T_NATIVE_UINT8_g,
                                         &H5T_NATIVE_INT32_g, &H5T_NATIVE_INT64_g, &H5T_NATIVE_UINT64_g};
    return *types[in.ConsumeIntegralInRange<std::size_t>(0, std::size(types) - 1)];
}

/// A dataset of `type` whose first dimension is `rows` (rank 1 or 2, sometimes 0 or 3), filled
/// from the input; sometimes chunked with a declared extent far larger than its data.
void numericDataset(FuzzedDataProvider& in, hid_t file, const char* name, hid_t type, hsize_t rows, hsize_t cols)
{
    const int rankChoice = in.ConsumeIntegralInRange<int>(0, 9);
    const int rank = rankChoice == 0 ? 0 : rankChoice == 1 ? 3 : (cols > 0 ? 2 : 1);
    hsize_t dims[3] = {rows, cols > 0 ? cols : 2, 2};
    const bool declaredOnly = in.ConsumeIntegralInRange<int>(0, 15) == 0;
    if (declaredOnly) // a shape no memory holds (2^40 rows, or 2^58: rows x dim wraps 2^64)
        dims[0] = in.ConsumeBool() ? (hsize_t{1} << 40) : (hsize_t{1} << 58) + 400;
    const hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (declaredOnly && rank > 0) {
        hsize_t chunk[3] = {1, 1, 1};
        H5Pset_chunk(dcpl, rank, chunk);
    }
    const hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (set >= 0 && !declaredOnly) {
        hsize_t count = 1;
        for (int d = 0; d < rank; ++d)
            count *= dims[d];
        std::vector<unsigned char> bytes = in.ConsumeBytes<unsigned char>(count * H5Tget_size(type));
        bytes.resize(count * H5Tget_size(type), 0);
        // Mostly small class-like values, so that some files get past the first checks.
        if (in.ConsumeBool() && H5Tget_class(type) == H5T_INTEGER)
            for (auto& b : bytes)
                b %= 3;
        H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
    }
    if (set >= 0)
        H5Dclose(set);
    H5Pclose(dcpl);
    H5Sclose(space);
}

void stringDataset(FuzzedDataProvider& in, hid_t file, const char* name, hsize_t rows)
{
    const hid_t type = H5Tcopy(H5T_C_S1);
    const bool fixed = in.ConsumeBool();
    H5Tset_size(type, fixed ? in.ConsumeIntegralInRange<std::size_t>(1, 12) : H5T_VARIABLE);
    H5Tset_cset(type, in.ConsumeBool() ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    const hid_t space = H5Screate_simple(1, &rows, nullptr);
    const hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<std::string> values;
    for (hsize_t r = 0; r < rows; ++r)
        values.push_back(in.ConsumeRandomLengthString(24));
    if (set >= 0) {
        if (fixed) {
            const std::size_t width = H5Tget_size(type);
            std::string buffer(rows * width, '\0');
            for (hsize_t r = 0; r < rows; ++r)
                buffer.replace(r * width, std::min(width, values[r].size()), values[r].substr(0, width));
            H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
        } else {
            std::vector<const char*> pointers;
            for (const auto& v : values)
                pointers.push_back(v.c_str());
            H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
        }
        H5Dclose(set);
    }
    H5Sclose(space);
    H5Tclose(type);
}

void stringAttribute(hid_t file, const char* name, const std::vector<std::string>& values, bool scalar)
{
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hsize_t n = values.size();
    const hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
    std::vector<const char*> pointers;
    for (const auto& v : values)
        pointers.push_back(v.c_str());
    if (pointers.empty())
        pointers.push_back("");
    const hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        H5Awrite(attr, type, pointers.data());
        H5Aclose(attr);
    }
    H5Sclose(space);
    H5Tclose(type);
}

void intAttribute(hid_t file, const char* name, long long value)
{
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate2(file, name, H5T_NATIVE_LLONG, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        H5Awrite(attr, H5T_NATIVE_LLONG, &value);
        H5Aclose(attr);
    }
    H5Sclose(space);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // libhdf5's own error stack printing
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::string path = [] {
        char name[] = "/tmp/fuzz_featurefileXXXXXX";
        const int fd = ::mkstemp(name);
        if (fd >= 0)
            ::close(fd);
        return std::string(name);
    }();
    FuzzedDataProvider in(data, size);
    const hsize_t rows = in.ConsumeIntegralInRange<hsize_t>(0, 40);
    const hsize_t dim = in.ConsumeIntegralInRange<hsize_t>(0, 8);
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        return 0;
    auto rowsOf = [&] { return in.ConsumeIntegralInRange<int>(0, 7) == 0 ? in.ConsumeIntegralInRange<hsize_t>(0, 45) : rows; };
    if (in.ConsumeIntegralInRange<int>(0, 15) != 0)
        numericDataset(in, file, "features", in.ConsumeIntegralInRange<int>(0, 3) ? H5T_NATIVE_FLOAT : numericType(in),
                       rowsOf(), dim);
    if (in.ConsumeIntegralInRange<int>(0, 15) != 0)
        numericDataset(in, file, "labels", numericType(in), rowsOf(), 0);
    if (in.ConsumeBool())
        stringDataset(in, file, "text", rowsOf());
    if (in.ConsumeBool()) {
        if (in.ConsumeBool())
            stringDataset(in, file, "ids", rowsOf());
        else
            numericDataset(in, file, "ids", numericType(in), rowsOf(), 0);
    }
    if (in.ConsumeBool())
        numericDataset(in, file, "split", numericType(in), rowsOf(), 0);
    if (in.ConsumeBool()) {
        if (in.ConsumeBool())
            stringDataset(in, file, "groups", rowsOf());
        else
            numericDataset(in, file, "groups", numericType(in), rowsOf(), 0);
    }
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0)
        numericDataset(in, file, "n_tokens", numericType(in), rowsOf(), 0);
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0)
        numericDataset(in, file, "row_index", numericType(in), rowsOf(), 0);
    if (in.ConsumeBool()) {
        std::vector<std::string> names;
        const int k = in.ConsumeIntegralInRange<int>(0, 5);
        for (int i = 0; i < k; ++i)
            names.push_back(in.ConsumeRandomLengthString(12));
        stringAttribute(file, "label_names", names, false);
    }
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0)
        intAttribute(file, "format_version", in.ConsumeIntegralInRange<long long>(-1, 3));
    if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
        // A version-2 file: a default set named by an attribute, and sets under /feature_sets.
        const hid_t group = H5Gcreate2(file, "feature_sets", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        const int sets = in.ConsumeIntegralInRange<int>(0, 2);
        for (int s = 0; s < sets && group >= 0; ++s)
            numericDataset(in, group, s == 0 ? "layer1.mean" : "last.cls", H5T_NATIVE_FLOAT, rowsOf(),
                           in.ConsumeIntegralInRange<hsize_t>(0, 6));
        if (group >= 0)
            H5Gclose(group);
        stringAttribute(file, "default_feature_set", {in.ConsumeBool() ? "layer1.mean" : in.ConsumeRandomLengthString(12)}, true);
    }
    for (const char* name : {"backbone", "split_source", "shard_index", "shard_count", "total_rows", "pooling"})
        if (in.ConsumeIntegralInRange<int>(0, 5) == 0)
            stringAttribute(file, name, {in.ConsumeRandomLengthString(16)}, in.ConsumeBool());
    H5Fclose(file);

    try {
        headbench::FeatureReadOptions options;
        options.loadAllSets = in.ConsumeBool();
        const headbench::FeatureSet set = headbench::readFeatureFile(path, options);
        // What a reader promises: shapes that agree, labels inside the classes, splits 0..2,
        // finite features.
        if (set.rows < 0 || set.dim <= 0 || static_cast<std::int64_t>(set.labels.size()) != set.rows ||
            set.features.size() != static_cast<std::size_t>(set.rows * set.dim) || set.labelNames.size() < 2)
            __builtin_trap();
        for (auto label : set.labels)
            if (label < 0 || label >= static_cast<std::int32_t>(set.labelNames.size()))
                __builtin_trap();
        if (!set.split.empty() && static_cast<std::int64_t>(set.split.size()) != set.rows)
            __builtin_trap();
        for (auto code : set.split)
            if (code > 2)
                __builtin_trap();
        for (std::size_t i = 0; i < set.features.size(); ++i)
            if (!std::isfinite(set.features.data()[i]))
                __builtin_trap();
        (void)headbench::summarize(set);
    } catch (const headbench::Error&) {
    }
    return 0;
}
