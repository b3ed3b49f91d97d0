#!/usr/bin/env bash
# The sanitizer jobs of CI: the whole test suite built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/), and the training worker's test built with
# ThreadSanitizer (build-tsan/). Both use the HEADBENCH_SANITIZE CMake option.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# LibTorch, Qt and OpenBLAS are not instrumented: ASan cannot see their side of a container's
# annotations (container-overflow false positives) and they keep process-lifetime allocations
# (leak reports that are not ours), so both checks are off; every other ASan check is on, and
# UBSan stops at its first report.
export ASAN_OPTIONS=detect_leaks=0:detect_container_overflow=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DHEADBENCH_BUILD_TESTS=ON \
  -DHEADBENCH_BUILD_BENCH=OFF -DHEADBENCH_SANITIZE=address,undefined > /dev/null
cmake --build build-asan --parallel "$jobs"
(cd build-asan && ctest --output-on-failure --parallel "$jobs" --timeout 1800)

# ThreadSanitizer sees only instrumented code: Qt's and LibTorch's own synchronisation is
# invisible to it, so reports whose stacks run through those libraries are suppressed
# (tests/tsan/tsan.supp); races in HeadBench's code between the GUI thread, the worker and
# Adam's helper thread are reported and fail the job.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1" -DHEADBENCH_BUILD_TESTS=ON \
  -DHEADBENCH_BUILD_BENCH=OFF -DHEADBENCH_SANITIZE=thread > /dev/null
cmake --build build-tsan --parallel "$jobs" --target TrainingWorkerRaceTest
TSAN_OPTIONS="suppressions=$PWD/tests/tsan/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
  QT_QPA_PLATFORM=offscreen build-tsan/tests/TrainingWorkerRaceTest
