#pragma once
/// \file Dataset.h
/// Labelled code snippets imported from JSONL or CSV.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace headbench {

/// Which fields of a record hold the text, the label and the id. Defaults follow the
/// CodeXGLUE defect-detection (Devign) layout.
struct FieldMap {
    std::string text = "func";
    std::string label = "target";
    /// Optional in the data: the row number is used when absent. Empty: the data has no id field
    /// (rows numbered); a field other than the default that no row has is refused as a typo.
    std::string id = "idx";
    /// Optional: a field naming each row's split (train/training, valid/validation/dev/val,
    /// test, any case, or 0/1/2). Empty: the data has no split of its own.
    std::string split;
    /// Optional: a field naming each row's group (fix pair, project, commit, family...);
    /// a split made by HeadBench keeps every group on one side. Empty: no groups.
    std::string group;
};

/// How strictly rows are read.
struct LoadOptions {
    /// Skip rows that cannot be used (broken JSON, empty or whitespace-only text, missing or
    /// invalid label, split or group) and count them, instead of refusing the whole file.
    bool skipInvalid = false;
};

/// One input file of a dataset, optionally holding a whole split ("train=train.jsonl").
struct DatasetSource {
    std::string path;
    int split = -1; ///< -1: rows keep their own split (or none); else 0 train, 1 validation, 2 test
};

/// An imported dataset: parallel columns, labels already mapped to 0..K-1.
struct Dataset {
    std::vector<std::string> texts;
    std::vector<std::string> ids;
    std::vector<int32_t> labels;
    std::vector<std::string> labelNames; ///< index -> name, size K >= 2
    std::string source;                  ///< path it was read from
    std::vector<std::uint8_t> split;     ///< rows (0 train, 1 validation, 2 test), or empty: no split given
    std::vector<std::string> groups;     ///< rows, or empty: no group field
    std::string splitSource;             ///< where `split` came from ("field 'split'", "files"), or empty
    std::int64_t skippedRows = 0;        ///< rows left out by LoadOptions::skipInvalid
    std::vector<std::string> skippedExamples; ///< the first few of them: "file:line: problem"

    std::size_t size() const { return texts.size(); }
    int numClasses() const { return static_cast<int>(labelNames.size()); }
};

/// The first rows of a dataset file as they stand, before any field is mapped (the import
/// dialog's preview). Values are text: JSON strings as they are, other JSON values as JSON
/// (1, true, [1,2]), null as empty.
struct DatasetPreview {
    std::vector<std::string> columns;           ///< CSV: the header; JSONL: keys in order of first appearance
    std::vector<std::vector<std::string>> rows; ///< one cell per column; empty where a row lacks the field
};

/// Reads the first `maxRows` records of a .jsonl or .csv file with the same readers as
/// loadDataset. Throws headbench::Error naming the file (and line) on unreadable input.
DatasetPreview previewDataset(const std::string& path, std::size_t maxRows = 8);

/// Reads a dataset, choosing the parser by extension (.jsonl/.json/.ndjson or .csv).
/// Throws headbench::Error naming the file, line or row and the problem.
Dataset loadDataset(const std::string& path, const FieldMap& fields = {}, const LoadOptions& options = {});

/// Reads several files as one dataset (labels mapped together). A source with a split puts all
/// its rows in that split; then every source must have one (CodeXGLUE ships train, valid and
/// test files). Ids must be unique across the files.
Dataset loadDatasets(const std::vector<DatasetSource>& sources, const FieldMap& fields = {},
                     const LoadOptions& options = {});

/// Parses "valid=path/valid.jsonl" (train, valid, validation, dev, val, test before '=') or a
/// plain path; a plain path whose file name is train/valid/test.* is not guessed at here.
DatasetSource parseDatasetSource(const std::string& text);

/// Parses JSON Lines; `name` is used in error messages.
Dataset parseJsonl(std::istream& in, const std::string& name, const FieldMap& fields = {},
                   const LoadOptions& options = {});

/// Parses CSV with a header row (RFC 4180 quoting, quoted newlines, optional UTF-8 BOM, CRLF).
Dataset parseCsv(std::istream& in, const std::string& name, const FieldMap& fields = {},
                 const LoadOptions& options = {});

/// The split code of a split name: train/training 0, valid/validation/dev/val 1, test 2 (any
/// case), or the numbers 0, 1, 2; nullopt for anything else.
std::optional<std::uint8_t> splitCodeOf(std::string_view name);

/// What deduplicate() removed.
struct DedupReport {
    std::int64_t duplicates = 0;  ///< exact duplicates of a row kept (same normalised text and label)
    std::int64_t conflicting = 0; ///< rows whose normalised text also occurs with another label
};

/// Everything that turns files into the dataset to extract: the CLI's extract and the window's
/// import both go through prepareDataset.
struct DatasetRequest {
    std::vector<DatasetSource> sources;
    FieldMap fields;
    LoadOptions load;
    bool dedupExact = false;             ///< deduplicate() after reading
    std::vector<std::string> labelNames; ///< class names or order (applyClassNames), or empty
};

/// Reads the sources (loadDatasets), deduplicates when asked (its report in `dedup`) and renames
/// the classes. Throws headbench::Error naming the file and the problem.
Dataset prepareDataset(const DatasetRequest& request, DedupReport* dedup = nullptr);

/// Throws headbench::Error when `outPath` is one of the request's files (extract --out over its
/// --dataset) or a folder: checked before reading, so that nothing is written over the dataset
/// and no extraction is lost at its end.
void refuseOutputOverDataset(const DatasetRequest& request, const std::string& outPath);

/// `names` for the classes: whole-number labels (0, 1) are named in their order; text labels,
/// which have names, take the order given (the same names; class 0 first), each row keeping its
/// label. Throws headbench::Error for another count, a repeated name, or text labels renamed.
void applyClassNames(Dataset& data, const std::vector<std::string>& names);

/// Splits "safe,vulnerable" into class names; throws headbench::Error for an empty name.
std::vector<std::string> parseLabelNames(const std::string& commaSeparated);

/// Drops exact duplicates within a label (the first occurrence stays) and every row whose
/// normalised text (comments and whitespace ignored, see normalizedCode) occurs with two labels.
DedupReport deduplicate(Dataset& data);

/// Writes a dataset as JSON Lines with the given field names (labels written by name when the
/// names are not the plain integers 0..K-1; groups and split, when the dataset has them, under
/// the field map's names or "group" and "split").
void writeJsonl(const Dataset& data, const std::string& path, const FieldMap& fields = {});

} // namespace headbench
