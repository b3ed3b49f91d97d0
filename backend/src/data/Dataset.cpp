#include <headbench/data/Dataset.h>

#include <fmt/format.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/CsvReader.h>
#include <headbench/core/Error.h>
#include <headbench/core/Plural.h>
#include <headbench/core/Unicode.h>
#include <headbench/text/CLexer.h>
#include "core/JsonErrors.h"
#include "core/JsonNumbers.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

namespace headbench {
namespace {

using nlohmann::json;

/// The whole number a label's text spells ("1", "-2", "1.0", "3e2"), if it spells one.
std::optional<long long> wholeNumberText(const std::string& text)
{
    if (text.empty())
        return std::nullopt;
    const char* b = text.data();
    const char* e = b + text.size();
    long long v = 0;
    if (const auto [p, ec] = std::from_chars(b, e, v); ec == std::errc() && p == e)
        return v;
    double d = 0;
    if (const auto [p, ec] = std::from_chars(b, e, d); ec == std::errc() && p == e && std::isfinite(d) &&
                                                       d == std::trunc(d) && std::fabs(d) <= 9.0e15)
        return static_cast<long long>(d);
    return std::nullopt;
}

/// A label as read, before the classes are known.
struct RawLabel {
    bool isInt = false;
    long long value = 0;
    std::string text;
};

/// Keeps the entries of a column whose row is marked in `keep`; a column of another length (an
/// optional column left empty) is left alone.
template <typename Column> void keepRows(Column& column, const std::vector<char>& keep)
{
    if (column.size() != keep.size())
        return;
    std::size_t out = 0;
    for (std::size_t i = 0; i < keep.size(); ++i)
        if (keep[i]) {
            if (out != i) // a self-move would empty a string
                column[out] = std::move(column[i]);
            ++out;
        }
    column.resize(out);
}

/// Collects rows and turns raw labels into class indices once all are read.
class DatasetBuilder {
public:
    DatasetBuilder(std::string name, const FieldMap& fields, const LoadOptions& options)
        : m_fields(fields), m_options(options)
    {
        m_data.source = std::move(name);
    }

    const FieldMap& fields() const { return m_fields; }
    /// Rows of the file being read go to this split (-1: their own split field, if any).
    void setFileSplit(int split) { m_fileSplit = split; }

    /// Adds a row, or (with skipInvalid) counts it as skipped when `read` throws: `read` fills
    /// the row and throws headbench::Error for a row that cannot be used.
    template <typename Read> void row(const std::string& where, Read&& read)
    {
        Row r;
        try {
            read(r);
            if (r.text.find_first_not_of(" \t\r\n") == std::string::npos)
                throw Error(where + ": the text is empty");
        } catch (const Error& e) {
            if (!m_options.skipInvalid)
                throw;
            if (m_data.skippedExamples.size() < 5)
                m_data.skippedExamples.push_back(e.what());
            ++m_data.skippedRows;
            return;
        }
        if (r.id.empty())
            r.id = std::to_string(m_data.texts.size());
        else
            ++m_rowsWithId;
        m_data.texts.push_back(std::move(r.text));
        m_data.ids.push_back(std::move(r.id));
        m_raw.push_back(std::move(r.label));
        m_where.push_back(where);
        if (m_fileSplit >= 0 || r.split >= 0)
            m_splits.emplace_back(m_data.texts.size() - 1, static_cast<std::uint8_t>(m_fileSplit >= 0 ? m_fileSplit : r.split));
        if (!m_fields.group.empty())
            m_data.groups.push_back(std::move(r.group));
    }

    struct Row {
        std::string text, id, group;
        RawLabel label;
        int split = -1;
    };

