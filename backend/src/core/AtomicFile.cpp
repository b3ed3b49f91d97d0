#include <headbench/core/AtomicFile.h>

#include <headbench/core/Error.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <signal.h>
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

/// Removes the temporary files that writers of `target` left when they crashed (killed, power
/// cut): ".<name>.tmp-<pid>-..." whose process no longer runs on this machine and which nobody
/// has touched for kStaleAfter (so a writer on another machine sharing the folder, whose pid
/// means nothing here, keeps its file while it writes). Best effort: what cannot be read or
/// removed stays.
void removeStaleTemporaries(const fs::path& target)
{
    constexpr auto kStaleAfter = std::chrono::minutes(10);
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = "." + target.filename().string() + ".tmp-";
    std::error_code ec;
    fs::directory_iterator it(folder, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0)
            continue;
        char* rest = nullptr;
        const long pid = std::strtol(name.c_str() + prefix.size(), &rest, 10);
        if (pid <= 0 || rest == nullptr || *rest != '-')
            continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) // alive, or not ours to judge
            continue;
        std::error_code timeError;
        const auto modified = fs::last_write_time(it->path(), timeError);
        if (timeError || fs::file_time_type::clock::now() - modified < kStaleAfter)
            continue;
        std::error_code removeError;
        fs::remove(it->path(), removeError);
    }
}

} // namespace

void writeFileAtomically(const std::string& path, const std::function<void(const std::string& tempPath)>& write)
{
    const fs::path target(path);
    removeStaleTemporaries(target);
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

void refuseToReplaceAnInput(const std::string& out, const std::vector<std::string>& inputs, const std::string& what)
{
    for (const std::string& input : inputs) {
        std::error_code ec;
        if (std::filesystem::equivalent(out, input, ec) && !ec)
            throw Error(out + ": is " + what + " (" + input + "); writing there would destroy it, choose another output");
    }
}

} // namespace headbench
