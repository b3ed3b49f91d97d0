#!/usr/bin/env bash
# Installs, builds, and opens the HeadBench window on the built-in demo workspace (dataset
# generated, features extracted with the built-in backbone, ready to train).
# Without a display it runs the same demo headless: the command-line pipeline, then a
# screenshot of the window (offscreen) in $HEADBENCH_DEMO_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/app/gui/headbench --demo
fi
demo="${HEADBENCH_DEMO_DIR:-$HOME/headbench-demo}"
cli=build/app/cli/headbench-cli
echo "No display: running the demo headless in $demo"
mkdir -p "$demo"
"$cli" demo --out "$demo"
"$cli" extract --dataset "$demo/demo.jsonl" --backbone hashed-ngram --out "$demo/features/demo.h5"
"$cli" inspect "$demo/features/demo.h5"
"$cli" train --features "$demo/features/demo.h5" --workspace "$demo" --depth 2 --width 256 --epochs 20
"$cli" runs --workspace "$demo"
QT_QPA_PLATFORM=offscreen build/app/gui/headbench --workspace "$demo" --screenshot "$demo/headbench.png"
echo "The window, as it shows this workspace: $demo/headbench.png"
