#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang and runs each for SECONDS (default 60) on a
# copy of its committed seed corpus. Fails when a target finds a crash, a sanitizer report or a
# timeout; the input that did it is kept under build-fuzz/findings/ (make it a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CC=clang-14 CXX=clang++-14 cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz --parallel "$(nproc)"
mkdir -p build-fuzz/findings
summary=()
status=0
for target in jsonl csv headspec tokenizer_text tokenizer_json runfiles safetensors featurefile; do
  work=build-fuzz/corpus/$target
  rm -rf "$work" && mkdir -p "$work"
  cp fuzz/corpus/$target/* "$work"/
  log=build-fuzz/$target.log
  echo "fuzzing $target for ${seconds}s..."
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     build-fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix=build-fuzz/findings/$target- "$work" > "$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    summary+=("$target: $runs executions, no crash")
  else
    status=1
    summary+=("$target: FAILED (see $log and build-fuzz/findings/)")
    tail -40 "$log"
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
