// headbench-cli: the headless HeadBench, for scripts and clusters.
#include "Commands.h"

#include <headbench/core/Error.h>
#include <headbench/compute/Runtime.h>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <exception>

namespace headbench::cli {
int lastExitCode();
}

int main(int argc, char** argv)
{
    CLI::App app{"HeadBench: train and compare classification heads on cached backbone features", "headbench-cli"};
    int threads = 0;
    app.add_option("--threads", threads, "Compute threads (default: all cores)")->check(CLI::Range(0, 1024));
    app.set_version_flag("--version", "headbench-cli " HEADBENCH_VERSION);
    // `headbench-cli train ... --threads 2` as well as `headbench-cli --threads 2 train ...`:
    // subcommands (which inherit this) hand options they do not know to the app.
    app.fallthrough();
    // Thread counts are set once, after the options are read and before any tensor work.
    app.parse_complete_callback([&threads] { headbench::configureRuntime(threads); });
    headbench::cli::registerCommands(app);
    headbench::cli::g_argv.assign(argv, argv + argc);
    // A message after a progress bar starts on a line of its own; bars are drawn on terminals only,
    // so piped output (scripts, logs) gets no blank first line.
    const char* lead = isatty(STDERR_FILENO) ? "\n" : "";
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : headbench::cli::kUserError;
    } catch (const headbench::Error& e) {
        if (headbench::cli::g_interrupted) { // an error the interrupt caused: still a cancel
            fmt::print(stderr, "{}interrupted: {}\n", lead, e.what());
            return headbench::cli::kInterrupted;
        }
        fmt::print(stderr, "{}error: {}\n", lead, e.what());
        return headbench::cli::kUserError;
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}internal error: {}\n", lead, e.what());
        return 1;
    }
    // Ctrl-C at any moment is exit 130, also when it came too late to stop the work (a run that
    // was already being saved is kept: it is finished).
    if (headbench::cli::g_interrupted && headbench::cli::lastExitCode() == headbench::cli::kOk)
        return headbench::cli::kInterrupted;
    return headbench::cli::lastExitCode();
}