    Dataset finish()
    {
        const std::string& name = m_data.source;
        if (m_raw.empty())
            throw Error(name + ": no samples (the file is empty)");
        // An id field named by the person that no row has is a typo, not rows without ids: the
        // rows were numbered instead, without a word. The default field may be absent.
        if (m_rowsWithId == 0 && !m_fields.id.empty() && m_fields.id != FieldMap{}.id)
            throw Error(fmt::format("{}: no row has the id field '{}' (the rows are numbered when the data has no ids: "
                                    "leave the id field at its default, '{}')",
                                    name, m_fields.id, FieldMap{}.id));
        requireUniqueIds();
        // String labels that all read as integers are integers (CSV has only strings).
        const bool anyInt = std::any_of(m_raw.begin(), m_raw.end(), [](const RawLabel& l) { return l.isInt; });
        bool allInt = true;
        for (auto& l : m_raw) {
            if (l.isInt)
                continue;
            // A CSV's " 1", "1.0" and "1" are one class, as JSONL's 1 and 1.0 are; a text label
            // loses the spaces around it.
            const auto first = l.text.find_first_not_of(" \t\r"), last = l.text.find_last_not_of(" \t\r");
            if (first != std::string::npos)
                l.text = l.text.substr(first, last - first + 1);
            if (const auto v = wholeNumberText(l.text)) {
                l.isInt = true;
                l.value = *v;
            } else {
                allInt = false;
            }
        }
        if (!allInt && anyInt && m_options.skipInvalid) {
            // Mixed kinds: the rows of the rarer kind are the invalid ones.
            const auto ints = std::count_if(m_raw.begin(), m_raw.end(), [](const RawLabel& l) { return l.isInt; });
            const bool keepInts = 2 * static_cast<std::size_t>(ints) >= m_raw.size();
            std::vector<char> keep(m_raw.size());
            for (std::size_t i = 0; i < m_raw.size(); ++i) {
                keep[i] = m_raw[i].isInt == keepInts;
                if (!keep[i]) {
                    if (m_data.skippedExamples.size() < 5)
                        m_data.skippedExamples.push_back(m_where[i] + ": label '" + labelText(m_raw[i]) + "' is a " +
                                                         (keepInts ? "string" : "number") + " but most labels are " +
                                                         (keepInts ? "numbers" : "strings"));
                    ++m_data.skippedRows;
                }
            }
            dropRows(keep);
            allInt = keepInts;
        }
        if (!allInt && anyInt) {
            // Mixed kinds: name the first row whose label differs from the first row's kind.
            for (std::size_t i = 1; i < m_raw.size(); ++i)
                if (m_raw[i].isInt != m_raw[0].isInt)
                    throw Error(m_where[i] + ": label '" + labelText(m_raw[i]) + "' is a " +
                                (m_raw[i].isInt ? "number" : "string") + " but earlier labels are " +
                                (m_raw[0].isInt ? "numbers" : "strings"));
        }
        refuseStrayClasses(allInt);
        std::map<std::string, int> stringIndex;
        std::map<long long, int> intIndex;
        for (const auto& l : m_raw) {
            if (allInt)
                intIndex.emplace(l.value, 0);
            else
                stringIndex.emplace(l.text, 0);
        }
        const std::size_t k = allInt ? intIndex.size() : stringIndex.size();
        checkIsALabel(name, k, m_raw.size());
        if (k < 2)
            throw Error(name + ": only one class ('" + labelText(m_raw[0]) + "') in " +
                        std::to_string(m_raw.size()) + " samples; a classifier needs two or more");
        int next = 0;
        if (allInt) {
            for (auto& [v, idx] : intIndex) {
                idx = next++;
                m_data.labelNames.push_back(std::to_string(v));
            }
        } else {
            for (auto& [s, idx] : stringIndex) {
                idx = next++;
                m_data.labelNames.push_back(s);
            }
        }
        m_data.labels.reserve(m_raw.size());
        for (const auto& l : m_raw)
            m_data.labels.push_back(allInt ? intIndex.at(l.value) : stringIndex.at(l.text));
        if (!m_splits.empty()) {
            if (m_splits.size() != m_data.texts.size()) // some rows have a split, some not
                throw Error(name + ": " + std::to_string(m_data.texts.size() - m_splits.size()) + " of " +
                            std::to_string(m_data.texts.size()) + " rows have no split; every row needs one");
            m_data.split.resize(m_splits.size());
            for (const auto& [row, code] : m_splits)
                m_data.split[row] = code;
            m_data.splitSource = m_splitSource;
        }
        return std::move(m_data);
    }

    void setSplitSource(std::string source) { m_splitSource = std::move(source); }

