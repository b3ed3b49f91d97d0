#include <headbench/core/AtomicFile.h>
#include <headbench/core/Error.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/runs/RunStore.h>
#include "TestUtil.h"
#include <headbench/train/Trainer.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

using namespace headbench;
namespace fs = std::filesystem;

namespace {

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Every name in the folder: a left-over temporary file would show up here.
std::vector<std::string> names(const fs::path& dir)
{
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST(AtomicFile, ReplacesTheTargetAndSyncsFileAndFolder)
{
    test::TempDir dir;
    const std::string path = dir.file("a.json");
    test::writeFile(path, "old");
    const auto before = atomicFileSyncCount();
    writeFileAtomically(path, std::string_view("new contents"));
    EXPECT_EQ(readAll(path), "new contents");
    EXPECT_GE(atomicFileSyncCount() - before, 2u); // the file, then its folder
    EXPECT_EQ(names(dir.path()), std::vector<std::string>{"a.json"});
    // An ordinary new file's permissions (umask applied), not mkstemp's 0600.
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST(AtomicFile, AFailingWriterLeavesNoTemporaryAndTheOldFileIntact)
{
    test::TempDir dir;
    const std::string path = dir.file("metrics.json");
    test::writeFile(path, "the finished file");
    std::string seenTemp;
    EXPECT_THROW(writeStreamAtomically(path,
                                       [&](std::ostream& out) {
                                           out << "half of a new";
                                           throw Error("disk full");
                                       }),
                 Error);
    EXPECT_THROW(writeFileAtomically(path,
                                     [&](const std::string& tmp) {
                                         seenTemp = tmp;
                                         test::writeFile(tmp, "partial");
                                         throw std::runtime_error("crashed writer");
                                     }),
                 std::runtime_error);
    EXPECT_EQ(fs::path(seenTemp).parent_path(), dir.path()); // beside the target, so rename is atomic
    EXPECT_NE(fs::path(seenTemp).filename(), "metrics.json");
    EXPECT_FALSE(fs::exists(seenTemp));
    EXPECT_EQ(readAll(path), "the finished file");
    EXPECT_EQ(names(dir.path()), std::vector<std::string>{"metrics.json"});
}

TEST(AtomicFile, TemporaryNamesAreUnique)
{
    test::TempDir dir;
    const std::string path = dir.file("x.bin");
    std::string first, second;
    writeFileAtomically(path, [&](const std::string& tmp) {
        first = tmp;
        writeFileAtomically(path, [&](const std::string& inner) { second = inner; });
    });
    EXPECT_NE(first, second);
    EXPECT_EQ(names(dir.path()), std::vector<std::string>{"x.bin"});
}

TEST(AtomicFile, AnUnwritableFolderIsAnErrorNamingTheFile)
{
    try {
        writeFileAtomically("/nonexistent-headbench-folder/out.json", std::string_view("x"));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-headbench-folder/out.json"), std::string::npos);
    }
}

TEST(AtomicFile, EveryFileOfASavedRunAndAFeatureFileIsSynced)
{
    test::TempDir dir;
    FeatureSet data = test::blobs(120, 6, 2, 3, 1.0);
    data.path = dir.file("features.h5");
    auto syncs = atomicFileSyncCount();
    writeFeatureFile(data.path, data);
    EXPECT_GE(atomicFileSyncCount() - syncs, 2u);
    HeadSpec spec;
    spec.hidden = {8};
    spec.epochs = 2;
    const TrainResult result = trainHead(data, spec);
    syncs = atomicFileSyncCount();
    const RunRecord rec = saveRun(dir.file("ws"), data, spec, result, "synced");
    // spec.json, history.json, metrics.json, predictions.csv, head.pt, run.json (+ running.json
    // when the folder was begun): each a file sync and a folder sync.
    EXPECT_GE(atomicFileSyncCount() - syncs, 2u * 7u);
    for (const auto& name : names(rec.dir))
        EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    EXPECT_EQ(loadRun(rec.dir).status, "finished");
}

TEST(AtomicFile, TemporariesOfACrashedWriterAreRemovedOnTheNextWrite)
{
    test::TempDir dir;
    const std::string target = dir.file("run.json");
    // The pid of a process that has ended (a child reaped at once).
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0)
        ::_exit(0);
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
    auto leave = [&](const std::string& name, bool stale) {
        const std::string path = dir.file(name);
        std::ofstream(path) << "half written";
        if (stale)
            fs::last_write_time(path, old);
        return name;
    };
    const std::string crashed = leave(".run.json.tmp-" + std::to_string(child) + "-0-17", true);
    const std::string alive = leave(".run.json.tmp-" + std::to_string(::getpid()) + "-9-1", true); // this process: writing
    const std::string recent = leave(".run.json.tmp-" + std::to_string(child) + "-1-2", false);  // maybe another machine's
    const std::string other = leave(".other.json.tmp-" + std::to_string(child) + "-0-3", true);  // another target's
    writeFileAtomically(target, std::string_view("{}"));
    EXPECT_EQ(readAll(target), "{}");
    const auto left = names(dir.path());
    EXPECT_EQ(std::count(left.begin(), left.end(), crashed), 0) << "a crashed writer's temporary stays behind";
    for (const auto& kept : {alive, recent, other})
        EXPECT_EQ(std::count(left.begin(), left.end(), kept), 1) << kept;
}
