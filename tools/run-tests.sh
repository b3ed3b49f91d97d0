#!/usr/bin/env bash
# Installs what HeadBench needs, builds it with its tests, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh -DHEADBENCH_BUILD_TESTS=ON
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 900
