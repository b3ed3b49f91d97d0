#include <headbench/core/CsvReader.h>

#include <headbench/core/Error.h>

#include <fstream>
#include <istream>
#include <iterator>

namespace headbench {

CsvReader::CsvReader(std::istream& in, std::string name)
    : m_content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())
    , m_name(std::move(name))
{
    if (m_content.rfind("\xEF\xBB\xBF", 0) == 0)
        m_pos = 3;
}

bool CsvReader::next(std::vector<std::string>& record, std::size_t& startLine)
{
    record.clear();
    const std::string& s = m_content;
    while (m_pos < s.size() && (s[m_pos] == '\n' || s[m_pos] == '\r')) {
        if (s[m_pos] == '\n')
            ++m_line;
        ++m_pos;
    }
    if (m_pos >= s.size())
        return false;
    startLine = m_line;
    std::string field;
    bool quoted = false, fieldStarted = false;
    while (m_pos < s.size()) {
        const char c = s[m_pos];
        if (quoted) {
            if (c == '"') {
                if (m_pos + 1 < s.size() && s[m_pos + 1] == '"') {
                    field += '"';
                    m_pos += 2;
                    continue;
                }
                quoted = false;
            } else {
                if (c == '\n')
                    ++m_line;
                field += c;
            }
            ++m_pos;
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = fieldStarted = true;
            ++m_pos;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
            fieldStarted = false;
            ++m_pos;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && m_pos + 1 < s.size() && s[m_pos + 1] == '\n')
                ++m_pos;
            ++m_pos;
            ++m_line;
            break;
        } else {
            field += c;
            fieldStarted = true;
            ++m_pos;
        }
    }
    if (quoted)
        throw Error(m_name + ": line " + std::to_string(startLine) + ": a quoted field is never closed");
    record.push_back(std::move(field));
    return true;
}

std::string CsvReader::quote(const std::string& field)
{
    if (field.find_first_of(",\"\r\n") == std::string::npos)
        return field;
    std::string out = "\"";
    for (char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

bool readCsvFile(const std::string& path, const std::function<std::size_t(const std::vector<std::string>&)>& header,
                 const std::function<void(const std::vector<std::string>&, std::size_t line)>& row)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    CsvReader reader(in, path);
    std::vector<std::string> record;
    std::size_t line = 0;
    if (!reader.next(record, line))
        throw Error(path + ": empty (no header line)");
    const std::size_t width = header(record);
    while (reader.next(record, line)) {
        if (record.size() != width)
            throw Error(path + ": line " + std::to_string(line) + ": expected " + std::to_string(width) + " fields, found " +
                        std::to_string(record.size()));
        row(record, line);
    }
    return true;
}

} // namespace headbench
