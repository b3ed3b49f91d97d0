#include <headbench/eval/PredictionFiles.h>

#include <headbench/core/AtomicFile.h>
#include <headbench/core/CsvReader.h>
#include <headbench/core/Error.h>
#include <headbench/core/NumberText.h>
#include <headbench/data/FeatureFile.h>
#include <headbench/eval/Metrics.h>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <ostream>

namespace headbench {
namespace {

/// One record of a run file being read, for messages that name the file, line and field.
struct Record {
    const std::string& path;
    const std::vector<std::string>& header;
    const std::vector<std::string>& fields;
    std::size_t line;

    [[noreturn]] void refuse(std::size_t i, const char* what) const
    {
        throw Error(fmt::format("{}: line {}: {} '{}' {}", path, line, header[i], fields[i], what));
    }
    /// A probability: a number in [0, 1]; underflow below the smallest float reads as 0.
    float probability(std::size_t i) const
    {
        const auto v = parseFloat(fields[i]);
        if (!v)
            refuse(i, "is not a number");
        if (!(*v >= 0 && *v <= 1))
            refuse(i, "is not a probability in [0, 1]");
        return *v;
    }
    /// The row's K probabilities from field `first` on: each in [0, 1], and together 1 (a hand-
    /// edited row of 0.9, 0.9 was read and scored).
    void probabilities(std::size_t first, int numClasses, std::vector<float>& out) const
    {
        double sum = 0;
        for (int c = 0; c < numClasses; ++c) {
            const float p = probability(first + static_cast<std::size_t>(c));
            sum += p;
            out.push_back(p);
        }
        if (std::abs(sum - 1.0) > 1e-3)
            throw Error(fmt::format("{}: line {}: the probabilities of row '{}' add up to {:.6g}, not 1", path, line,
                                    fields[0], sum));
    }
    std::int32_t classIndex(std::size_t i, int numClasses) const
    {
        const auto v = parseInteger(fields[i]);
        if (!v || *v < 0 || *v >= numClasses)
            refuse(i, fmt::format("is not a class 0..{}", numClasses - 1).c_str());
        return static_cast<std::int32_t>(*v);
    }
    std::uint8_t split(std::size_t i) const
    {
        const std::string& s = fields[i];
        if (s == "train") return kTrain;
        if (s == "validation") return kValidation;
        if (s == "test") return kTest;
        refuse(i, "is not train, validation or test");
    }
    bool flag(std::size_t i) const
    {
        if (fields[i] != "0" && fields[i] != "1")
            refuse(i, "is not 0 or 1");
        return fields[i] == "1";
    }
};

/// Class names from p_<class> headers.
std::vector<std::string> classNames(const std::vector<std::string>& header, std::size_t first)
{
    std::vector<std::string> names;
    for (std::size_t c = first; c < header.size(); ++c)
        names.push_back(header[c].rfind("p_", 0) == 0 ? header[c].substr(2) : header[c]);
    return names;
}

void writeProbabilities(std::ostream& out, const float* p, int k)
{
    for (int c = 0; c < k; ++c)
        out << ',' << formatFloat(p[c]);
}

void writeClassHeader(std::ostream& out, const std::vector<std::string>& names, int k)
{
    for (int c = 0; c < k; ++c)
        out << ',' << CsvReader::quote("p_" + (c < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(c)] : std::to_string(c)));
    out << '\n';
}

} // namespace

SplitRows rowsOfSplit(const Predictions& p, std::uint8_t split)
{
    SplitRows out;
    const auto k = static_cast<std::size_t>(p.numClasses);
    for (std::size_t r = 0; r < p.labels.size(); ++r)
        if (r < p.split.size() && p.split[r] == split) {
            out.labels.push_back(p.labels[r]);
            out.probabilities.insert(out.probabilities.end(), p.probabilities.begin() + static_cast<std::ptrdiff_t>(r * k),
                                     p.probabilities.begin() + static_cast<std::ptrdiff_t>((r + 1) * k));
        }
    return out;
}

void writePredictionsCsv(const std::string& path, const Predictions& p)
{
    writeStreamAtomically(path, [&](std::ostream& out) {
        out << "id,split,label,predicted";
        writeClassHeader(out, p.labelNames, p.numClasses);
        for (std::size_t r = 0; r < p.ids.size(); ++r) {
            out << CsvReader::quote(p.ids[r]) << ',' << splitName(p.split[r]) << ',' << p.labels[r] << ','
                << predictClass(p.row(r), p.numClasses);
            writeProbabilities(out, p.row(r), p.numClasses);
            out << '\n';
        }
    });
}