    /// A class of one or two rows among hundreds or more is no class a head can learn or be
    /// scored on: a typo ("vulnerabel") or a placeholder for a missing label (-1). It made a
    /// two-class file a three-class one, without ROC or PR, with nothing said. Refused with
    /// the first such row named, or (skipInvalid) its rows skipped and reported.
    void refuseStrayClasses(bool intLabels)
    {
        auto key = [&](const RawLabel& l) { return intLabels ? std::to_string(l.value) : l.text; };
        std::map<std::string, std::size_t> count;
        for (const auto& l : m_raw)
            ++count[key(l)];
        const std::size_t rows = m_raw.size();
        std::set<std::string> stray;
        for (const auto& [label, n] : count)
            if (n <= 2 && n * 200 < rows)
                stray.insert(label);
        // Only where a rare class is clearly not data: beside two classes (a two-class file with a
        // stray label), or a whole number outside the 0..K-1 the other labels number. A long
        // tail of real classes (CWE ids, some with one function) is data.
        const std::size_t kept = count.size() - stray.size();
        bool numbered = intLabels && kept >= 2;
        if (numbered) {
            long long next = 0;
            std::set<long long> values;
            for (const auto& [label, n] : count)
                if (!stray.count(label))
                    values.insert(std::stoll(label));
            for (long long v : values)
                numbered = numbered && v == next++;
            for (const auto& label : stray)
                numbered = numbered && (std::stoll(label) < 0 || std::stoll(label) >= next);
        }
        if (stray.empty() || kept < 2 || (kept != 2 && !numbered))
            return;
        std::vector<char> keep(rows, 1);
        std::string others;
        for (const auto& [label, n] : count)
            if (!stray.count(label))
                others += fmt::format("{}'{}': {}", others.empty() ? "" : ", ", label, n);
        for (std::size_t i = 0; i < rows; ++i) {
            const std::string label = key(m_raw[i]);
            if (!stray.count(label))
                continue;
            const std::string why = fmt::format("label '{}' makes a class of its own with {} of {} (the others: {})", label,
                                                plural(count[label], "row"), rows, others);
            if (!m_options.skipInvalid)
                throw Error(m_where[i] + ": " + why +
                            ": too few to train or score. A typo, or a placeholder for a missing label? Correct or "
                            "remove those rows, or skip them (--skip-invalid; Skip invalid rows in the import dialog)");
            keep[i] = 0;
            if (m_data.skippedExamples.size() < 5)
                m_data.skippedExamples.push_back(m_where[i] + ": " + why);
            ++m_data.skippedRows;
        }
        dropRows(keep);
    }
    /// Keeps only the rows marked in `keep` (row numbers of the splits follow).
    void dropRows(const std::vector<char>& keep)
    {
        std::vector<std::size_t> newIndex(keep.size());
        std::size_t next = 0;
        for (std::size_t i = 0; i < keep.size(); ++i)
            newIndex[i] = keep[i] ? next++ : static_cast<std::size_t>(-1);
        keepRows(m_data.texts, keep);
        keepRows(m_data.ids, keep);
        keepRows(m_data.groups, keep);
        keepRows(m_raw, keep);
        keepRows(m_where, keep);
        std::vector<std::pair<std::size_t, std::uint8_t>> splits;
        for (const auto& [row, code] : m_splits)
            if (keep[row])
                splits.emplace_back(newIndex[row], code);
        m_splits = std::move(splits);
    }
    /// Checks that ids are unique, within a file and across files: predictions, leakage reports,
    /// label issues and the window's samples find rows by id, so a repeated id put one row's
    /// flags on another.
    void requireUniqueIds() const
    {
        std::unordered_map<std::string_view, std::size_t> seen;
        seen.reserve(m_data.ids.size());
        for (std::size_t i = 0; i < m_data.ids.size(); ++i)
            if (const auto [it, fresh] = seen.emplace(m_data.ids[i], i); !fresh)
                throw Error(m_where[i] + ": id '" + m_data.ids[i] + "' is also at " + m_where[it->second] +
                            "; ids must be unique, since runs and reports name rows by them (give another "
                            "--id-field, or one the rows do not have to number them)");
    }

private:
    std::size_t m_rowsWithId = 0; ///< rows whose id came from the data
    static std::string labelText(const RawLabel& l) { return l.isInt ? std::to_string(l.value) : l.text; }

