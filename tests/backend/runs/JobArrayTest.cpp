// The job array script of sweep --sbatch: every word reaches the task as written, whatever it
// holds, and the script asks Slurm for what the task needs.
#include <headbench/runs/JobArray.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <random>

using namespace headbench;

namespace {

/// What bash makes of `command`: its standard output.
std::string bashOutput(const std::string& command)
{
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(("bash -c " + shellWord(command)).c_str(), "r"), &pclose);
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0)
        out.append(buf.data(), n);
    return out;
}

} // namespace

TEST(JobArray, EveryWordReachesTheTaskAsWritten)
{
    // Random words over the characters a path, a JSON value or a name can hold, quotes and
    // shell syntax included: bash gives each back unchanged.
    const std::string alphabet = "ab/._-=:,+@% '\"$`\\!*?[](){}<>|&;#~\t\n\xc3\xa9";
    std::mt19937 rng(5);
    for (int trial = 0; trial < 200; ++trial) {
        std::string word;
        const int length = 1 + static_cast<int>(rng() % 12);
        for (int i = 0; i < length; ++i)
            word += alphabet[rng() % alphabet.size()];
        if (word.back() == '\xc3')
            word.pop_back(); // no torn UTF-8 at the end
        if (word.empty())
            continue;
        EXPECT_EQ(bashOutput("printf '%s' " + shellWord(word)), word) << shellWord(word);
    }
    EXPECT_EQ(shellWord("plain/path-1.h5"), "plain/path-1.h5");
    EXPECT_EQ(shellWord(""), "''");
}

TEST(JobArray, TheScriptShardsOverItsTasksAndRequeues)
{
    const std::string script = sbatchScript({.jobName = "headbench-sweep",
                                             .tasks = 3,
                                             .cpusPerTask = 4,
                                             .memory = "3G",
                                             .workdir = "/scratch/me",
                                             .logDir = "/scratch/me/ws/slurm-logs",
                                             .program = "/usr/bin/headbench-cli",
                                             .args = {"sweep", "--grid", "my grid.json", "--sweep-id", "S"},
                                             .afterOk = {"gather", "RUN"}});
    for (const char* line : {"#SBATCH --array=0-2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=3G\n",
                             "#SBATCH --requeue", "#SBATCH --chdir=/scratch/me\n",
                             "#SBATCH --output=/scratch/me/ws/slurm-logs/headbench-sweep-%A_%a.out\n",
                             "--threads \"${SLURM_CPUS_PER_TASK}\"", "--grid 'my grid.json'",
                             "--shard \"${SLURM_ARRAY_TASK_ID}/3\"", "--dependency=afterok:${jid}"})
        EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
    EXPECT_EQ(bashOutput("bash -n <<'EOF'\n" + script + "\nEOF\necho ok"), "ok\n"); // valid bash
    EXPECT_EQ(taskMemoryFor(700LL << 20), "3G");
    EXPECT_EQ(taskMemoryFor(10), "2G");
}
