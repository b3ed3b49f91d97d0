#!/usr/bin/env bash
# Installs, builds, and runs HeadBench on the built-in demo: generate the dataset, extract
# features with the built-in backbone, train a head and list the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
demo="${HEADBENCH_DEMO_DIR:-$HOME/headbench-demo}"
cli=build/app/cli/headbench-cli
mkdir -p "$demo"
"$cli" demo --out "$demo"
"$cli" extract --dataset "$demo/demo.jsonl" --backbone hashed-ngram --out "$demo/demo.h5"
"$cli" inspect "$demo/demo.h5"
"$cli" train --features "$demo/demo.h5" --workspace "$demo/workspace" --depth 2 --width 256 --epochs 20
"$cli" runs --workspace "$demo/workspace"
