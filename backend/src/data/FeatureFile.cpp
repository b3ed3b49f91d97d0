#include <headbench/data/FeatureFile.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/core/Plural.h>

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <new>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_map>

namespace headbench {

namespace detail {

namespace {
constexpr std::size_t kHugeBlock = std::size_t{8} << 20, kHugePage = std::size_t{2} << 20;
} // namespace

void* allocateMatrix(std::size_t bytes)
{
    if (bytes < kHugeBlock)
        return ::operator new(bytes);
    void* p = ::operator new(bytes, std::align_val_t{kHugePage});
    // Before the first touch, so that the pages are faulted in huge (a hint: the kernel may say
    // no, e.g. with transparent huge pages off, and the memory works the same).
    ::madvise(p, bytes & ~(std::size_t{4096} - 1), MADV_HUGEPAGE);
    return p;
}

void freeMatrix(void* p, std::size_t bytes) noexcept
{
    if (bytes < kHugeBlock)
        ::operator delete(p);
    else
        ::operator delete(p, std::align_val_t{kHugePage});
}

} // namespace detail

namespace {

/// Owns one HDF5 identifier and closes it with the matching function.
class H5Handle {
public:
    H5Handle() = default;
    H5Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    H5Handle(const H5Handle&) = delete;
    H5Handle& operator=(const H5Handle&) = delete;
    H5Handle(H5Handle&& o) noexcept : m_id(std::exchange(o.m_id, -1)), m_close(o.m_close) {}
    ~H5Handle()
    {
        if (m_id >= 0 && m_close)
            m_close(m_id);
    }
    hid_t get() const { return m_id; }
    bool valid() const { return m_id >= 0; }

private:
    hid_t m_id = -1;
    herr_t (*m_close)(hid_t) = nullptr;
};

/// HDF5 prints its error stack to stderr by default; our messages replace it. Once per
/// thread: a thread-safe HDF5 (Debian's is) keeps that setting per thread, and the window reads
/// files on pool threads.
void silenceHdf5()
{
    thread_local const bool once = [] {
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        return true;
    }();
    (void)once;
}

/// A dataset's compression filter that this HDF5 library cannot decode, as a sentence ("uses
/// the lzf filter (32000), which ..."); empty when every filter is available. A read of such a
/// dataset fails like a damaged file's, so the failure is explained by it.
std::string missingFilter(hid_t dataset)
{
    H5Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
    if (!dcpl.valid())
        return {};
    const int n = H5Pget_nfilters(dcpl.get());
    for (int i = 0; i < n; ++i) {
        unsigned flags = 0, config = 0;
        std::size_t values = 0;
        char name[64] = {0};
        const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &values, nullptr, sizeof name,
                                               name, &config);
        if (id < 0 || H5Zfilter_avail(id) > 0)
            continue;
        const std::string label = id == 32000 ? std::string("lzf") : name[0] ? std::string(name) : std::string("a plug-in");
        return fmt::format("is compressed with the {} filter (HDF5 filter {}), which this HDF5 library cannot decode; "
                           "write it again with gzip (h5py: compression='gzip') or uncompressed",
                           label, id);
    }
    return {};
}

bool exists(hid_t file, const char* name)
{
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

std::vector<hsize_t> shapeOf(hid_t dataset)
{
    H5Handle space(H5Dget_space(dataset), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0)
        H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    return dims;
}

std::string shapeText(const std::vector<hsize_t>& dims)
{
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i)
        s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

/// Reads a string dataset or attribute (variable- or fixed-length) into std::strings.
/// `isAttr` selects H5Aread; `count` is the number of elements.
std::vector<std::string> readStrings(hid_t obj, bool isAttr, std::size_t count, const std::string& what)
{
    H5Handle type(isAttr ? H5Aget_type(obj) : H5Dget_type(obj), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING)
        throw Error(what + " is not a string array");
    std::vector<std::string> out(count);
    if (H5Tis_variable_str(type.get()) > 0) {
        H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(mem.get(), H5T_VARIABLE);
        H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
        H5Handle wholeSpace(isAttr ? H5Aget_space(obj) : H5Dget_space(obj), H5Sclose);
        if (isAttr || H5Sget_simple_extent_ndims(wholeSpace.get()) != 1 ||
            H5Sget_simple_extent_npoints(wholeSpace.get()) != static_cast<hssize_t>(count)) {
            std::vector<char*> ptrs(count, nullptr);
            const herr_t rc = isAttr ? H5Aread(obj, mem.get(), ptrs.data())
                                     : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
            if (rc < 0)
                throw Error(what + " cannot be read");
            for (std::size_t i = 0; i < count; ++i)
                out[i] = ptrs[i] ? ptrs[i] : "";
            H5Dvlen_reclaim(mem.get(), wholeSpace.get(), H5P_DEFAULT, ptrs.data());
            return out;
        }
        // A dataset in blocks of rows: HDF5 allocates every string it reads, and reading all of
        // them before copying held the texts twice (150,000 functions: about 50 MB more at the peak).
        H5Handle fileSpace(H5Dget_space(obj), H5Sclose);
        constexpr std::size_t kBlock = 4096;
        std::vector<char*> ptrs(std::min(count, kBlock), nullptr);
        for (std::size_t start = 0; start < count; start += kBlock) {
            const hsize_t offset[1] = {start};
            const hsize_t n[1] = {std::min(kBlock, count - start)};
            H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, offset, nullptr, n, nullptr);
            H5Handle memSpace(H5Screate_simple(1, n, nullptr), H5Sclose);
            std::fill(ptrs.begin(), ptrs.end(), nullptr);
            if (H5Dread(obj, mem.get(), memSpace.get(), fileSpace.get(), H5P_DEFAULT, ptrs.data()) < 0)
                throw Error(what + " cannot be read");
            for (std::size_t i = 0; i < n[0]; ++i)
                out[start + i] = ptrs[i] ? ptrs[i] : "";
            H5Dvlen_reclaim(mem.get(), memSpace.get(), H5P_DEFAULT, ptrs.data());
        }
    } else {
        const std::size_t size = H5Tget_size(type.get());
        std::vector<char> buffer(size * count);
        const herr_t rc = isAttr ? H5Aread(obj, type.get(), buffer.data())
                                 : H5Dread(obj, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
        if (rc < 0)
            throw Error(what + " cannot be read");
        for (std::size_t i = 0; i < count; ++i) {
            const char* p = buffer.data() + i * size;
            out[i] = std::string(p, strnlen(p, size));
        }
    }
    return out;
}

std::string readStringAttr(hid_t file, const char* name)
{
    if (H5Aexists(file, name) <= 0)
        return {};
    H5Handle attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
    H5Handle space(H5Aget_space(attr.get()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        return {};
    H5Handle type(H5Aget_type(attr.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_STRING)
        return {};
    return readStrings(attr.get(), true, 1, std::string("attribute ") + name).front();
}

herr_t collectAttribute(hid_t obj, const char* name, const H5A_info_t*, void* data)
{
    static const char* const known[] = {"backbone", "backbone_version", "label_names", "format_version",
                                        "default_feature_set"};
    for (const char* k : known)
        if (std::strcmp(name, k) == 0)
            return 0;
    auto* out = static_cast<std::map<std::string, std::string>*>(data);
    try {
        const std::string value = readStringAttr(obj, name);
        if (!value.empty())
            (*out)[name] = value;
    } catch (const Error&) {
        // not a readable string attribute: not ours, ignored
    }
    return 0;
}

std::map<std::string, std::string> readAttributes(hid_t file)
{
    std::map<std::string, std::string> out;
    hsize_t idx = 0;
    H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collectAttribute, &out);
    return out;
}

/// Validates the UTF-8 of a string (texts shown in the GUI must be valid).
bool isValidUtf8(const std::string& s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size())
            return false;
        for (int k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2)
                return false;
        i += static_cast<std::size_t>(extra) + 1;
    }
    return true;
}

void writeStrings(hid_t file, const char* name, const std::vector<std::string>& values)
{
    const hsize_t n = values.size();
    H5Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    H5Handle ds(H5Dcreate2(file, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    std::vector<const char*> ptrs(values.size());
    // HDF5 keeps these strings as C strings: a NUL ("\u0000" in a JSONL text) ended the stored
    // text there, and the window showed a cut function whose features were of the whole one.
    // It is stored as U+2400 (the visible symbol for NUL); the features keep the original.
    std::vector<std::string> replaced;
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i].find('\0') != std::string::npos) {
            replaced.reserve(values.size()); // no reallocation: ptrs point into it
            std::string v;
            for (char c : values[i])
                v += c == '\0' ? std::string_view("\xE2\x90\x80") : std::string_view(&c, 1);
            replaced.push_back(std::move(v));
            ptrs[i] = replaced.back().c_str();
        } else {
            ptrs[i] = values[i].c_str();
        }
    if (!ds.valid() || H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
        throw Error(std::string("writing /") + name + " failed");
}

void writeStringAttr(hid_t file, const char* name, const std::string& value)
{
    H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), H5T_VARIABLE);
    H5Tset_cset(type.get(), H5T_CSET_UTF8);
    H5Handle attr(H5Acreate2(file, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const char* p = value.c_str();
    if (!attr.valid() || H5Awrite(attr.get(), type.get(), &p) < 0)
        throw Error(std::string("writing attribute ") + name + " failed");
}

/// An optional 1-D dataset of one string per row, stored as strings or as integers (ids and
/// groups written by h5py are often integers); empty when the file has no such dataset.
std::vector<std::string> readRowStrings(hid_t file, const char* name, std::int64_t rows, const std::string& where)
{
    std::vector<std::string> out;
    if (!exists(file, name))
        return out;
    const std::string what = where + "/" + name;
    H5Handle ds(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    const auto dims = shapeOf(ds.get());
    if (dims.size() != 1 || static_cast<std::int64_t>(dims[0]) != rows)
        throw Error(what + " must be 1-D with " + std::to_string(rows) + " rows, found shape " + shapeText(dims));
    H5Handle type(H5Dget_type(ds.get()), H5Tclose);
    if (H5Tget_class(type.get()) != H5T_INTEGER)
        return readStrings(ds.get(), false, static_cast<std::size_t>(rows), what);
    std::vector<long long> raw(static_cast<std::size_t>(rows));
    if (H5Dread(ds.get(), H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
        throw Error(what + " cannot be read");
    out.reserve(raw.size());
    for (long long v : raw)
        out.push_back(std::to_string(v));
    return out;
}

/// Reads a float [N, D] matrix (the default `/features` or a feature set), checking its shape,
/// its type and every row for NaN/Inf.
void readMatrix(hid_t file, const std::string& name, const std::string& where, std::int64_t& rows, std::int64_t& dim,
                FeatureMatrix& out)
{
    if (!exists(file, name.c_str()))
        throw Error(where + "missing dataset /" + name);
    H5Handle feat(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!feat.valid())
        throw Error(where + "/" + name + " cannot be opened");
    const auto fdims = shapeOf(feat.get());
    if (fdims.size() != 2)
        throw Error(where + "/" + name + " must be 2-D [rows, dim], found shape " + shapeText(fdims));
    rows = static_cast<std::int64_t>(fdims[0]);
    dim = static_cast<std::int64_t>(fdims[1]);
    if (rows == 0 || dim == 0)
        throw Error(where + "/" + name + " is empty, shape " + shapeText(fdims));
    // A declared shape is not data: rows x dim that wraps around 2^64 allocated a few bytes and
    // then read 2^58 rows into them (a crash); one that does not fit in memory ended in an
    // unnamed bad_alloc.
    constexpr std::int64_t kMaxFloats = std::int64_t{1} << 40; // 4 TiB of float32
    if (fdims[0] > static_cast<hsize_t>(kMaxFloats) || fdims[1] > static_cast<hsize_t>(kMaxFloats) ||
        rows > kMaxFloats / dim)
        throw Error(where + "/" + name + " declares shape " + shapeText(fdims) +
                    ", more values than any machine can hold: the file is damaged or not a feature file");
    {
        H5Handle type(H5Dget_type(feat.get()), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_FLOAT)
            throw Error(where + "/" + name + " must be float32 (float64 is converted), found " +
                        (H5Tget_class(type.get()) == H5T_INTEGER ? "integers" : "a non-numeric type"));
        // float64 is read through HDF5's conversion into float32.
    }
    // More than the machine's memory is refused before it is asked for: the allocation is not
    // touched until read, so it could succeed and the read then exhaust the machine.
    const double bytes = static_cast<double>(rows) * static_cast<double>(dim) * sizeof(float);
    const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    const auto tooBig = [&] {
        return Error(fmt::format("{}/{} of shape {} needs {:.1f} GiB of memory, more than this machine can give", where,
                                 name, shapeText(fdims), bytes / (1 << 30)));
    };
    if (physical > 0 && bytes > physical)
        throw tooBig();
    try {
        out.resize(static_cast<std::size_t>(rows * dim));
    } catch (const std::bad_alloc&) {
        throw tooBig();
    }
    // Read in blocks of whole chunks (about 4 MiB) and check each block for NaN/Inf while it is
    // still in cache, instead of a second pass over the whole matrix.
    std::int64_t blockRows = std::max<std::int64_t>(1, (4 << 20) / (dim * static_cast<std::int64_t>(sizeof(float))));
    {
        H5Handle dcpl(H5Dget_create_plist(feat.get()), H5Pclose);
        hsize_t chunk[2] = {0, 0};
        if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED && H5Pget_chunk(dcpl.get(), 2, chunk) == 2 && chunk[0] > 0)
            blockRows = std::max<std::int64_t>(1, blockRows / static_cast<std::int64_t>(chunk[0])) * static_cast<std::int64_t>(chunk[0]);
    }
    H5Handle fileSpace(H5Dget_space(feat.get()), H5Sclose);
    std::int64_t badRows = 0, firstBad = -1;
    for (std::int64_t start = 0; start < rows; start += blockRows) {
        const std::int64_t n = std::min(blockRows, rows - start);
        const hsize_t offset[2] = {static_cast<hsize_t>(start), 0};
        const hsize_t count[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(dim)};
        H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, offset, nullptr, count, nullptr);
        H5Handle memSpace(H5Screate_simple(2, count, nullptr), H5Sclose);
        float* block = out.data() + start * dim;
        if (H5Dread(feat.get(), H5T_NATIVE_FLOAT, memSpace.get(), fileSpace.get(), H5P_DEFAULT, block) < 0) {
            const std::string filter = missingFilter(feat.get());
            throw Error(where + "/" + name + (filter.empty() ? " cannot be read (corrupt or truncated file)" : " " + filter));
        }
        for (std::int64_t r = 0; r < n; ++r) {
            const float* row = block + r * dim;
            float sum = 0; // NaN or Inf anywhere makes the sum non-finite: one cheap check per row
            for (std::int64_t j = 0; j < dim; ++j)
                sum += row[j] * 0.0f;
            if (!std::isfinite(sum)) {
                if (firstBad < 0)
                    firstBad = start + r;
                ++badRows;
            }
        }
    }
    if (badRows > 0)
        throw Error(where + plural(badRows, "row") + " of /" + name + (badRows == 1 ? " holds" : " hold") + " NaN or Inf (first: row " +
                    std::to_string(firstBad) + ")");
}

herr_t collectSetName(hid_t, const char* name, const H5L_info_t*, void* data)
{
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
}

/// The entries of `/feature_sets` in the order they were written (name order for a file
/// whose group does not track it), with their `layer` and `pooling` attributes.
void readFeatureSetList(hid_t file, FeatureSet& set)
{
    if (!exists(file, "feature_sets"))
        return;
    H5Handle group(H5Gopen2(file, "feature_sets", H5P_DEFAULT), H5Gclose);
    std::vector<std::string> names;
    if (H5Literate(group.get(), H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr, collectSetName, &names) < 0) {
        names.clear();
        H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collectSetName, &names);
    }
    for (const std::string& name : names) {
        FeatureSetInfo info;
        info.name = name;
        info.dataset = "/feature_sets/" + name;
        H5Handle ds(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
        if (!ds.valid())
            continue; // not a dataset: not ours
        info.pooling = readStringAttr(ds.get(), "pooling");
        if (H5Aexists(ds.get(), "layer") > 0) {
            H5Handle attr(H5Aopen(ds.get(), "layer", H5P_DEFAULT), H5Aclose);
            long long layer = -1;
            if (H5Aread(attr.get(), H5T_NATIVE_LLONG, &layer) >= 0)
                info.layer = static_cast<int>(layer);
        }
        set.featureSets.push_back(std::move(info));
    }
}

std::string featureSetNames(const std::vector<FeatureSetInfo>& sets)
{
    if (sets.empty())
        return "the file has only the default set at /features";
    std::string out = "the file has ";
    for (std::size_t i = 0; i < sets.size(); ++i)
        out += (i ? ", " : "") + sets[i].name;
    return out;
}

/// Writes `/feature_sets/<name>` for every set: the default one as a hard link to `/features`
/// (no second copy), the others from `setFeatures`; each with attributes layer and pooling.
void writeFeatureSets(hid_t file, const FeatureSet& set)
{
    H5Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Handle group(H5Gcreate2(file, "feature_sets", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose);
    if (!group.valid())
        throw Error("creating /feature_sets failed");
    for (std::size_t i = 0; i < set.featureSets.size(); ++i) {
        const FeatureSetInfo& info = set.featureSets[i];
        if (info.name.empty() || info.name.find('/') != std::string::npos)
            throw Error("invalid feature set name '" + info.name + "'");
        if (info.name == set.featureSet) {
            if (H5Lcreate_hard(file, "features", group.get(), info.name.c_str(), H5P_DEFAULT, H5P_DEFAULT) < 0)
                throw Error("linking /feature_sets/" + info.name + " failed");
        } else {
            static const FeatureMatrix none;
            const FeatureMatrix& m = i < set.setFeatures.size() ? set.setFeatures[i] : none;
            if (m.size() % static_cast<std::size_t>(set.rows) != 0 || m.empty())
                throw Error("feature set " + info.name + " does not match the rows");
            const hsize_t dims[2] = {static_cast<hsize_t>(set.rows), static_cast<hsize_t>(m.size()) / static_cast<hsize_t>(set.rows)};
            const hsize_t chunkRows = std::clamp<hsize_t>((1u << 20) / (dims[1] * sizeof(float)), 1, dims[0]);
            const hsize_t chunk[2] = {chunkRows, dims[1]};
            H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
            H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
            H5Pset_chunk(dcpl.get(), 2, chunk);
            H5Handle ds(H5Dcreate2(group.get(), info.name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
            if (!ds.valid() || H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data()) < 0)
                throw Error("writing /feature_sets/" + info.name + " failed (disk full?)");
        }
        H5Handle ds(H5Dopen2(group.get(), info.name.c_str(), H5P_DEFAULT), H5Dclose);
        H5Handle scalar(H5Screate(H5S_SCALAR), H5Sclose);
        H5Handle layer(H5Acreate2(ds.get(), "layer", H5T_STD_I32LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        const int value = info.layer;
        if (!layer.valid() || H5Awrite(layer.get(), H5T_NATIVE_INT, &value) < 0)
            throw Error("writing the layer of /feature_sets/" + info.name + " failed");
        writeStringAttr(ds.get(), "pooling", info.pooling);
    }
}

} // namespace

std::string FeatureSet::idOf(std::int64_t row) const
{
    return ids.empty() ? std::to_string(row) : ids[static_cast<std::size_t>(row)];
}

std::map<std::string, std::string> readFeatureAttributes(const std::string& path)
{
    silenceHdf5();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || H5Fis_hdf5(path.c_str()) <= 0) {
        H5Eclear2(H5E_DEFAULT); // as in readFeatureFile
        return {};
    }
    H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) {
        H5Eclear2(H5E_DEFAULT);
        return {};
    }
    return readAttributes(file.get());
}

const char* splitName(std::uint8_t code)
{
    switch (code) {
    case kTrain: return "train";
    case kValidation: return "validation";
    case kTest: return "test";
    default: return "unknown";
    }
}

namespace {

/// What can be told before reading: the path is a file (not a folder, a pipe or a device,
/// which would block or never end) and starts as HDF5 does.
void checkIsHdf5File(const std::string& path)
{
    silenceHdf5();
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status))
        throw Error(path + ": no such file");
    if (std::filesystem::is_directory(status))
        throw Error(path + ": is a folder, not a feature file");
    if (!std::filesystem::is_regular_file(status))
        throw Error(path + ": is not a regular file (a pipe or a device?); a feature file is an HDF5 file on disk");
    if (H5Fis_hdf5(path.c_str()) <= 0)
        throw Error(path + ": not an HDF5 file (or truncated)");
}

/// Opens a feature file for reading: it exists, is HDF5, opens, and has /features and /labels.
H5Handle openFeatureFile(const std::string& path)
{
    checkIsHdf5File(path);
    H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid())
        throw Error(path + ": the HDF5 file cannot be opened (corrupt or truncated)");
    for (const char* required : {"features", "labels"})
        if (!exists(file.get(), required))
            throw Error(path + ": missing dataset /" + required);
    return file;
}

} // namespace

void checkFeatureFile(const std::string& path)
{
    try {
        openFeatureFile(path);
    } catch (...) {
        H5Eclear2(H5E_DEFAULT); // as in readFeatureFile
        throw;
    }
}

namespace {
FeatureSet readFeatureFileOrThrow(const std::string& path, const FeatureReadOptions& options);
} // namespace

FeatureSet readFeatureFile(const std::string& path, const FeatureReadOptions& options)
{
    // The hash reads the same pages as the load, on the other core: its pass costs no wall time
    // (it was a pass of its own, 0.14 s per 700 MB from the page cache, more from disk).
    std::future<void> hashing;
    // Checked first: hashing /dev/urandom or a pipe never ends, and the error waits for it.
    try {
        checkIsHdf5File(path);
    } catch (...) {
        H5Eclear2(H5E_DEFAULT);
        throw;
    }
    if (options.hashWhileReading)
        hashing = std::async(std::launch::async, [path, cache = *options.hashWhileReading] {
            try {
                hashFileCached(path, cache);
            } catch (const std::exception&) {
            }
        });
    try {
        return readFeatureFileOrThrow(path, options);
    } catch (...) {
        // HDF5 keeps the failure's error records on this thread's stack until its next call;
        // a pool thread that ends first would leak them (LeakSanitizer saw it).
        H5Eclear2(H5E_DEFAULT);
        throw;
    }
}

namespace {

FeatureSet readFeatureFileOrThrow(const std::string& path, const FeatureReadOptions& options)
{
    H5Handle file = openFeatureFile(path);
    const std::string where = path + ": ";

    FeatureSet set;
    set.path = path;

    // /features (or the chosen feature set): float [N, D]
    readFeatureSetList(file.get(), set);
    std::string matrixPath = "features";
    // "features" names the default set at /features, in any file.
    if (!options.featureSet.empty() && options.featureSet != "features") {
        const auto it = std::find_if(set.featureSets.begin(), set.featureSets.end(),
                                     [&](const FeatureSetInfo& f) { return f.name == options.featureSet; });
        if (it == set.featureSets.end())
            throw Error(where + "no feature set '" + options.featureSet + "' (" + featureSetNames(set.featureSets) + ")");
        matrixPath = it->dataset.substr(1);
        set.featureSet = it->name;
    } else if (!set.featureSets.empty()) {
        set.featureSet = readStringAttr(file.get(), "default_feature_set");
    }
    // /labels' length first: a /features that declares more rows than /labels holds is named as
    // such before its rows are read (or memory is asked for them).
    if (exists(file.get(), matrixPath.c_str()) && exists(file.get(), "labels")) {
        H5Handle feat(H5Dopen2(file.get(), matrixPath.c_str(), H5P_DEFAULT), H5Dclose);
        H5Handle lab(H5Dopen2(file.get(), "labels", H5P_DEFAULT), H5Dclose);
        if (feat.valid() && lab.valid()) {
            const auto fdims = shapeOf(feat.get()), ldims = shapeOf(lab.get());
            if (fdims.size() == 2 && !ldims.empty() && fdims[0] != ldims[0])
                throw Error(where + "/labels has " + std::to_string(ldims[0]) + " rows but /" + matrixPath + " has " +
                            std::to_string(fdims[0]));
        }
    }
    readMatrix(file.get(), matrixPath, where, set.rows, set.dim, set.features);
    if (options.loadAllSets)
        for (const FeatureSetInfo& info : set.featureSets) {
            std::int64_t rows = 0, dim = 0;
            set.setFeatures.emplace_back();
            readMatrix(file.get(), info.dataset.substr(1), where, rows, dim, set.setFeatures.back());
            if (rows != set.rows)
                throw Error(where + info.dataset + " has " + std::to_string(rows) + " rows but /" + matrixPath + " has " +
                            std::to_string(set.rows));
        }

    // /labels: integer [N]
    H5Handle lab(H5Dopen2(file.get(), "labels", H5P_DEFAULT), H5Dclose);
    const auto ldims = shapeOf(lab.get());
    if (ldims.size() != 1 && !(ldims.size() == 2 && ldims[1] == 1))
        throw Error(where + "/labels must be 1-D [rows], found shape " + shapeText(ldims));
    if (static_cast<std::int64_t>(ldims[0]) != set.rows)
        throw Error(where + "/labels has " + std::to_string(ldims[0]) + " rows but /" + matrixPath + " has " +
                    std::to_string(set.rows));
    {
        H5Handle type(H5Dget_type(lab.get()), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_INTEGER)
            throw Error(where + "/labels must hold integers 0..K-1");
    }
    std::vector<long long> rawLabels(static_cast<std::size_t>(set.rows));
    if (H5Dread(lab.get(), H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, rawLabels.data()) < 0) {
        const std::string filter = missingFilter(lab.get());
        throw Error(where + "/labels " + (filter.empty() ? std::string("cannot be read") : filter));
    }

    // Attributes
    set.backbone = readStringAttr(file.get(), "backbone");
    set.backboneVersion = readStringAttr(file.get(), "backbone_version");
    if (H5Aexists(file.get(), "format_version") > 0) {
        H5Handle attr(H5Aopen(file.get(), "format_version", H5P_DEFAULT), H5Aclose);
        H5Handle type(H5Aget_type(attr.get()), H5Tclose);
        if (H5Tget_class(type.get()) == H5T_STRING)
            throw Error(where + "format_version is the text '" + readStringAttr(file.get(), "format_version") +
                        "'; it must be the integer 1 or 2 (h5py: f.attrs['format_version'] = 2)");
        long long version = 0;
        if (H5Aread(attr.get(), H5T_NATIVE_LLONG, &version) < 0 || version < 1 || version > 2)
            throw Error(where + "format_version " + std::to_string(version) + " is not supported (expected 1 or 2)");
    }
    if (H5Aexists(file.get(), "label_names") > 0) {
        H5Handle attr(H5Aopen(file.get(), "label_names", H5P_DEFAULT), H5Aclose);
        H5Handle space(H5Aget_space(attr.get()), H5Sclose);
        if (H5Sget_simple_extent_type(space.get()) == H5S_SCALAR)
            throw Error(where + "attribute label_names is one value; it must be an array with one name per class "
                                "(h5py: f.attrs['label_names'] = ['safe', 'vulnerable'])");
        const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
        set.labelNames = readStrings(attr.get(), true, n, where + "attribute label_names");
        // Two classes of one name could not be told apart in any table, chart or --label-names.
        std::unordered_map<std::string_view, std::size_t> first;
        for (std::size_t i = 0; i < set.labelNames.size(); ++i)
            if (const auto [at, added] = first.emplace(set.labelNames[i], i); !added)
                throw Error(where + "attribute label_names names '" + set.labelNames[i] + "' twice (classes " +
                            std::to_string(at->second) + " and " + std::to_string(i) + ")");
    }

    const auto maxAt = std::max_element(rawLabels.begin(), rawLabels.end());
    const long long maxLabel = *maxAt;
    // Without label_names the classes are 0..the largest label, so a label beyond the rows can
    // only add empty classes; a huge one (2^62) overflowed the class count and another row was
    // blamed.
    if (set.labelNames.empty() && maxLabel >= std::max<long long>(set.rows, 2))
        throw Error(where + "label " + std::to_string(maxLabel) + " at row " + std::to_string(maxAt - rawLabels.begin()) +
                    " is out of range: labels are the classes 0..K-1, and " + std::to_string(set.rows) +
                    " rows cannot have more than " + std::to_string(std::max<long long>(set.rows, 2)) +
                    " classes (name the classes in the attribute label_names to keep other labels out)");
    const int numClasses = set.labelNames.empty() ? static_cast<int>(std::max(maxLabel + 1, 0LL))
                                                  : static_cast<int>(set.labelNames.size());
    set.labels.resize(rawLabels.size());
    std::vector<std::int64_t> counts(static_cast<std::size_t>(std::max(numClasses, 0)), 0);
    for (std::size_t i = 0; i < rawLabels.size(); ++i) {
        if (rawLabels[i] < 0 || rawLabels[i] >= numClasses)
            throw Error(where + "label " + std::to_string(rawLabels[i]) + " at row " + std::to_string(i) +
                        " is out of range 0.." + std::to_string(numClasses - 1) +
                        (set.labelNames.empty() ? "" : " (label_names has " + plural(numClasses, "name") + ")"));
        set.labels[i] = static_cast<std::int32_t>(rawLabels[i]);
        ++counts[static_cast<std::size_t>(rawLabels[i])];
    }
    if (options.requireTwoClasses && std::count_if(counts.begin(), counts.end(), [](std::int64_t c) { return c > 0; }) < 2)
        throw Error(where + "only one class in /labels; a classifier needs two or more");
    if (set.labelNames.empty() && options.requireTwoClasses) {
        // Without label_names the classes are 0..max: a stray label (0, 1 and one 7) would
        // silently add empty classes that drag macro averages down.
        std::string empty;
        int emptyCount = 0;
        for (int k = 0; k < numClasses; ++k)
            if (counts[static_cast<std::size_t>(k)] == 0 && ++emptyCount <= 8)
                empty += (empty.empty() ? "" : ", ") + std::to_string(k);
        if (emptyCount > 0)
            throw Error(where + "/labels runs to " + std::to_string(numClasses - 1) + " but class" +
                        (emptyCount == 1 ? " " : "es ") + empty + (emptyCount > 8 ? ", ..." : "") + (emptyCount == 1 ? " has" : " have") +
                        " no rows (" + std::to_string(emptyCount) + " empty of " + std::to_string(numClasses) +
                        "): a stray label? Fix the labels, or name every class in the attribute label_names");
    }
    if (set.labelNames.empty())
        for (int k = 0; k < numClasses; ++k)
            set.labelNames.push_back(std::to_string(k));

    // /split (optional)
    if (exists(file.get(), "split")) {
        H5Handle sp(H5Dopen2(file.get(), "split", H5P_DEFAULT), H5Dclose);
        const auto sdims = shapeOf(sp.get());
        if (sdims.size() != 1 || static_cast<std::int64_t>(sdims[0]) != set.rows)
            throw Error(where + "/split must be 1-D with " + std::to_string(set.rows) + " rows, found shape " + shapeText(sdims));
        {
            H5Handle type(H5Dget_type(sp.get()), H5Tclose);
            if (H5Tget_class(type.get()) != H5T_INTEGER)
                throw Error(where + "/split must hold the integer codes 0 (train), 1 (validation) and 2 (test)" +
                            (H5Tget_class(type.get()) == H5T_STRING ? ", not text" : ""));
        }
        std::vector<long long> raw(static_cast<std::size_t>(set.rows));
        if (H5Dread(sp.get(), H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
            throw Error(where + "/split cannot be read");
        set.split.resize(raw.size());
        std::int64_t splitCounts[3] = {0, 0, 0};
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] < 0 || raw[i] > 2)
                throw Error(where + "/split code " + std::to_string(raw[i]) + " at row " + std::to_string(i) +
                            " is not 0 (train), 1 (validation) or 2 (test)");
            set.split[i] = static_cast<std::uint8_t>(raw[i]);
            ++splitCounts[raw[i]];
        }
        // A shard may hold rows of one split only; a set to train on needs both.
        if (splitCounts[kTrain] == 0 && options.requireTwoClasses)
            throw Error(where + "/split has no training rows (code 0)");
        // No validation rows (datasets that ship train and test only): training carves them out
        // of the training rows (chooseSplit).
    }

    // /row_index (shards only)
    if (exists(file.get(), "row_index")) {
        H5Handle ds(H5Dopen2(file.get(), "row_index", H5P_DEFAULT), H5Dclose);
        const auto rdims = shapeOf(ds.get());
        if (rdims.size() != 1 || static_cast<std::int64_t>(rdims[0]) != set.rows)
            throw Error(where + "/row_index must be 1-D with " + std::to_string(set.rows) + " rows, found shape " + shapeText(rdims));
        set.rowIndex.resize(static_cast<std::size_t>(set.rows));
        if (H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.rowIndex.data()) < 0)
            throw Error(where + "/row_index cannot be read");
    }
    // /n_tokens (optional: extractions with a tokenizing backbone)
    if (exists(file.get(), "n_tokens")) {
        H5Handle ds(H5Dopen2(file.get(), "n_tokens", H5P_DEFAULT), H5Dclose);
        const auto ndims = shapeOf(ds.get());
        if (ndims.size() != 1 || static_cast<std::int64_t>(ndims[0]) != set.rows)
            throw Error(where + "/n_tokens must be 1-D with " + std::to_string(set.rows) + " rows, found shape " + shapeText(ndims));
        set.nTokens.resize(static_cast<std::size_t>(set.rows));
        if (H5Dread(ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.nTokens.data()) < 0)
            throw Error(where + "/n_tokens cannot be read");
    }
    set.attributes = readAttributes(file.get());

    // /ids and /groups (optional): strings or integers
    set.ids = readRowStrings(file.get(), "ids", set.rows, where);
    set.groups = readRowStrings(file.get(), "groups", set.rows, where);

    // /text (optional)
    if (options.loadTexts && exists(file.get(), "text")) {
        H5Handle ds(H5Dopen2(file.get(), "text", H5P_DEFAULT), H5Dclose);
        const auto tdims = shapeOf(ds.get());
        if (tdims.size() != 1 || static_cast<std::int64_t>(tdims[0]) != set.rows)
            throw Error(where + "/text must be 1-D with " + std::to_string(set.rows) + " rows, found shape " + shapeText(tdims));
        set.texts = readStrings(ds.get(), false, static_cast<std::size_t>(set.rows), where + "/text");
        for (std::size_t i = 0; i < set.texts.size(); ++i)
            if (!isValidUtf8(set.texts[i]))
                throw Error(where + "/text row " + std::to_string(i) + " is not valid UTF-8");
    }
    return set;
}

} // namespace

