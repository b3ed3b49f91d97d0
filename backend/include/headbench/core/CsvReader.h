#pragma once
/// \file CsvReader.h
/// RFC 4180 CSV records: quoted fields with commas, quotes ("") and newlines, CRLF or LF line
/// ends, an optional UTF-8 byte-order mark. Shared by the dataset importer and the run store.
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace headbench {

class CsvReader {
public:
    /// Reads `in` as records are asked for, a buffer at a time (a 10 MB predictions file is never
    /// held whole); `in` must outlive the reader. `name` is used in error messages.
    CsvReader(std::istream& in, std::string name);

    /// Reads the next record; returns false at the end. Blank lines are skipped. `line` is
    /// set to the 1-based line on which the record starts. Throws headbench::Error for a quoted
    /// field that is never closed.
    bool next(std::vector<std::string>& record, std::size_t& line);

    /// Quotes a field for writing when it needs it.
    static std::string quote(const std::string& field);

private:
    int get();
    int peek();

    std::streambuf* m_in;
    std::string m_name;
    std::string m_start; ///< the first bytes, read to look for a byte-order mark, still to be read
    std::size_t m_startPos = 0;
    std::size_t m_line = 1;
};

/// Reads a CSV file that starts with a header line, as the run store's files do: `header` sees
/// the header and returns how many fields every record must have (it throws to refuse the
/// file); `row` sees each record and the line it starts on. A record of another width is
/// refused naming the file and line. Returns false, calling nothing, when the file cannot be
/// opened; an empty file is refused.
bool readCsvFile(const std::string& path, const std::function<std::size_t(const std::vector<std::string>&)>& header,
                 const std::function<void(const std::vector<std::string>&, std::size_t line)>& row);

} // namespace headbench