Predictions readPredictionsCsv(const std::string& path)
{
    Predictions p;
    std::vector<std::string> header;
    const bool found = readCsvFile(
        path,
        [&](const std::vector<std::string>& h) {
            if (h.size() < 6 || h[0] != "id" || h[1] != "split" || h[2] != "label" || h[3] != "predicted")
                throw Error(path + ": not a predictions file (expected id,split,label,predicted,p_<class>...)");
            header = h;
            p.labelNames = classNames(h, 4);
            p.numClasses = static_cast<int>(p.labelNames.size());
            return h.size();
        },
        [&](const std::vector<std::string>& fields, std::size_t line) {
            const Record rec{path, header, fields, line};
            p.ids.push_back(fields[0]);
            p.split.push_back(rec.split(1));
            p.labels.push_back(rec.classIndex(2, p.numClasses));
            const int predicted = rec.classIndex(3, p.numClasses);
            rec.probabilities(4, p.numClasses, p.probabilities);
            // The column is written from the probabilities (predictClass); one that disagrees
            // was edited by hand, and which of the two is right cannot be told.
            const int fromProbabilities = predictClass(p.row(p.ids.size() - 1), p.numClasses);
            if (predicted != fromProbabilities)
                throw Error(fmt::format("{}: line {}: row '{}' says predicted {}, but its probabilities give class {}", path,
                                        line, fields[0], predicted, fromProbabilities));
        });
    if (!found)
        throw Error(path + ": missing or unreadable");
    return p;
}

void writeLeakageCsv(const std::string& path, const std::vector<LeakageRow>& rows)
{
    writeStreamAtomically(path, [&](std::ostream& out) {
        out << "id,split,exact_duplicate,near_duplicate,conflicting_label,nearest_train_id,similarity\n";
        for (const LeakageRow& r : rows)
            out << CsvReader::quote(r.id) << ',' << splitName(r.split) << ',' << (r.exact ? 1 : 0) << ',' << (r.near ? 1 : 0)
                << ',' << (r.conflicting ? 1 : 0) << ',' << CsvReader::quote(r.nearestTrainId) << ','
                << (std::isnan(r.similarity) ? std::string() : formatFloat(r.similarity)) << '\n';
    });
}

std::vector<LeakageRow> readLeakageCsv(const std::string& path)
{
    std::vector<LeakageRow> rows;
    std::vector<std::string> header;
    // Missing in runs from before the leakage check, or with it off: no rows.
    readCsvFile(
        path,
        [&](const std::vector<std::string>& h) {
            if (h.size() != 7 || h[0] != "id" || h[6] != "similarity")
                throw Error(path + ": not a leakage file (expected id,split,exact_duplicate,near_duplicate,"
                                   "conflicting_label,nearest_train_id,similarity)");
            header = h;
            return h.size();
        },
        [&](const std::vector<std::string>& fields, std::size_t line) {
            const Record rec{path, header, fields, line};
            LeakageRow row;
            row.id = fields[0];
            row.split = rec.split(1);
            row.exact = rec.flag(2);
            row.near = rec.flag(3);
            row.conflicting = rec.flag(4);
            row.nearestTrainId = fields[5];
            if (fields[6].empty()) {
                row.similarity = std::numeric_limits<float>::quiet_NaN();
            } else {
                const auto s = parseFloat(fields[6]);
                if (!s || !std::isfinite(*s))
                    rec.refuse(6, "is not a number");
                row.similarity = *s;
            }
            rows.push_back(std::move(row));
        });
    return rows;
}

void writeOutOfFoldCsv(const std::string& path, const OutOfFold& o)
{
    const int k = o.numClasses();
    writeStreamAtomically(path, [&](std::ostream& out) {
        out << "id,label,fold";
        writeClassHeader(out, o.labelNames, k);
        for (std::size_t r = 0; r < o.ids.size(); ++r) {
            out << CsvReader::quote(o.ids[r]) << ',' << o.labels[r] << ',' << o.fold[r];
            writeProbabilities(out, o.probabilities.data() + r * static_cast<std::size_t>(k), k);
            out << '\n';
        }
    });
}

OutOfFold readOutOfFoldCsv(const std::string& path)
{
    OutOfFold o;
    std::vector<std::string> header;
    int k = 0;
    const bool found = readCsvFile(
        path,
        [&](const std::vector<std::string>& h) {
            if (h.size() < 5 || h[0] != "id" || h[1] != "label" || h[2] != "fold")
                throw Error(path + ": not an out-of-fold file (expected id,label,fold,p_<class>...)");
            header = h;
            o.labelNames = classNames(h, 3);
            k = o.numClasses();
            return h.size();
        },
        [&](const std::vector<std::string>& fields, std::size_t line) {
            const Record rec{path, header, fields, line};
            o.ids.push_back(fields[0]);
            o.labels.push_back(rec.classIndex(1, k));
            const auto fold = parseInteger(fields[2]);
            if (!fold || *fold < 0 || *fold > 1000000)
                rec.refuse(2, "is not a fold number");
            o.fold.push_back(static_cast<int>(*fold));
            rec.probabilities(3, k, o.probabilities);
        });
    if (!found)
        throw Error(path + ": missing (train the run with --cv K to get out-of-fold probabilities)");
    return o;
}

} // namespace headbench