    /// A field that holds the code, or a value of its own per row (an id), is no label: it
    /// would make hundreds of classes of one row each. More than 100 classes that are also
    /// more than half the rows are refused; so is the text field itself.
    void checkIsALabel(const std::string& name, std::size_t classes, std::size_t rows) const
    {
        if (m_fields.label == m_fields.text)
            throw Error(fmt::format("{}: the label field '{}' is also the text field; choose the field that holds each "
                                    "row's class (e.g. target)",
                                    name, m_fields.label));
        if (classes > kMaxLabelClasses && classes * 2 > rows)
            throw Error(fmt::format("{}: label field '{}' has {} different values in {} rows, so it is not a class "
                                    "label (a class per row); choose the field that holds each row's class (e.g. target)",
                                    name, m_fields.label, classes, rows));
    }
    static constexpr std::size_t kMaxLabelClasses = 100;

    Dataset m_data;
    FieldMap m_fields;
    LoadOptions m_options;
    int m_fileSplit = -1;
    std::string m_splitSource;
    std::vector<RawLabel> m_raw;
    std::vector<std::string> m_where;
    std::vector<std::pair<std::size_t, std::uint8_t>> m_splits;
};

std::string lowerExtension(const std::string& path)
{
    const auto dot = path.find_last_of('.');
    const auto slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
        return {};
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

template <typename Json> std::string jsonTypeName(const Json& v)
{
    return v.type_name();
}

} // namespace

std::optional<std::uint8_t> splitCodeOf(std::string_view name)
{
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "train" || lower == "training" || lower == "0")
        return 0;
    if (lower == "valid" || lower == "validation" || lower == "dev" || lower == "val" || lower == "1")
        return 1;
    if (lower == "test" || lower == "2")
        return 2;
    return std::nullopt;
}

namespace {

/// "where: missing <kind> field 'name' (this record has: a, b, c)": the fields a record does
/// have are what a user needs to map theirs (a dataset naming its code "code", not "func").
std::string missingField(const std::string& where, const char* kind, const std::string& name, const json& obj)
{
    std::string has;
    std::size_t listed = 0;
    for (const auto& item : obj.items()) {
        if (++listed > 12) {
            has += ", …";
            break;
        }
        has += (has.empty() ? "" : ", ") + item.key();
    }
    return where + ": missing " + kind + " field '" + name + "' (this record has: " + (has.empty() ? "no fields" : has) + ")";
}

/// The split and group of a JSON record, when the field map asks for them.
void readSplitAndGroup(const json& obj, const FieldMap& fields, const std::string& where, DatasetBuilder::Row& r)
{
    if (!fields.split.empty()) {
        const auto it = obj.find(fields.split);
        if (it == obj.end() || it->is_null())
            throw Error(missingField(where, "split", fields.split, obj));
        std::optional<std::uint8_t> code;
        if (it->is_string())
            code = splitCodeOf(it->get<std::string>());
        else if (it->is_number_integer())
            code = splitCodeOf(it->dump());
        if (!code)
            throw Error(where + ": split " + it->dump() + " is not one of train, valid, test (or 0, 1, 2)");
        r.split = *code;
    }
    if (!fields.group.empty()) {
        const auto it = obj.find(fields.group);
        if (it == obj.end() || it->is_null())
            throw Error(missingField(where, "group", fields.group, obj));
        r.group = it->is_string() ? it->get<std::string>() : it->dump();
    }
}

/// Calls `each(where, line)` for every non-blank line of a JSONL stream (a UTF-8 byte-order mark
/// dropped), `where` being "name:line"; stops when it returns false.
template <typename Each>
void forEachJsonlLine(std::istream& in, const std::string& name, Each&& each)
{
    std::string line;
    std::size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (lineNo == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0)
            line.erase(0, 3);
        // UTF-16 (as Windows tools save "Unicode" text) read as bytes is a parse error at
        // column 1 that names no cause.
        if (lineNo == 1 && (line.rfind("\xFF\xFE", 0) == 0 || line.rfind("\xFE\xFF", 0) == 0))
            throw Error(name + ": is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8");
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        if (!each(name + ":" + std::to_string(lineNo), line))
            return;
    }
}

/// One JSONL line as a JSON object (json, or ordered_json to keep the keys' order); errors name
/// file:line:column.
template <typename Json = json> Json parseJsonlObject(const std::string& line, const std::string& where)
{
    // Named before parsing: the parser's message echoed the stray bytes themselves.
    if (const auto bad = unicode::firstInvalidUtf8(line); bad != std::string_view::npos)
        throw Error(fmt::format("{}:{}: not valid UTF-8 (byte 0x{:02x}); save the file as UTF-8", where, bad + 1,
                                static_cast<unsigned char>(line[bad])));
    Json obj;
    try {
        obj = Json::parse(line);
    } catch (const typename Json::exception& e) { // parse errors, and numbers too large (out_of_range)
        // nlohmann's "line 1" is of the one line it was given: file:line:column instead.
        throw Error(jsonParseMessage(where, e.what(), /*oneLine=*/true));
    }
    if (!obj.is_object())
        throw Error(where + ": expected a JSON object, found " + jsonTypeName(obj));
    return obj;
}

void parseJsonlInto(DatasetBuilder& builder, std::istream& in, const std::string& name)
{
    const FieldMap& fields = builder.fields();
    forEachJsonlLine(in, name, [&](const std::string& where, const std::string& line) {
        builder.row(where, [&](DatasetBuilder::Row& r) {
            const json obj = parseJsonlObject(line, where);
            const auto text = obj.find(fields.text);
            if (text == obj.end())
                throw Error(missingField(where, "text", fields.text, obj));
            if (!text->is_string())
                throw Error(where + ": text field '" + fields.text + "' is a " + jsonTypeName(*text) + ", expected a string");
            const auto label = obj.find(fields.label);
            if (label == obj.end())
                throw Error(missingField(where, "label", fields.label, obj));
            RawLabel& raw = r.label;
            if (label->is_boolean()) {
                raw.isInt = true;
                raw.value = label->get<bool>() ? 1 : 0;
            } else if (label->is_number_integer()) {
                const auto value = wholeNumberIn(*label, LLONG_MIN, LLONG_MAX);
                if (!value)
                    throw Error(where + ": label " + label->dump() + " is too large for a class index");
                raw.isInt = true;
                raw.value = *value;
            } else if (label->is_number_float()) {
                // Checked before any cast: converting 5.6e30 to an integer is undefined behaviour
                // (found by fuzz/fuzz_jsonl).
                const double v = label->get<double>();
                if (!std::isfinite(v) || v != std::trunc(v) || std::fabs(v) > 9.0e15)
                    throw Error(where + ": label " + label->dump() + " is not an integer class");
                raw.isInt = true;
                raw.value = static_cast<long long>(v);
            } else if (label->is_string()) {
                raw.text = label->get<std::string>();
                if (raw.text.empty())
                    throw Error(where + ": label field '" + fields.label + "' is an empty string");
            } else {
                throw Error(where + ": label field '" + fields.label + "' is " + jsonTypeName(*label) +
                            ", expected an integer or a string");
            }
            if (const auto it = fields.id.empty() ? obj.end() : obj.find(fields.id); it != obj.end() && !it->is_null())
                r.id = it->is_string() ? it->get<std::string>() : it->dump();
            readSplitAndGroup(obj, fields, where, r);
            r.text = text->get<std::string>();
        });
        return true;
    });
}

void parseCsvInto(DatasetBuilder& builder, std::istream& in, const std::string& name)
{
    const FieldMap& fields = builder.fields();
    CsvReader reader(in, name);
    std::vector<std::string> header, record;
    std::size_t startLine = 0;
    if (!reader.next(header, startLine))
        throw Error(name + ": no samples (the file is empty)");
    auto column = [&](const std::string& field, bool required) -> long {
        const auto it = std::find(header.begin(), header.end(), field);
        if (it != header.end()) {
            // Two columns of the name a field is read from: which one was meant cannot be told.
            if (const auto again = std::find(it + 1, header.end(), field); again != header.end())
                throw Error(fmt::format("{}: line 1: the header has two columns named '{}' (columns {} and {})", name, field,
                                        it - header.begin() + 1, again - header.begin() + 1));
            return it - header.begin();
        }
        if (!required)
            return -1;
        std::string cols;
        for (const auto& h : header)
            cols += (cols.empty() ? "" : ", ") + h;
        throw Error(name + ": line 1: missing column '" + field + "' in the header (columns: " + cols + ")");
    };
    const long textCol = column(fields.text, true);
    const long labelCol = column(fields.label, true);
    const long idCol = fields.id.empty() ? -1 : column(fields.id, false);
    const long splitCol = fields.split.empty() ? -1 : column(fields.split, true);
    const long groupCol = fields.group.empty() ? -1 : column(fields.group, true);

    std::size_t row = 0;
    while (reader.next(record, startLine)) {
        ++row;
        const std::string where = name + ": row " + std::to_string(row) + " (line " + std::to_string(startLine) + ")";
        builder.row(where, [&](DatasetBuilder::Row& r) {
            if (record.size() != header.size())
                throw Error(where + ": " + std::to_string(record.size()) + " fields, the header has " +
                            std::to_string(header.size()));
            // As JSONL's parser refuses it: a text that is not UTF-8 was written into the
            // feature file, which every later reader then refused.
            for (std::size_t c = 0; c < record.size(); ++c)
                if (const auto bad = unicode::firstInvalidUtf8(record[c]); bad != std::string_view::npos)
                    throw Error(where + ": column '" + header[c] + "' is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                                " of the field; save the file as UTF-8)");
            r.label.text = record[labelCol];
            if (r.label.text.empty())
                throw Error(where + ": label column '" + fields.label + "' is empty");
            if (splitCol >= 0) {
                const auto code = splitCodeOf(record[splitCol]);
                if (!code)
                    throw Error(where + ": split '" + record[splitCol] + "' is not one of train, valid, test (or 0, 1, 2)");
                r.split = *code;
            }
            if (groupCol >= 0) {
                if (record[groupCol].empty())
                    throw Error(where + ": group column '" + fields.group + "' is empty");
                r.group = record[groupCol];
            }
            if (idCol >= 0)
                r.id = record[idCol];
            r.text = std::move(record[textCol]);
        });
    }
}

enum class DatasetFormat { Jsonl, Csv };

/// The format of a dataset file by its extension; throws for any other.
DatasetFormat formatOf(const std::string& path)
{
    const std::string ext = lowerExtension(path);
    if (ext == "csv")
        return DatasetFormat::Csv;
    if (ext == "jsonl" || ext == "json" || ext == "ndjson")
        return DatasetFormat::Jsonl;
    throw Error(path + ": unknown dataset format '." + ext + "' (expected .jsonl or .csv)");
}

std::ifstream openDatasetFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot be opened for reading");
    return in;
}

