#include "RunStore.h"

#include "CsvReader.h"
#include "Error.h"
#include "Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace headbench {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

json number(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}
double numberOf(const json& j, const char* key)
{
    const auto it = j.find(key);
    return it == j.end() || it->is_null() ? std::numeric_limits<double>::quiet_NaN() : it->get<double>();
}

json metricsJson(const Metrics& m)
{
    return json{{"count", m.count},     {"accuracy", number(m.accuracy)}, {"precision", number(m.precision)},
                {"recall", number(m.recall)}, {"f1", number(m.f1)},          {"roc_auc", number(m.rocAuc)},
                {"pr_auc", number(m.prAuc)},  {"ece", number(m.ece)},        {"loss", number(m.loss)},
                {"confusion", m.confusion}};
}

Metrics metricsFromJson(const json& j)
{
    Metrics m;
    m.count = j.value("count", 0LL);
    m.accuracy = numberOf(j, "accuracy");
    m.precision = numberOf(j, "precision");
    m.recall = numberOf(j, "recall");
    m.f1 = numberOf(j, "f1");
    m.rocAuc = numberOf(j, "roc_auc");
    m.prAuc = numberOf(j, "pr_auc");
    m.ece = numberOf(j, "ece");
    m.loss = numberOf(j, "loss");
    m.confusion = j.value("confusion", std::vector<std::vector<std::int64_t>>{});
    return m;
}

json historyJson(const std::vector<EpochStats>& history)
{
    json arr = json::array();
    for (const auto& e : history)
        arr.push_back({{"epoch", e.epoch}, {"train_loss", number(e.trainLoss)}, {"val_loss", number(e.valLoss)},
                       {"val_accuracy", number(e.valAccuracy)}, {"val_f1", number(e.valF1)},
                       {"val_roc_auc", number(e.valRocAuc)}, {"lr", e.learningRate}, {"seconds", e.seconds}});
    return arr;
}

std::vector<EpochStats> historyFromJson(const json& arr)
{
    std::vector<EpochStats> out;
    for (const auto& j : arr) {
        EpochStats e;
        e.epoch = j.value("epoch", 0);
        e.trainLoss = numberOf(j, "train_loss");
        e.valLoss = numberOf(j, "val_loss");
        e.valAccuracy = numberOf(j, "val_accuracy");
        e.valF1 = numberOf(j, "val_f1");
        e.valRocAuc = numberOf(j, "val_roc_auc");
        e.learningRate = numberOf(j, "lr");
        e.seconds = numberOf(j, "seconds");
        out.push_back(e);
    }
    return out;
}

void writeText(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
        throw Error(path.string() + ": writing failed (disk full?)");
}

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": missing or unreadable");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string utcNow(const char* format)
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

} // namespace

std::string metricsToJson(const Metrics& m)
{
    return metricsJson(m).dump();
}

RunRecord saveRun(const std::string& workspace, const FeatureSet& data, const HeadSpec& spec,
                  const TrainResult& result, const std::string& name)
{
    const fs::path runs = fs::path(workspace) / "runs";
    std::error_code ec;
    fs::create_directories(runs, ec);
    if (ec)
        throw Error(runs.string() + ": cannot create the runs folder (" + ec.message() + ")");

    RunRecord rec;
    std::random_device rd;
    rec.id = utcNow("%Y%m%d-%H%M%S") + fmt::format("-{:04x}", rd() & 0xffff);
    rec.name = name.empty() ? summary(spec) : name;
    rec.created = utcNow("%Y-%m-%dT%H:%M:%SZ");
    rec.status = result.cancelled ? "cancelled" : "finished";
    rec.featuresPath = data.path.empty() ? std::string() : fs::absolute(data.path).string();
    rec.featuresHash = data.path.empty() ? std::string() : hashFile(data.path);
    rec.backbone = data.backbone;
    rec.rows = data.rows;
    rec.dim = data.dim;
    rec.labelNames = data.labelNames;
    rec.spec = spec;
    rec.parameters = result.parameters;
    rec.bestEpoch = result.bestEpoch;
    rec.epochsRun = static_cast<int>(result.history.size());
    rec.seconds = result.seconds;
    rec.history = result.history;
    rec.validation = result.validation;
    rec.test = result.test;

    // Everything goes into a hidden folder first; the rename at the end is what makes the run
    // visible, so a crash or a full disk never leaves a half-written run in the list.
    const fs::path tmp = runs / (".partial-" + rec.id);
    const fs::path dir = runs / rec.id;
    try {
        fs::create_directories(tmp);
        writeText(tmp / "spec.json", toJson(spec) + "\n");
        writeText(tmp / "history.json", historyJson(result.history).dump(1) + "\n");
        writeText(tmp / "metrics.json",
                  json{{"validation", metricsJson(result.validation)}, {"test", metricsJson(result.test)}}.dump(1) + "\n");
        {
            std::ofstream out(tmp / "predictions.csv", std::ios::binary);
            out << "id,split,label,predicted";
            for (const auto& n : data.labelNames)
                out << ',' << CsvReader::quote("p_" + n);
            out << '\n';
            const int k = data.numClasses();
            for (std::int64_t r = 0; r < data.rows; ++r) {
                const float* p = result.probabilities.data() + r * k;
                out << CsvReader::quote(data.idOf(r)) << ',' << splitName(result.split[static_cast<std::size_t>(r)]) << ','
                    << data.labels[static_cast<std::size_t>(r)] << ',' << predictClass(p, k);
                for (int c = 0; c < k; ++c)
                    out << ',' << fmt::format("{:.7g}", p[c]);
                out << '\n';
            }
            out.flush();
            if (!out)
                throw Error((tmp / "predictions.csv").string() + ": writing failed (disk full?)");
        }
        result.head.save((tmp / "head.pt").string());
        json run{{"id", rec.id},
                 {"name", rec.name},
                 {"created", rec.created},
                 {"status", rec.status},
                 {"summary", summary(spec)},
                 {"features", {{"path", rec.featuresPath}, {"hash", rec.featuresHash}, {"backbone", rec.backbone},
                               {"rows", rec.rows}, {"dim", rec.dim}}},
                 {"label_names", rec.labelNames},
                 {"parameters", rec.parameters},
                 {"best_epoch", rec.bestEpoch},
                 {"epochs_run", rec.epochsRun},
                 {"stopped_early", result.stoppedEarly},
                 {"seconds", rec.seconds},
                 {"split_source", data.split.empty() ? "stratified 80/10/10 from the seed" : "file"}};
        writeText(tmp / "run.json", run.dump(1) + "\n"); // written last: its presence marks completeness
        fs::rename(tmp, dir);
    } catch (const std::exception& e) {
        fs::remove_all(tmp, ec);
        throw Error(std::string("saving the run failed: ") + e.what());
    }
    rec.dir = dir.string();
    return rec;
}

