#include "Dataset.h"

#include "CsvReader.h"
#include "Error.h"
#include "JsonNumbers.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace headbench {
namespace {

using nlohmann::json;

/// A label as read, before the classes are known.
struct RawLabel {
    bool isInt = false;
    long long value = 0;
    std::string text;
};

/// Collects rows and turns raw labels into class indices once all are read.
class DatasetBuilder {
public:
    explicit DatasetBuilder(std::string name) { m_data.source = std::move(name); }

    void add(std::string text, RawLabel label, std::string id, const std::string& where)
    {
        if (text.find_first_not_of(" \t\r\n") == std::string::npos)
            throw Error(where + ": the text is empty");
        if (id.empty())
            id = std::to_string(m_data.texts.size());
        m_data.texts.push_back(std::move(text));
        m_data.ids.push_back(std::move(id));
        m_raw.push_back(std::move(label));
        m_where.push_back(where);
    }

    Dataset finish()
    {
        const std::string& name = m_data.source;
        if (m_raw.empty())
            throw Error(name + ": no samples (the file is empty)");
        // String labels that all read as integers are integers (CSV has only strings).
        const bool anyInt = std::any_of(m_raw.begin(), m_raw.end(), [](const RawLabel& l) { return l.isInt; });
        bool allInt = true;
        for (auto& l : m_raw) {
            if (l.isInt)
                continue;
            long long v = 0;
            const auto* b = l.text.data();
            const auto [p, ec] = std::from_chars(b, b + l.text.size(), v);
            if (ec == std::errc() && p == b + l.text.size() && !l.text.empty()) {
                l.isInt = true;
                l.value = v;
            } else {
                allInt = false;
            }
        }
        if (!allInt && anyInt) {
            // Mixed kinds: name the first row whose label differs from the first row's kind.
            for (std::size_t i = 1; i < m_raw.size(); ++i)
                if (m_raw[i].isInt != m_raw[0].isInt)
                    throw Error(m_where[i] + ": label '" + labelText(m_raw[i]) + "' is a " +
                                (m_raw[i].isInt ? "number" : "string") + " but earlier labels are " +
                                (m_raw[0].isInt ? "numbers" : "strings"));
        }
        std::map<std::string, int> stringIndex;
        std::map<long long, int> intIndex;
        for (const auto& l : m_raw) {
            if (allInt)
                intIndex.emplace(l.value, 0);
            else
                stringIndex.emplace(l.text, 0);
        }
        const std::size_t k = allInt ? intIndex.size() : stringIndex.size();
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
        return std::move(m_data);
    }

private:
    static std::string labelText(const RawLabel& l) { return l.isInt ? std::to_string(l.value) : l.text; }

    Dataset m_data;
    std::vector<RawLabel> m_raw;
    std::vector<std::string> m_where;
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

std::string jsonTypeName(const json& v)
{
    return v.type_name();
}

} // namespace

Dataset parseJsonl(std::istream& in, const std::string& name, const FieldMap& fields)
{
    DatasetBuilder builder(name);
    std::string line;
    std::size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (lineNo == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0)
            line.erase(0, 3);
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const std::string where = name + ":" + std::to_string(lineNo);
        json obj;
        try {
            obj = json::parse(line);
        } catch (const json::exception& e) { // parse errors, and numbers too large (out_of_range)
            throw Error(where + ": not valid JSON (" + std::string(e.what()).substr(0, 160) + ")");
        }
        if (!obj.is_object())
            throw Error(where + ": expected a JSON object, found " + jsonTypeName(obj));
        const auto text = obj.find(fields.text);
        if (text == obj.end())
            throw Error(where + ": missing text field '" + fields.text + "'");
        if (!text->is_string())
            throw Error(where + ": text field '" + fields.text + "' is a " + jsonTypeName(*text) + ", expected a string");
        const auto label = obj.find(fields.label);
        if (label == obj.end())
            throw Error(where + ": missing label field '" + fields.label + "'");
        RawLabel raw;
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
        std::string id;
        if (const auto it = obj.find(fields.id); it != obj.end() && !it->is_null())
            id = it->is_string() ? it->get<std::string>() : it->dump();
        builder.add(text->get<std::string>(), std::move(raw), std::move(id), where);
    }
    return builder.finish();
}

Dataset parseCsv(std::istream& in, const std::string& name, const FieldMap& fields)
{
    CsvReader reader(in, name);
    std::vector<std::string> header, record;
    std::size_t startLine = 0;
    if (!reader.next(header, startLine))
        throw Error(name + ": no samples (the file is empty)");
    auto column = [&](const std::string& field, bool required) -> long {
        const auto it = std::find(header.begin(), header.end(), field);
        if (it != header.end())
            return it - header.begin();
        if (!required)
            return -1;
        std::string cols;
        for (const auto& h : header)
            cols += (cols.empty() ? "" : ", ") + h;
        throw Error(name + ": line 1: missing column '" + field + "' in the header (columns: " + cols + ")");
    };
    const long textCol = column(fields.text, true);
    const long labelCol = column(fields.label, true);
    const long idCol = column(fields.id, false);

    DatasetBuilder builder(name);
    std::size_t row = 0;
    while (reader.next(record, startLine)) {
        ++row;
        const std::string where = name + ": row " + std::to_string(row) + " (line " + std::to_string(startLine) + ")";
        if (record.size() != header.size())
            throw Error(where + ": " + std::to_string(record.size()) + " fields, the header has " +
                        std::to_string(header.size()));
        RawLabel raw;
        raw.text = record[labelCol];
        if (raw.text.empty())
            throw Error(where + ": label column '" + fields.label + "' is empty");
        builder.add(std::move(record[textCol]), std::move(raw), idCol >= 0 ? record[idCol] : std::string(), where);
    }
    return builder.finish();
}

Dataset loadDataset(const std::string& path, const FieldMap& fields)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot be opened for reading");
    const std::string ext = lowerExtension(path);
    if (ext == "csv")
        return parseCsv(in, path, fields);
    if (ext == "jsonl" || ext == "json" || ext == "ndjson")
        return parseJsonl(in, path, fields);
    throw Error(path + ": unknown dataset format '." + ext + "' (expected .jsonl or .csv)");
}

void writeJsonl(const Dataset& data, const std::string& path, const FieldMap& fields)
{
    bool plainIntegers = true;
    for (std::size_t k = 0; k < data.labelNames.size(); ++k)
        plainIntegers = plainIntegers && data.labelNames[k] == std::to_string(k);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error(path + ": cannot be written");
        for (std::size_t i = 0; i < data.size(); ++i) {
            json obj;
            obj[fields.id] = data.ids.size() == data.size() ? data.ids[i] : std::to_string(i);
            obj[fields.text] = data.texts[i];
            if (plainIntegers)
                obj[fields.label] = data.labels[i];
            else
                obj[fields.label] = data.labelNames[data.labels[i]];
            out << obj.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        }
        out.flush();
        if (!out)
            throw Error(path + ": writing failed (disk full?)");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(path + ": cannot be written (rename failed)");
    }
}

} // namespace headbench