/// Reads one file into the builder, choosing the parser by extension.
void readInto(DatasetBuilder& builder, const std::string& path)
{
    const DatasetFormat format = formatOf(path);
    std::ifstream in = openDatasetFile(path);
    if (format == DatasetFormat::Csv)
        return parseCsvInto(builder, in, path);
    return parseJsonlInto(builder, in, path);
}

} // namespace

Dataset parseJsonl(std::istream& in, const std::string& name, const FieldMap& fields, const LoadOptions& options)
{
    DatasetBuilder builder(name, fields, options);
    if (!fields.split.empty())
        builder.setSplitSource("field '" + fields.split + "'");
    parseJsonlInto(builder, in, name);
    return builder.finish();
}

Dataset parseCsv(std::istream& in, const std::string& name, const FieldMap& fields, const LoadOptions& options)
{
    DatasetBuilder builder(name, fields, options);
    if (!fields.split.empty())
        builder.setSplitSource("field '" + fields.split + "'");
    parseCsvInto(builder, in, name);
    return builder.finish();
}

DatasetPreview previewDataset(const std::string& path, std::size_t maxRows)
{
    const DatasetFormat format = formatOf(path);
    std::ifstream in = openDatasetFile(path);
    DatasetPreview preview;
    if (format == DatasetFormat::Csv) {
        CsvReader reader(in, path);
        std::vector<std::string> record;
        std::size_t line = 0;
        if (!reader.next(preview.columns, line))
            throw Error(path + ": no samples (the file is empty)");
        while (preview.rows.size() < maxRows && reader.next(record, line)) {
            record.resize(preview.columns.size()); // a short row reads as empty cells; import names the row
            preview.rows.push_back(std::move(record));
        }
    } else {
        forEachJsonlLine(in, path, [&](const std::string& where, const std::string& line) {
            const auto obj = parseJsonlObject<nlohmann::ordered_json>(line, where);
            std::vector<std::string> row(preview.columns.size());
            for (const auto& [key, value] : obj.items()) {
                const auto at = std::find(preview.columns.begin(), preview.columns.end(), key);
                const auto c = static_cast<std::size_t>(at - preview.columns.begin());
                if (at == preview.columns.end()) {
                    preview.columns.push_back(key);
                    row.emplace_back();
                }
                row[c] = value.is_string() ? value.get<std::string>() : value.is_null() ? std::string() : value.dump();
            }
            preview.rows.push_back(std::move(row));
            return preview.rows.size() < maxRows;
        });
        for (auto& row : preview.rows) // rows before a column first appeared lack its cell
            row.resize(preview.columns.size());
    }
    if (preview.rows.empty())
        throw Error(path + ": no samples");
    return preview;
}

