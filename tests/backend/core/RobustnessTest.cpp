// A full disk, simulated with a file-size limit (RLIMIT_FSIZE) in a child process: writing a
// feature file or a run fails with a message and leaves what was there before untouched.
#include <headbench/core/Error.h>
#include <headbench/runs/RunStore.h>
#include "TestUtil.h"
#include <headbench/train/Trainer.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace headbench;

namespace {

/// Runs `body` in a child process whose files may not grow past `limitBytes`; returns the
/// child's exit code (body's return value).
template <typename F> int withFileSizeLimit(rlim_t limitBytes, F&& body)
{
    const pid_t pid = fork();
    if (pid == 0) {
        std::signal(SIGXFSZ, SIG_IGN); // writes past the limit fail with EFBIG instead of killing
        const rlimit limit{limitBytes, limitBytes};
        setrlimit(RLIMIT_FSIZE, &limit);
        _exit(body());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

} // namespace

TEST(DiskFull, FeatureFileWriteFailsCleanly)
{
    test::TempDir dir;
    const FeatureSet big = test::blobs(4000, 64, 2, 1); // ~1 MB of features
    const std::string path = dir.file("f.h5");
    writeFeatureFile(path, test::blobs(10, 4, 2, 2)); // an earlier, smaller file at the same path
    const auto before = std::filesystem::file_size(path);
    const int rc = withFileSizeLimit(64 * 1024, [&] {
        try {
            writeFeatureFile(path, big);
        } catch (const Error& e) {
            return std::string(e.what()).rfind(path + ":", 0) == 0 ? 0 : 2;
        }
        return 1; // no error: wrong
    });
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(std::filesystem::file_size(path), before); // the earlier file is untouched
    EXPECT_EQ(readFeatureFile(path).rows, 10);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1); // no partial file left
}

TEST(DiskFull, RunSaveFailsAndEarlierRunsStay)
{
    test::TempDir dir;
    FeatureSet data = test::blobs(3000, 16, 2, 3);
    data.path = dir.file("f.h5");
    writeFeatureFile(data.path, data);
    HeadSpec spec;
    spec.hidden = {256, 256};
    spec.epochs = 1;
    const std::string ws = dir.file("ws");
    const RunRecord first = saveRun(ws, data, spec, trainHead(data, spec), "first");
    const TrainResult result = trainHead(data, spec);
    const int rc = withFileSizeLimit(32 * 1024, [&] {
        try {
            saveRun(ws, data, spec, result, "second");
        } catch (const Error& e) {
            return std::string(e.what()).find("saving the run failed") != std::string::npos ? 0 : 2;
        }
        return 1;
    });
    EXPECT_EQ(rc, 0);
    const auto runs = listRuns(ws, nullptr, true);
    ASSERT_FALSE(runs.empty());
    int finished = 0;
    for (const auto& r : runs) {
        if (r.finished()) {
            ++finished;
            EXPECT_EQ(r.name, "first");
        } else {
            EXPECT_EQ(r.status, "interrupted"); // never taken for a finished run
        }
    }
    EXPECT_EQ(finished, 1);
    const RunRecord again = loadRun(first.dir);
    EXPECT_EQ(again.test.confusion, first.test.confusion);
}
