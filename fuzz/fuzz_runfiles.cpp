// Any bytes as one file of a run folder: the first byte chooses which (predictions.csv, oof.csv,
// leakage.csv, run.json, metrics.json, spec.json, history.json, cv.json), the rest is its content; the
// other files of the folder are valid. Every reader must accept it or throw headbench::Error.
#include <headbench/core/Error.h>
#include <headbench/eval/PredictionFiles.h>
#include <headbench/runs/RunStore.h>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, std::string_view bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const fs::path& runDir()
{
    static const fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("headbench-fuzz-run-" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

struct File {
    const char* name;
    const char* valid;
};
constexpr std::array<File, 8> kFiles{{
    {"predictions.csv", "id,split,label,predicted,p_a,p_b\n\"x, \"\"1\"\"\",test,1,1,7.146622e-43,1\n2,train,0,0,1,0\n"},
    {"oof.csv", "id,label,fold,p_a,p_b\n1,0,0,0.25,0.75\n\"2\n\",1,1,1e-45,1\n"},
    {"leakage.csv", "id,split,exact_duplicate,near_duplicate,conflicting_label,nearest_train_id,similarity\n"
                    "1,test,0,1,0,7,0.93\n2,validation,0,0,0,,\n"},
    {"run.json", R"({"id":"r","name":"n","status":"finished","features":{"path":"f.h5","hash":"0","rows":2,"dim":3},
                   "label_names":["a","b"],"threshold":0.3,"tags":["t"],"sweep":{"id":"s","params":{"lr":0.1}},
                   "leakage":{"method":"text"},"calibration":{"method":"temperature","temperature":1.5}})"},
    {"metrics.json", R"({"validation":{"count":1,"f1":0.5,"ci":{"f1":[0.1,0.9]},"confusion":[[1,0],[0,1]]},
                       "test":{"count":1,"accuracy":null}})"},
    {"spec.json", R"({"depth":1,"hidden":[8],"epochs":2})"},
    {"history.json", R"([{"epoch":1,"train_loss":0.5,"val_loss":null,"l2":0.1,"iterations":3}])"},
    {"cv.json", R"({"k":3,"folds_by":"stratified","pooled_rows":10,"mean":{"f1":0.5,"loss":null},"sd":{"f1":0.1}})"},
}};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const fs::path& dir = runDir();
    for (const File& f : kFiles)
        write(dir / f.name, f.valid);
    write(dir / "head.pt", "");
    const File& chosen = kFiles[data[0] % kFiles.size()];
    write(dir / chosen.name, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    const std::string d = dir.string();
    try {
        headbench::loadRun(d);
    } catch (const headbench::Error&) {
    }
    try {
        headbench::loadPredictions(d);
    } catch (const headbench::Error&) {
    }
    try {
        headbench::loadLeakageRows(d);
    } catch (const headbench::Error&) {
    }
    try {
        headbench::readOutOfFoldCsv((dir / "oof.csv").string());
    } catch (const headbench::Error&) {
    }
    try {
        headbench::loadCrossValidationSummary(d);
    } catch (const headbench::Error&) {
    }
    try {
        headbench::listRuns(dir.parent_path().string() + "/nonexistent");
    } catch (const headbench::Error&) {
    }
    return 0;
}