Dataset loadDataset(const std::string& path, const FieldMap& fields, const LoadOptions& options)
{
    return loadDatasets({{path, -1}}, fields, options);
}

DatasetSource parseDatasetSource(const std::string& text)
{
    const auto eq = text.find('=');
    if (eq == std::string::npos)
        return {text, -1};
    const std::string name = text.substr(0, eq);
    const auto code = splitCodeOf(name);
    if (!code || name == "0" || name == "1" || name == "2")
        throw Error("--dataset " + text + ": '" + name + "' is not a split (expected train=, valid= or test= before the file)");
    return {text.substr(eq + 1), *code};
}

Dataset loadDatasets(const std::vector<DatasetSource>& sources, const FieldMap& fields, const LoadOptions& options)
{
    if (sources.empty())
        throw Error("no dataset file given");
    const bool bySource = std::any_of(sources.begin(), sources.end(), [](const DatasetSource& s) { return s.split >= 0; });
    std::string name;
    for (const auto& s : sources) {
        if (bySource && s.split < 0)
            throw Error(s.path + ": say which split this file holds (e.g. --dataset train=" + s.path +
                        "), as for the other files");
        if (bySource && !fields.split.empty())
            throw Error(s.path + ": a split field ('" + fields.split + "') and a split per file cannot be used together");
        name += (name.empty() ? "" : ", ") + s.path;
    }
    DatasetBuilder builder(name, fields, options);
    if (bySource)
        builder.setSplitSource("files");
    else if (!fields.split.empty())
        builder.setSplitSource("field '" + fields.split + "'");
    for (const auto& s : sources) {
        builder.setFileSplit(s.split);
        readInto(builder, s.path);
    }
    Dataset data = builder.finish();
    if (sources.size() == 1)
        data.source = sources.front().path;
    return data;
}