RunRecord loadRun(const std::string& dirPath)
{
    const fs::path dir(dirPath);
    for (const char* required : {"run.json", "spec.json", "history.json", "metrics.json", "predictions.csv", "head.pt"})
        if (!fs::exists(dir / required))
            throw Error(dirPath + ": not a complete run (missing " + required + ")");
    RunRecord rec;
    try {
        const json run = json::parse(readText(dir / "run.json"));
        rec.id = run.at("id").get<std::string>();
        rec.name = run.value("name", rec.id);
        rec.created = run.value("created", "");
        rec.status = run.value("status", "finished");
        const auto& f = run.at("features");
        rec.featuresPath = f.value("path", "");
        rec.featuresHash = f.value("hash", "");
        rec.backbone = f.value("backbone", "");
        rec.rows = f.value("rows", 0LL);
        rec.dim = f.value("dim", 0LL);
        rec.labelNames = run.value("label_names", std::vector<std::string>{});
        rec.parameters = run.value("parameters", 0LL);
        rec.bestEpoch = run.value("best_epoch", 0);
        rec.epochsRun = run.value("epochs_run", 0);
        rec.seconds = run.value("seconds", 0.0);
        rec.history = historyFromJson(json::parse(readText(dir / "history.json")));
        const json metrics = json::parse(readText(dir / "metrics.json"));
        rec.validation = metricsFromJson(metrics.at("validation"));
        rec.test = metricsFromJson(metrics.at("test"));
    } catch (const json::exception& e) {
        throw Error(dirPath + ": run files are damaged (" + std::string(e.what()) + ")");
    }
    rec.spec = headSpecFromJson(readText(dir / "spec.json"), (dir / "spec.json").string());
    rec.dir = dirPath;
    return rec;
}

std::vector<RunRecord> listRuns(const std::string& workspace, std::vector<std::string>* problems)
{
    std::vector<RunRecord> runs;
    const fs::path root = fs::path(workspace) / "runs";
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        return runs;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory() || entry.path().filename().string().starts_with("."))
            continue;
        try {
            runs.push_back(loadRun(entry.path().string()));
        } catch (const Error& e) {
            if (problems)
                problems->push_back(e.what());
        }
    }
    std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) { return a.id > b.id; });
    return runs;
}

RunPredictions loadPredictions(const std::string& dirPath)
{
    const fs::path path = fs::path(dirPath) / "predictions.csv";
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": missing or unreadable");
    CsvReader reader(in, path.string());
    std::vector<std::string> record;
    std::size_t line = 0;
    if (!reader.next(record, line) || record.size() < 6 || record[0] != "id")
        throw Error(path.string() + ": not a predictions file");
    RunPredictions p;
    p.numClasses = static_cast<int>(record.size()) - 4;
    while (reader.next(record, line)) {
        if (static_cast<int>(record.size()) != p.numClasses + 4)
            throw Error(fmt::format("{}: line {}: expected {} fields", path.string(), line, p.numClasses + 4));
        try {
            p.ids.push_back(record[0]);
            p.split.push_back(record[1] == "train" ? kTrain : record[1] == "validation" ? kValidation : kTest);
            p.labels.push_back(std::stoi(record[2]));
            for (int c = 0; c < p.numClasses; ++c)
                p.probabilities.push_back(std::stof(record[4 + static_cast<std::size_t>(c)]));
        } catch (const std::logic_error&) {
            throw Error(fmt::format("{}: line {}: not a number", path.string(), line));
        }
    }
    return p;
}

TrainedHead loadRunHead(const std::string& dir)
{
    return TrainedHead::load((fs::path(dir) / "head.pt").string());
}

} // namespace headbench
