#include <headbench/core/Error.h>
#include <headbench/core/Hash.h>
#include <headbench/data/DemoData.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/extract/Extractor.h>
#include <headbench/extract/HashedNgramBackbone.h>
#include "TestUtil.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using namespace headbench;

namespace {

/// Writes HDF5 files with arbitrary (also wrong) content, as other tools might.
class RawH5 {
public:
    explicit RawH5(const std::string& path) { m_file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
    ~RawH5() { H5Fclose(m_file); }

    template <typename T>
    RawH5& dataset(const char* name, hid_t fileType, hid_t memType, std::vector<hsize_t> dims, const std::vector<T>& data)
    {
        const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        const hid_t ds = H5Dcreate2(m_file, name, fileType, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(ds, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
        H5Dclose(ds);
        H5Sclose(space);
        return *this;
    }
    RawH5& features(std::int64_t rows, std::int64_t dim, float value = 0.5f)
    {
        std::vector<float> f(static_cast<std::size_t>(rows * dim), value);
        for (std::size_t i = 0; i < f.size(); ++i)
            f[i] += static_cast<float>(i % 7) * 0.1f;
        return dataset("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {hsize_t(rows), hsize_t(dim)}, f);
    }
    /// A chunked dataset of `dims` with nothing written: its shape is declared, not stored.
    RawH5& declared(const char* name, hid_t fileType, std::vector<hsize_t> dims, std::vector<hsize_t> chunk)
    {
        const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
        const hid_t ds = H5Dcreate2(m_file, name, fileType, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Dclose(ds);
        H5Pclose(dcpl);
        H5Sclose(space);
        return *this;
    }
    RawH5& labels(const std::vector<int>& l)
    {
        return dataset("labels", H5T_STD_I64LE, H5T_NATIVE_INT, {l.size()}, l);
    }
    RawH5& labelNames(const std::vector<std::string>& names)
    {
        const hsize_t n = names.size();
        const hid_t space = H5Screate_simple(1, &n, nullptr);
        const hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        const hid_t attr = H5Acreate2(m_file, "label_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
        std::vector<const char*> p;
        for (const auto& s : names)
            p.push_back(s.c_str());
        H5Awrite(attr, type, p.data());
        H5Aclose(attr);
        H5Tclose(type);
        H5Sclose(space);
        return *this;
    }

private:
    hid_t m_file;
};

std::string errorOf(const std::string& path)
{
    try {
        readFeatureFile(path);
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

/// Asserts the message names the file and contains `problem`.
void expectRejected(const std::string& path, const std::string& problem)
{
    const std::string message = errorOf(path);
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
}

} // namespace

TEST(FeatureFile, CopiesOfASetShareItsTextsUntilOneChanges)
{
    // The window shows the loaded file's texts beside a run's samples: a copy of the column
    // must not copy 150,000 functions, nor keep the rest of the file (its matrix) alive.
    FeatureSet a = test::blobs(3, 4, 2, 1);
    a.texts = std::vector<std::string>{"int a;", "int b;", "int c;"};
    FeatureSet b = a;
    EXPECT_TRUE(b.texts.sharesWith(a.texts));
    EXPECT_EQ(&b.texts[1], &a.texts[1]); // the same strings, not equal ones
    b.texts.set(1, "int z;");
    EXPECT_EQ(a.texts[1], "int b;");
    EXPECT_EQ(b.texts[1], "int z;");
    EXPECT_FALSE(b.texts.sharesWith(a.texts));
    TextColumn kept;
    {
        const FeatureSet c = a;
        kept = c.texts;
    }
    a = FeatureSet();
    ASSERT_EQ(kept.size(), 3u); // outlives every set that held it
    EXPECT_EQ(kept[2], "int c;");
    EXPECT_TRUE(a.texts.empty());
}

TEST(FeatureFile, HashedWhileReadIntoTheWorkspaceCache)
{
    test::TempDir dir;
    const auto path = dir.file("f.h5");
    writeFeatureFile(path, test::blobs(40, 6, 2, 3));
    const auto cache = dir.file("hashes");
    const FeatureSet set = readFeatureFile(path, {.hashWhileReading = cache});
    EXPECT_EQ(set.rows, 40);
    // The read left the file's hash in the cache: one entry, the file's XXH3.
    std::vector<std::string> entries;
    for (const auto& e : std::filesystem::directory_iterator(cache))
        entries.push_back(e.path().string());
    ASSERT_EQ(entries.size(), 1u);
    std::ifstream in(entries.front());
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, hashFile(path));
    EXPECT_EQ(hashFileCached(path, cache), hashFile(path));
}

TEST(FeatureFile, WriteThenReadKeepsEverything)
{
    test::TempDir dir;
    FeatureSet set = test::blobs(50, 8, 3, 1);
    set.texts.assign(50, "int x; /* é */");
    set.texts.set(3, "");
    set.ids.resize(50);
    for (int i = 0; i < 50; ++i)
        set.ids[i] = "id-" + std::to_string(i);
    set.split.assign(50, kTrain);
    set.split[1] = kValidation;
    set.split[2] = kTest;
    set.backboneVersion = "3";
    const auto path = dir.file("f.h5");
    writeFeatureFile(path, set);
    const FeatureSet back = readFeatureFile(path);
    EXPECT_EQ(back.rows, 50);
    EXPECT_EQ(back.dim, 8);
    EXPECT_EQ(back.features, set.features);
    EXPECT_EQ(back.labels, set.labels);
    EXPECT_EQ(back.texts, set.texts);
    EXPECT_EQ(back.ids, set.ids);
    EXPECT_EQ(back.split, set.split);
    EXPECT_EQ(back.labelNames, set.labelNames);
    EXPECT_EQ(back.backbone, "synthetic");
    EXPECT_EQ(back.backboneVersion, "3");
    // Atomic write: only the final file is left in the folder.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
    const auto s = summarize(back);
    EXPECT_EQ(s.classCounts, (std::vector<std::int64_t>{17, 17, 16}));
    EXPECT_EQ(s.splitCounts[kValidation], 1);
}

// A NUL in a text ("\u0000" in JSONL) ended the stored text there: the window showed a cut
// function whose features were of the whole one. It is stored as the visible U+2400.
TEST(FeatureFile, ANulInATextIsKeptAsAVisibleSymbol)
{
    test::TempDir dir;
    FeatureSet set = test::blobs(6, 4, 2, 1);
    set.texts.assign(6, "int x;");
    set.texts.set(2, std::string("int b;\0junk\0", 12));
    set.ids = {"a", "b", std::string("c\0d", 3), "e", "f", "g"};
    const auto path = dir.file("nul.h5");
    writeFeatureFile(path, set);
    const FeatureSet back = readFeatureFile(path);
    EXPECT_EQ(back.texts[2], "int b;\u2400junk\u2400");
    EXPECT_EQ(back.texts[0], "int x;");
    EXPECT_EQ(back.ids[2], "c\u2400d");
}

TEST(FeatureFile, FailedWriteLeavesNothingBehind)
{
    test::TempDir dir;
    const auto path = dir.file("no-such-folder/f.h5");
    EXPECT_THROW(writeFeatureFile(path, test::blobs(10, 4, 2, 1)), Error);
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 0);
}

TEST(FeatureFile, RejectsFilesThatAreNotHdf5)
{
    test::TempDir dir;
    test::writeFile(dir.file("empty.h5"), "");
    expectRejected(dir.file("empty.h5"), "not an HDF5 file");
    test::writeFile(dir.file("text.h5"), "idx,func,target\n1,int x;,0\n");
    expectRejected(dir.file("text.h5"), "not an HDF5 file");
    expectRejected(dir.file("missing.h5"), "no such file");
    // A real file cut in half.
    writeFeatureFile(dir.file("whole.h5"), test::blobs(400, 64, 2, 1));
    const auto size = std::filesystem::file_size(dir.file("whole.h5"));
    std::filesystem::copy_file(dir.file("whole.h5"), dir.file("cut.h5"));
    std::filesystem::resize_file(dir.file("cut.h5"), size / 2);
    const std::string message = errorOf(dir.file("cut.h5"));
    EXPECT_EQ(message.rfind(dir.file("cut.h5") + ": ", 0), 0u) << message;
}

// HDF5 prints its own error stack ("HDF5-DIAG: Error detected in ...") unless told not to, and
// a thread-safe HDF5 keeps that setting per thread: the window reads files on pool threads.
TEST(FeatureFile, CorruptFileLeavesNoHdf5TraceFromAnyThread)
{
    test::TempDir dir;
    writeFeatureFile(dir.file("whole.h5"), test::blobs(400, 64, 2, 1));
    std::filesystem::copy_file(dir.file("whole.h5"), dir.file("cut.h5"));
    std::filesystem::resize_file(dir.file("cut.h5"), std::filesystem::file_size(dir.file("whole.h5")) / 2);
    std::vector<std::string> messages;
    std::fflush(stderr);
    const int saved = dup(2);
    const int captured = open(dir.file("stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(captured, 0);
    dup2(captured, 2);
    for (int i = 0; i < 3; ++i)
        std::thread([&] { messages.push_back(errorOf(dir.file("cut.h5"))); }).join();
    std::fflush(stderr);
    dup2(saved, 2);
    close(captured);
    close(saved);
    std::ifstream in(dir.file("stderr.txt"));
    const std::string printed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed.substr(0, 400);
    ASSERT_EQ(messages.size(), 3u);
    for (const auto& m : messages) // our message stays
        EXPECT_EQ(m, dir.file("cut.h5") + ": the HDF5 file cannot be opened (corrupt or truncated)");
}

TEST(FeatureFile, RejectsMissingDatasets)
{
    test::TempDir dir;
    RawH5(dir.file("nofeat.h5")).labels({0, 1});
    expectRejected(dir.file("nofeat.h5"), "missing dataset /features");
    RawH5(dir.file("nolab.h5")).features(2, 3);
    expectRejected(dir.file("nolab.h5"), "missing dataset /labels");
}

TEST(FeatureFile, RejectsWrongShapesAndTypes)
{
    test::TempDir dir;
    RawH5(dir.file("1d.h5")).dataset("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4}, std::vector<float>(4, 1.f)).labels({0, 1, 0, 1});
    expectRejected(dir.file("1d.h5"), "/features must be 2-D [rows, dim], found shape [4]");
    RawH5(dir.file("3d.h5"))
        .dataset("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 2, 2}, std::vector<float>(8, 1.f))
        .labels({0, 1});
    expectRejected(dir.file("3d.h5"), "found shape [2, 2, 2]");
    RawH5(dir.file("int.h5")).dataset("features", H5T_STD_I32LE, H5T_NATIVE_INT, {2, 2}, std::vector<int>(4, 1)).labels({0, 1});
    expectRejected(dir.file("int.h5"), "/features must be float32 (float64 is converted), found integers");
    RawH5(dir.file("short.h5")).features(3, 2).labels({0, 1});
    expectRejected(dir.file("short.h5"), "/labels has 2 rows but /features has 3");
    RawH5(dir.file("long.h5")).features(2, 2).labels({0, 1, 1});
    expectRejected(dir.file("long.h5"), "/labels has 3 rows but /features has 2");

    // Shapes declared, not written (a helper's h5py file; one flipped byte makes the same): rows x
    // dim wrapped around 2^64 and the read crashed; 10^12 rows ended in an unnamed bad_alloc.
    const hsize_t wraps = (hsize_t{1} << 58) + 400;
    std::vector<int> l400(400);
    for (int i = 0; i < 400; ++i)
        l400[static_cast<std::size_t>(i)] = i % 2;
    RawH5(dir.file("wraps.h5")).declared("features", H5T_IEEE_F32LE, {wraps, 64}, {400, 64}).labels(l400);
    expectRejected(dir.file("wraps.h5"), "/labels has 400 rows but /features has " + std::to_string(wraps));
    RawH5(dir.file("both.h5"))
        .declared("features", H5T_IEEE_F32LE, {wraps, 64}, {400, 64})
        .declared("labels", H5T_STD_I64LE, {wraps}, {400});
    expectRejected(dir.file("both.h5"), "/features declares shape [" + std::to_string(wraps) +
                                            ", 64], more values than any machine can hold");
    RawH5(dir.file("huge.h5"))
        .declared("features", H5T_IEEE_F32LE, {hsize_t{1} << 34, 64}, {400, 64})
        .declared("labels", H5T_STD_I64LE, {hsize_t{1} << 34}, {400});
    expectRejected(dir.file("huge.h5"), "GiB of memory, more than this machine can give");
}

TEST(FeatureFile, AcceptsFloat64FeaturesByConverting)
{
    test::TempDir dir;
    RawH5(dir.file("f64.h5"))
        .dataset("features", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {2, 2}, std::vector<double>{0.25, 1.5, -2.0, 3.0})
        .labels({0, 1});
    const auto set = readFeatureFile(dir.file("f64.h5"));
    EXPECT_EQ(std::vector<float>(set.features.begin(), set.features.end()), (std::vector<float>{0.25f, 1.5f, -2.0f, 3.0f}));
    EXPECT_EQ(set.labelNames, (std::vector<std::string>{"0", "1"}));
}

TEST(FeatureFile, RejectsBadValues)
{
    test::TempDir dir;
    std::vector<float> f(12, 0.5f);
    f[4] = std::nanf("");
    f[5] = INFINITY;
    f[10] = -INFINITY;
    RawH5(dir.file("nan.h5")).dataset("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 3}, f).labels({0, 1, 0, 1});
    expectRejected(dir.file("nan.h5"), "2 rows of /features hold NaN or Inf (first: row 1)");
    f[5] = f[10] = 0.5f;
    RawH5(dir.file("nan1.h5")).dataset("features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 3}, f).labels({0, 1, 0, 1});
    expectRejected(dir.file("nan1.h5"), "1 row of /features holds NaN or Inf (first: row 1)");
    RawH5(dir.file("neg.h5")).features(3, 2).labels({0, -1, 1});
    expectRejected(dir.file("neg.h5"), "label -1 at row 1 is out of range");
    RawH5(dir.file("range.h5")).features(3, 2).labels({0, 1, 2}).labelNames({"safe", "vulnerable"});
    expectRejected(dir.file("range.h5"), "label 2 at row 2 is out of range 0..1 (label_names has 2 names)");
    RawH5(dir.file("one.h5")).features(3, 2).labels({1, 1, 1}).labelNames({"safe", "vulnerable"});
    expectRejected(dir.file("one.h5"), "only one class in /labels");
    RawH5(dir.file("split.h5"))
        .features(4, 2)
        .labels({0, 1, 0, 1})
        .dataset("split", H5T_STD_U8LE, H5T_NATIVE_INT, {4}, std::vector<int>{0, 1, 3, 0});
    expectRejected(dir.file("split.h5"), "/split code 3 at row 2 is not 0 (train), 1 (validation) or 2 (test)");
    RawH5(dir.file("noval.h5"))
        .features(4, 2)
        .labels({0, 1, 0, 1})
        .dataset("split", H5T_STD_U8LE, H5T_NATIVE_INT, {4}, std::vector<int>{0, 0, 2, 0});
    // Train and test only, as many datasets ship: the file opens, and training carves its
    // validation rows out of the training rows (ChooseSplit.CarvesValidationOutOfTrainOnly).
    EXPECT_EQ(readFeatureFile(dir.file("noval.h5")).split, (std::vector<std::uint8_t>{0, 0, 2, 0}));
}