std::vector<std::string> parseLabelNames(const std::string& text)
{
    std::vector<std::string> names;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto first = name.find_first_not_of(" \t"), last = name.find_last_not_of(" \t");
        name = first == std::string::npos ? std::string() : name.substr(first, last - first + 1);
        if (name.empty())
            throw Error("class names '" + text + "': a name is empty (expected e.g. safe,vulnerable)");
        names.push_back(std::move(name));
        if (comma == std::string::npos)
            return names;
        start = comma + 1;
    }
}

void refuseOutputOverDataset(const DatasetRequest& request, const std::string& outPath)
{
    std::vector<std::string> inputs;
    for (const DatasetSource& s : request.sources)
        inputs.push_back(s.path);
    refuseToReplaceAnInput(outPath, inputs, "the dataset");
    std::error_code ec;
    if (std::filesystem::is_directory(outPath, ec)) // found only at the end, after the whole extraction
        throw Error(outPath + ": is a folder; the output is the feature file to write (e.g. " +
                    (std::filesystem::path(outPath) / "features.h5").string() + ")");
}

void applyClassNames(Dataset& data, const std::vector<std::string>& names)
{
    std::string found;
    for (const auto& n : data.labelNames)
        found += (found.empty() ? "" : ", ") + n;
    std::string given;
    for (const auto& n : names)
        given += (given.empty() ? "" : ",") + n;
    // Named after the dataset, as its other messages are: the names are checked against its labels.
    const std::string where = data.source.empty() ? std::string() : data.source + ": ";
    if (names.size() != data.labelNames.size())
        throw Error(where + plural(names.size(), "class name") + " given for " + std::to_string(data.labelNames.size()) +
                    " classes (" + found + ", in this order)");
    if (std::set<std::string>(names.begin(), names.end()).size() != names.size())
        throw Error(where + "class names '" + given + "': a name is given twice");
    // The labels' own names in another order: the classes take that order (class 0 first),
    // each row keeping its label. Applied by position, "vuln,safe" on labels safe and vuln
    // called every safe row vuln.
    if (std::is_permutation(names.begin(), names.end(), data.labelNames.begin(), data.labelNames.end())) {
        std::vector<std::int32_t> to(data.labelNames.size());
        for (std::size_t k = 0; k < data.labelNames.size(); ++k)
            to[k] = static_cast<std::int32_t>(std::find(names.begin(), names.end(), data.labelNames[k]) - names.begin());
        for (auto& label : data.labels)
            label = to[static_cast<std::size_t>(label)];
        data.labelNames = names;
        return;
    }
    // Whole-number labels (0, 1) are named in their order; text labels have names already.
    if (!std::all_of(data.labelNames.begin(), data.labelNames.end(), [](const std::string& n) { return wholeNumberText(n); }))
        throw Error(where + "class names '" + given + "' do not match the labels (" + found +
                    "): text labels keep their names, and --label-names can only put them in another order (class 0 first)");
    data.labelNames = names;
}

