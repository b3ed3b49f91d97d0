#include <headbench/core/CsvReader.h>

#include <headbench/core/Error.h>

#include <algorithm>
#include <fstream>
#include <istream>
#include <streambuf>
#include <string_view>

namespace headbench {

CsvReader::CsvReader(std::istream& in, std::string name)
    : m_in(in.rdbuf())
    , m_name(std::move(name))
{
    char head[3];
    const std::streamsize got = m_in ? m_in->sgetn(head, 3) : 0;
    if (got >= 2 && (std::string_view(head, 2) == "\xFF\xFE" || std::string_view(head, 2) == "\xFE\xFF"))
        throw Error(m_name + ": is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8");
    if (got != 3 || std::string_view(head, 3) != "\xEF\xBB\xBF")
        m_start.assign(head, static_cast<std::size_t>(std::max<std::streamsize>(got, 0)));
}

int CsvReader::get()
{
    if (m_startPos < m_start.size())
        return static_cast<unsigned char>(m_start[m_startPos++]);
    return m_in ? m_in->sbumpc() : std::char_traits<char>::eof();
}

int CsvReader::peek()
{
    if (m_startPos < m_start.size())
        return static_cast<unsigned char>(m_start[m_startPos]);
    return m_in ? m_in->sgetc() : std::char_traits<char>::eof();
}

bool CsvReader::next(std::vector<std::string>& record, std::size_t& startLine)
{
    constexpr int kEnd = std::char_traits<char>::eof();
    record.clear();
    int c = peek();
    while (c == '\n' || c == '\r') {
        if (c == '\n')
            ++m_line;
        get();
        c = peek();
    }
    if (c == kEnd)
        return false;
    startLine = m_line;
    std::string field;
    bool quoted = false, fieldStarted = false;
    while ((c = get()) != kEnd) {
        if (quoted) {
            if (c == '"') {
                if (peek() == '"') {
                    field += '"';
                    get();
                    continue;
                }
                quoted = false;
            } else {
                if (c == '\n')
                    ++m_line;
                field += static_cast<char>(c);
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = fieldStarted = true;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
            fieldStarted = false;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && peek() == '\n')
                get();
            ++m_line;
            break;
        } else {
            field += static_cast<char>(c);
            fieldStarted = true;
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
