#include <headbench/core/AtomicFile.h>

#include <headbench/core/Error.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace headbench {
namespace fs = std::filesystem;
namespace {

std::atomic<std::uint64_t> g_syncs{0};

/// fsync of a file or folder by path; a folder is opened read-only, as POSIX allows.
void syncPath(const std::string& path, bool folder)
{
    const int fd = ::open(path.c_str(), (folder ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": cannot be opened to flush it (" + std::strerror(errno) + ")");
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    // Some file systems cannot sync a folder (EINVAL); the rename itself is still atomic there.
    if (rc != 0 && !(folder && (err == EINVAL || err == ENOTSUP)))
        throw Error(path + ": flushing to disk failed (" + std::strerror(err) + ")");
    ++g_syncs;
}

/// Creates an empty file with a unique hidden name beside `target` (O_EXCL: never another
/// writer's file), with the permissions an ordinary new file gets.
std::string createTemporary(const fs::path& target)
{
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    for (int attempt = 0; attempt < 100; ++attempt) {
        const std::string name = "." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter++) + "-" + std::to_string(rng() % 1000000);
        const std::string tmp = (folder / name).string();
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            ::close(fd);
            return tmp;
        }
        if (errno != EEXIST)
            throw Error(target.string() + ": cannot be written (" + std::strerror(errno) + ")");
    }
    throw Error(target.string() + ": cannot be written (no free temporary name)");
}

} // namespace

void writeFileAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write)
{
    const fs::path target(path);
    const std::string tmp = createTemporary(target);
    try {
        write(tmp);
        syncPath(tmp, false);
        std::error_code ec;
        fs::rename(tmp, target, ec);
        if (ec)
            throw Error(path + ": renaming into place failed (" + ec.message() + ")");
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        throw;
    }
    syncPath(target.has_parent_path() ? target.parent_path().string() : std::string("."), true);
}

void writeStreamAtomically(const std::string& path, const std::function<void(std::ostream&)>& write)
{
    writeFileAtomically(path, [&](const std::string& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(path + ": cannot be written");
        write(out);
        out.flush();
        if (!out)
            throw Error(path + ": writing failed (disk full?)");
    });
}

void writeFileAtomically(const std::string& path, std::string_view bytes)
{
    writeStreamAtomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::uint64_t atomicFileSyncCount()
{
    return g_syncs.load();
}

} // namespace headbench