FeatureSummary summarize(const FeatureSet& set)
{
    FeatureSummary s;
    s.rows = set.rows;
    s.dim = set.dim;
    s.backbone = set.backbone;
    s.labelNames = set.labelNames;
    s.classCounts.assign(set.labelNames.size(), 0);
    for (auto l : set.labels)
        ++s.classCounts[static_cast<std::size_t>(l)];
    s.hasSplit = !set.split.empty();
    for (auto c : set.split)
        ++s.splitCounts[c];
    s.hasTexts = !set.texts.empty();
    s.hasIds = !set.ids.empty();
    s.hasGroups = !set.groups.empty();
    if (s.hasGroups) {
        std::vector<std::string_view> distinct(set.groups.begin(), set.groups.end());
        std::sort(distinct.begin(), distinct.end());
        s.groupCount = std::unique(distinct.begin(), distinct.end()) - distinct.begin();
    }
    if (const auto it = set.attributes.find("split_source"); it != set.attributes.end())
        s.splitSource = it->second;
    s.featureSets = set.featureSets;
    s.defaultFeatureSet = set.featureSets.empty() ? std::string() : set.featureSet;
    s.formatVersion = set.featureSets.empty() ? 1 : 2;
    return s;
}

void writeFeatureFile(const std::string& path, const FeatureSet& set)
{
    silenceHdf5();
    if (set.rows <= 0 || set.dim <= 0 || set.features.size() != static_cast<std::size_t>(set.rows * set.dim) ||
        set.labels.size() != static_cast<std::size_t>(set.rows))
        throw Error(path + ": refusing to write an inconsistent feature set");
    try {
        writeFileAtomically(path, [&](const std::string& tmp) {
            H5Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
            if (!file.valid())
                throw Error("cannot create the file");
            // /features, chunked by rows (~1 MiB per chunk) so partial reads stay cheap.
            const hsize_t dims[2] = {static_cast<hsize_t>(set.rows), static_cast<hsize_t>(set.dim)};
            const hsize_t chunkRows = std::clamp<hsize_t>((1u << 20) / (dims[1] * sizeof(float)), 1, dims[0]);
            const hsize_t chunk[2] = {chunkRows, dims[1]};
            H5Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
            H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
            H5Pset_chunk(dcpl.get(), 2, chunk);
            H5Handle feat(H5Dcreate2(file.get(), "features", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
            if (!feat.valid() || H5Dwrite(feat.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.features.data()) < 0)
                throw Error("writing /features failed (disk full?)");

            const hsize_t n = static_cast<hsize_t>(set.rows);
            H5Handle space1(H5Screate_simple(1, &n, nullptr), H5Sclose);
            H5Handle lab(H5Dcreate2(file.get(), "labels", H5T_STD_I32LE, space1.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
            if (!lab.valid() || H5Dwrite(lab.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.labels.data()) < 0)
                throw Error("writing /labels failed");
            if (!set.split.empty()) {
                H5Handle sp(H5Dcreate2(file.get(), "split", H5T_STD_U8LE, space1.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
                if (!sp.valid() || H5Dwrite(sp.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.split.data()) < 0)
                    throw Error("writing /split failed");
            }
            if (!set.rowIndex.empty()) {
                if (set.rowIndex.size() != static_cast<std::size_t>(set.rows))
                    throw Error("the row index does not match the rows");
                H5Handle ri(H5Dcreate2(file.get(), "row_index", H5T_STD_I64LE, space1.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
                if (!ri.valid() || H5Dwrite(ri.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.rowIndex.data()) < 0)
                    throw Error("writing /row_index failed");
            }
            if (!set.nTokens.empty()) {
                if (set.nTokens.size() != static_cast<std::size_t>(set.rows))
                    throw Error("the token counts do not match the rows");
                H5Handle nt(H5Dcreate2(file.get(), "n_tokens", H5T_STD_I64LE, space1.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
                if (!nt.valid() || H5Dwrite(nt.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, set.nTokens.data()) < 0)
                    throw Error("writing /n_tokens failed");
            }
            if (!set.texts.empty())
                writeStrings(file.get(), "text", set.texts.view());
            if (!set.ids.empty())
                writeStrings(file.get(), "ids", set.ids);
            if (!set.groups.empty()) {
                if (set.groups.size() != static_cast<std::size_t>(set.rows))
                    throw Error("the groups do not match the rows");
                writeStrings(file.get(), "groups", set.groups);
            }

            H5Handle scalar(H5Screate(H5S_SCALAR), H5Sclose);
            H5Handle ver(H5Acreate2(file.get(), "format_version", H5T_STD_I32LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
            const int version = set.featureSets.empty() ? 1 : 2;
            H5Awrite(ver.get(), H5T_NATIVE_INT, &version);
            if (!set.featureSets.empty()) {
                writeFeatureSets(file.get(), set);
                writeStringAttr(file.get(), "default_feature_set", set.featureSet);
            }
            writeStringAttr(file.get(), "backbone", set.backbone);
            if (!set.backboneVersion.empty())
                writeStringAttr(file.get(), "backbone_version", set.backboneVersion);
            for (const auto& [key, value] : set.attributes)
                writeStringAttr(file.get(), key.c_str(), value);
            if (!set.labelNames.empty()) {
                const hsize_t k = set.labelNames.size();
                H5Handle kspace(H5Screate_simple(1, &k, nullptr), H5Sclose);
                H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
                H5Tset_size(type.get(), H5T_VARIABLE);
                H5Tset_cset(type.get(), H5T_CSET_UTF8);
                H5Handle attr(H5Acreate2(file.get(), "label_names", type.get(), kspace.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
                std::vector<const char*> ptrs;
                for (const auto& name : set.labelNames)
                    ptrs.push_back(name.c_str());
                if (!attr.valid() || H5Awrite(attr.get(), type.get(), ptrs.data()) < 0)
                    throw Error("writing attribute label_names failed");
            }
            if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0)
                throw Error("flushing failed (disk full?)");
        }); // file closed when the writer returns; a failed close leaves a file we do not rename
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
}

} // namespace headbench
