#!/usr/bin/env bash
# The sanitizer jobs of CI: the test suite without the window (all but the tests labelled slow) built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/), and the training worker's test built with
# ThreadSanitizer (build-tsan/). Both use the HEADBENCH_SANITIZE CMake option.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# LibTorch, Qt and OpenBLAS are not instrumented: ASan cannot see their side of a container's
# annotations (container-overflow false positives), so that check is off. Every other ASan
# check is on, leak checking included (the whole suite runs clean), and UBSan stops at its first
# report. LeakSanitizer needs to stop the process's threads with ptrace; where a container
# forbids that, a probe finds out and the job says so and runs without leak checks.
leaks=1
probe=$(mktemp -d)
printf '#include <cstdlib>\nvoid* volatile kept;\nint main() { kept = std::malloc(7); kept = nullptr; return 0; }\n' > "$probe/leak.cpp"
if g++ -fsanitize=address -g "$probe/leak.cpp" -o "$probe/leak" 2> /dev/null; then
  report=$(ASAN_OPTIONS=detect_leaks=1 "$probe/leak" 2>&1 || true)
  if [[ "$report" != *"detected memory leaks"* ]]; then
    echo "LeakSanitizer does not work here (ptrace refused?): leak checks are off for this run"
    leaks=0
  fi
fi
rm -rf "$probe"
export ASAN_OPTIONS=detect_leaks=$leaks:detect_container_overflow=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Without the window (HEADBENCH_BUILD_GUI=OFF): the backend, the CLI and their tests. The
# widgets, the window and their QtTest programs were a fifth of this build's compile time, and
# a cold CI run took 75 minutes of the 60 it is given; the window's threading stays covered by
# the ThreadSanitizer job below, and its tests run unsanitised in the main suite.
# -Og, not -O1: it compiles in less than half the time under the sanitizers (RunStore.cpp 34 s
# against 80 s) and the suite's time is spent in process start-up and uninstrumented libraries.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-Og" -DHEADBENCH_BUILD_TESTS=ON \
  -DHEADBENCH_BUILD_BENCH=OFF -DHEADBENCH_BUILD_GUI=OFF -DHEADBENCH_SANITIZE=address,undefined > /dev/null
cmake --build build-asan --parallel "$jobs"
# Tests labelled slow, and those labelled fuzzed (their parsers run under ASan in the fuzz
# targets), are left out (tests/CMakeLists.txt): CI has an hour for everything.
(cd build-asan && ctest --output-on-failure --parallel "$jobs" --timeout 1200 --label-exclude "slow|slurm|fuzzed")

# ThreadSanitizer sees only instrumented code: Qt's and LibTorch's own synchronisation is
# invisible to it, so reports whose stacks run through those libraries are suppressed
# (tests/tsan/tsan.supp); races in HeadBench's code between the GUI thread, the worker and
# Adam's helper thread are reported and fail the job.
# -Og as for ASan: the worker's test is the same at either level; the build is the cost.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-Og" -DHEADBENCH_BUILD_TESTS=ON \
  -DHEADBENCH_BUILD_BENCH=OFF -DHEADBENCH_SANITIZE=thread > /dev/null
cmake --build build-tsan --parallel "$jobs" --target TrainingWorkerRaceTest
TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
  QT_QPA_PLATFORM=offscreen build-tsan/tests/TrainingWorkerRaceTest
