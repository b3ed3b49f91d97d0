#include <headbench/runs/JobArray.h>

#include <fmt/format.h>

#include <cmath>

namespace headbench {

std::string shellWord(const std::string& text)
{
    if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
                             std::string::npos)
        return text;
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

namespace {

std::string commandLine(const std::vector<std::string>& words)
{
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) // one flag and its value per line
            out += words[i].starts_with("--") ? " \\\n    " : " ";
        out += shellWord(words[i]);
    }
    return out;
}

} // namespace

std::string sbatchScript(const JobArraySpec& s)
{
    std::string out = "#!/bin/bash\n";
    if (!s.description.empty())
        out += "# " + s.description + "\n";
    out += fmt::format("# Task I of {} runs the points p with p mod {} = I.\n", s.tasks, s.tasks);
    out += "#SBATCH --job-name=" + s.jobName + "\n";
    out += fmt::format("#SBATCH --array=0-{}\n", s.tasks - 1);
    out += fmt::format("#SBATCH --cpus-per-task={}\n", s.cpusPerTask);
    out += "#SBATCH --mem=" + s.memory + "\n";
    out += "#SBATCH --time=" + s.time + "\n";
    if (!s.partition.empty())
        out += "#SBATCH --partition=" + s.partition + "\n";
    if (!s.workdir.empty())
        out += "#SBATCH --chdir=" + s.workdir + "\n";
    out += "#SBATCH --requeue            # a preempted task re-runs and skips the points it finished\n";
    out += "#SBATCH --open-mode=append   # one log per task across requeues\n";
    out += "#SBATCH --output=" + (s.logDir.empty() ? std::string() : s.logDir + "/") + s.jobName + "-%A_%a.out\n\n";
    out += "set -euo pipefail\n";
    out += shellWord(s.program) + " --threads \"${SLURM_CPUS_PER_TASK}\" " + commandLine(s.args) + " \\\n";
    out += fmt::format("    --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\"\n", s.tasks);
    out += "\n# Submit:\n";
    if (s.afterOk.empty()) {
        out += "#   sbatch THIS_FILE\n";
    } else {
        std::vector<std::string> after{s.program};
        after.insert(after.end(), s.afterOk.begin(), s.afterOk.end());
        std::string wrapped;
        for (std::size_t i = 0; i < after.size(); ++i)
            wrapped += (i ? " " : "") + shellWord(after[i]);
        out += "#   jid=$(sbatch --parsable THIS_FILE)\n";
        out += "#   sbatch --dependency=afterok:${jid}" +
               (s.workdir.empty() ? std::string() : " --chdir=" + shellWord(s.workdir)) + " --wrap " + shellWord(wrapped) + "\n";
    }
    return out;
}

std::string taskMemoryFor(long long featureFileBytes)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    const long long need = static_cast<long long>(std::ceil((2.0 * static_cast<double>(featureFileBytes) + gib) / gib));
    return fmt::format("{}G", std::max(2LL, need));
}

} // namespace headbench
