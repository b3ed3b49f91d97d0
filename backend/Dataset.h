#pragma once
/// \file Dataset.h
/// Labelled code snippets imported from JSONL or CSV.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace headbench {

/// Which fields of a record hold the text, the label and the id. Defaults follow the
/// CodeXGLUE defect-detection (Devign) layout.
struct FieldMap {
    std::string text = "func";
    std::string label = "target";
    std::string id = "idx"; ///< optional in the data: the row number is used when absent
};

/// An imported dataset: parallel columns, labels already mapped to 0..K-1.
struct Dataset {
    std::vector<std::string> texts;
    std::vector<std::string> ids;
    std::vector<int32_t> labels;
    std::vector<std::string> labelNames; ///< index -> name, size K >= 2
    std::string source;                  ///< path it was read from

    std::size_t size() const { return texts.size(); }
    int numClasses() const { return static_cast<int>(labelNames.size()); }
};

/// Reads a dataset, choosing the parser by extension (.jsonl/.json/.ndjson or .csv).
/// Throws headbench::Error naming the file, line or row and the problem.
Dataset loadDataset(const std::string& path, const FieldMap& fields = {});

/// Parses JSON Lines; `name` is used in error messages.
Dataset parseJsonl(std::istream& in, const std::string& name, const FieldMap& fields = {});

/// Parses CSV with a header row (RFC 4180 quoting, quoted newlines, optional UTF-8 BOM, CRLF).
Dataset parseCsv(std::istream& in, const std::string& name, const FieldMap& fields = {});

/// Writes a dataset as JSON Lines with the given field names (labels written by name when the
/// names are not the plain integers 0..K-1).
void writeJsonl(const Dataset& data, const std::string& path, const FieldMap& fields = {});

} // namespace headbench
