#pragma once
/// \file JobArray.h
/// A Slurm job array script for a sweep, repeats or cross-validation: `sweep --sbatch` and
/// `train --repeats/--cv --sbatch` print it. Every task runs the same command with `--shard
/// I/N` (I from SLURM_ARRAY_TASK_ID, N written into the script, so re-running one task with
/// `sbatch --array=I` keeps its share) and `--threads` from its CPUs; a step that needs every
/// task's output is submitted after the array with `afterok`.
#include <string>
#include <vector>

namespace headbench {

struct JobArraySpec {
    std::string jobName = "headbench";
    std::string description;        ///< one comment line, e.g. "sweep sweep-3f2a9c01be77: 6 points"
    int tasks = 1;                  ///< array size: task I runs the points p with p mod tasks = I
    int cpusPerTask = 2;            ///< also the task's --threads
    std::string memory = "4G";      ///< --mem
    std::string time = "04:00:00";  ///< --time
    std::string partition;          ///< --partition; empty: the cluster's default
    std::string workdir;            ///< --chdir: where relative paths of the command resolve
    std::string logDir;             ///< where each task's log goes (%A_%a)
    std::string program;            ///< headbench-cli, as an absolute path where known
    std::vector<std::string> args;  ///< the subcommand and its arguments, without --shard and --threads
    std::vector<std::string> afterOk; ///< a command (program and arguments) for after every task; empty: none
};

/// The job array script (bash, #SBATCH lines, requeue on, logs appended across requeues), with
/// the submit line at its end (and the afterok line when there is one).
std::string sbatchScript(const JobArraySpec& spec);

/// `text` as one word of a POSIX shell command: as is when it is made of safe characters, else
/// in single quotes.
std::string shellWord(const std::string& text);

/// The memory a task asks for: the feature matrix (file size) twice over, plus 1 GiB for the
/// process, rounded up to whole GiB, e.g. "3G" for a 700 MB file.
std::string taskMemoryFor(long long featureFileBytes);

} // namespace headbench
