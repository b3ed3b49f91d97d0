#pragma once
/// \file Commands.h
/// The subcommands of headbench-cli. Each returns the process exit code:
/// 0 success, 2 bad input or options (message on stderr), 130 interrupted.
#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace headbench {
struct CrossValidationResult;
struct FeatureSummary;
}

namespace headbench::cli {

/// Registers every subcommand on the app.
void registerCommands(CLI::App& app);

/// Registers `train` and `sweep` (TrainCommands.cpp); their exit code goes to `exitCode`.
void registerTrainCommands(CLI::App& app, int& exitCode);

/// Registers `runs`, `eval` and `compare` (RunCommands.cpp); their exit code goes to `exitCode`.
void registerRunCommands(CLI::App& app, int& exitCode);

/// Registers `extract` and `merge` (ExtractCommands.cpp); their exit code goes to `exitCode`.
void registerExtractCommands(CLI::App& app, int& exitCode);

/// Registers `tokenize` (TokenizeCommand.cpp); its exit code goes to `exitCode`.
void registerTokenizeCommand(CLI::App& app, int& exitCode);

/// Registers `label-issues` (QualityCommands.cpp); its exit code goes to `exitCode`.
void registerQualityCommands(CLI::App& app, int& exitCode);
/// The per-fold table of `train --cv` (QualityCommands.cpp).
void printCrossValidation(const headbench::CrossValidationResult& cv);

/// Registers `rank` (RankCommands.cpp); its exit code goes to `exitCode`.
void registerRankCommands(CLI::App& app, int& exitCode);
/// The feature sets of a version-2 file for `inspect` (RankCommands.cpp).
nlohmann::json featureSetsJson(const headbench::FeatureSummary& summary);
void printFeatureSets(const headbench::FeatureSummary& summary);

/// The command line as given (main sets it): `--sbatch` writes it into a job array script.
extern std::vector<std::string> g_argv;

/// Set by SIGINT/SIGTERM; long jobs poll it between batches and stop cleanly.
extern std::atomic<bool> g_interrupted;

/// For --seed options: a whole number 0 to 2^64 - 1. CLI11 read "-1" as 2^64 - 1 and a number
/// past 2^64 as the largest seed, without a word.
extern const CLI::Validator kSeedNumber;

/// Exit codes.
enum ExitCode { kOk = 0, kUserError = 2, kInterrupted = 130 };

} // namespace headbench::cli