Dataset prepareDataset(const DatasetRequest& request, DedupReport* dedup)
{
    Dataset data = loadDatasets(request.sources, request.fields, request.load);
    if (request.dedupExact) {
        const DedupReport r = deduplicate(data);
        if (dedup)
            *dedup = r;
    }
    if (!request.labelNames.empty())
        applyClassNames(data, request.labelNames);
    return data;
}

DedupReport deduplicate(Dataset& data)
{
    // Rows by normalised text: duplicates within a label keep their first row; a text that
    // occurs with two labels is dropped everywhere (no one can say which label is right).
    std::unordered_map<std::string, std::vector<std::size_t>> byText;
    for (std::size_t i = 0; i < data.size(); ++i)
        byText[normalizedCode(data.texts[i])].push_back(i);
    std::vector<char> keep(data.size(), 1);
    DedupReport report;
    for (const auto& entry : byText) {
        const std::vector<std::size_t>& rows = entry.second; // not a structured binding: clang 14 cannot capture one
        if (rows.size() < 2)
            continue;
        const bool conflict = std::any_of(rows.begin(), rows.end(),
                                          [&](std::size_t r) { return data.labels[r] != data.labels[rows.front()]; });
        for (std::size_t k = conflict ? 0 : 1; k < rows.size(); ++k) {
            keep[rows[k]] = 0;
            ++(conflict ? report.conflicting : report.duplicates);
        }
    }
    if (report.duplicates + report.conflicting == 0)
        return report;
    keepRows(data.texts, keep);
    keepRows(data.ids, keep);
    keepRows(data.labels, keep);
    keepRows(data.split, keep);
    keepRows(data.groups, keep);
    return report;
}

void writeJsonl(const Dataset& data, const std::string& path, const FieldMap& fields)
{
    bool plainIntegers = true;
    for (std::size_t k = 0; k < data.labelNames.size(); ++k)
        plainIntegers = plainIntegers && data.labelNames[k] == std::to_string(k);
    writeStreamAtomically(path, [&](std::ostream& out) {
        for (std::size_t i = 0; i < data.size(); ++i) {
            json obj;
            obj[fields.id] = data.ids.size() == data.size() ? data.ids[i] : std::to_string(i);
            obj[fields.text] = data.texts[i];
            if (plainIntegers)
                obj[fields.label] = data.labels[i];
            else
                obj[fields.label] = data.labelNames[data.labels[i]];
            if (data.groups.size() == data.size())
                obj[fields.group.empty() ? "group" : fields.group] = data.groups[i];
            if (data.split.size() == data.size()) {
                static const char* const names[] = {"train", "valid", "test"};
                obj[fields.split.empty() ? "split" : fields.split] = names[std::min<int>(data.split[i], 2)];
            }
            out << obj.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        }
    });
}

} // namespace headbench
