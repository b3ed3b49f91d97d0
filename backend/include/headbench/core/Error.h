#pragma once
/// \file Error.h
/// The one exception type the backend throws for problems a user can fix (bad files, bad
/// options). Anything else escaping the backend is a bug.
#include <stdexcept>
#include <string>

namespace headbench {

/// A user-facing error: the message names the file (and line or row) and the problem.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace headbench
