#pragma once
/// \file Error.h
/// The one exception type the backend throws for problems a user can fix (bad files, bad
/// options). Anything else escaping the backend is a bug.
#include <stdexcept>
#include <string>
#include <utility>

namespace headbench {

/// A user-facing error: the message names the file (and line or row) and the problem.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A file that cannot be read back: cut short, not valid JSON, or a field of the wrong kind.
/// Its message is "<path>: damaged (<reason>)"; a front end that has little room shows the
/// file's name and `reason()`, and keeps `path()` for a tooltip.
class DamagedFile : public Error {
public:
    DamagedFile(std::string path, std::string reason)
        : Error(path + ": damaged (" + reason + ")"), m_path(std::move(path)), m_reason(std::move(reason))
    {
    }
    const std::string& path() const { return m_path; }
    const std::string& reason() const { return m_reason; }

private:
    std::string m_path;
    std::string m_reason;
};

} // namespace headbench
