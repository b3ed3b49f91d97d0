#!/usr/bin/env bash
# Builds the Debian package from an existing build folder (default build/, as run-tests.sh left
# it), installs it with apt-get as a user would, runs the installed programs from /usr/bin
# (version, an extraction through the installed SentencePiece plugin, a screenshot of the window
# offscreen), validates the installed desktop file and metainfo, and removes the package again.
# Run as root (or with sudo). Usage: tools/test-install.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$(realpath "${1:-build}")
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
app_id=org.headbench.HeadBench

[ -f "$build/CPackConfig.cmake" ] || { echo "error: $build/CPackConfig.cmake missing: build first (tools/build.sh)"; exit 2; }
if dpkg-query -W -f='${Status}' headbench 2>/dev/null | grep -q "install ok installed"; then
  echo "error: a headbench package is installed already; this test installs and removes its own (apt-get remove headbench first)"
  exit 2
fi

rm -f "$build"/headbench_*.deb
(cd "$build" && cpack -G DEB > cpack.log) || { cat "$build/cpack.log"; exit 1; }
debs=("$build"/headbench_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "error: cpack made no single headbench_*.deb"; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb -f "$deb" Depends

work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    $SUDO apt-get purge -y -qq headbench > /dev/null && echo "removed the headbench package (purged)"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# apt reads a local file as user _apt; a copy in a world-readable folder avoids its warning.
chmod 755 "$work"
cp "$deb" "$work/" && chmod 644 "$work/$(basename "$deb")"
$SUDO apt-get install -y -qq "$work/$(basename "$deb")" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
installed=1
echo "installed with apt-get"

plugin=$(dpkg -L headbench | grep '/headbench/headbench_sentencepiece\.so$' || true)
[ -n "$plugin" ] || { echo "error: the package does not install the SentencePiece plugin"; exit 1; }
for f in /usr/bin/headbench /usr/bin/headbench-cli \
         /usr/share/applications/$app_id.desktop /usr/share/metainfo/$app_id.metainfo.xml \
         /usr/share/icons/hicolor/scalable/apps/$app_id.svg; do
  dpkg -S "$f" > /dev/null || { echo "error: the package does not install $f"; exit 1; }
done

desktop-file-validate /usr/share/applications/$app_id.desktop
appstreamcli validate --no-net /usr/share/metainfo/$app_id.metainfo.xml

# A home of its own: the demo workspace and settings go there, not into the machine's.
export HOME="$work/home" XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config" \
  XDG_RUNTIME_DIR="$work/home/runtime"
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
cd "$work"
/usr/bin/headbench-cli --version
QT_QPA_PLATFORM=offscreen /usr/bin/headbench --version

# The SentencePiece plugin is found where the package put it (LD_DEBUG names the file loaded).
models="$build/tests/models"
if [ ! -f "$models/decoder_like.pt" ]; then
  models="$work/models"
  /usr/bin/python3 "$root/tools/make_test_backbones.py" "$models" > /dev/null
fi
/usr/bin/headbench-cli demo --out "$work/demo" --n 40 > /dev/null
LD_DEBUG=files /usr/bin/headbench-cli --threads 1 extract --dataset "$work/demo/demo.jsonl" \
  --backbone "$models/decoder_like.pt" --pooling last --out "$work/demo/decoder.h5" \
  --tokenizer "$root/tests/data/tokenizers/sentencepiece/tokenizer.model" 2> "$work/ld.log" > /dev/null \
  || { grep -v "^ *[0-9]*:" "$work/ld.log"; exit 1; }
loaded=$(grep -o "file=[^ ]*headbench_sentencepiece.so" "$work/ld.log" | sed 's/^file=//' | xargs -r realpath | sort -u)
[ "$loaded" = "$(realpath "$plugin")" ] \
  || { echo "error: the installed headbench-cli loaded the plugin from '${loaded}'"; exit 1; }
echo "extracted with the SentencePiece tokenizer through $loaded"
# The model ran in the LibTorch module the package installed (src/extract/TorchLibrary.h).
module=$(dpkg -L headbench | grep '/headbench/headbench_torch\.so$' || true)
[ -n "$module" ] || { echo "error: the package does not install the LibTorch module"; exit 1; }
torch_loaded=$(grep -o "file=[^ ]*headbench_torch.so" "$work/ld.log" | sed 's/^file=//' | xargs -r realpath | sort -u)
[ "$torch_loaded" = "$(realpath "$module")" ] \
  || { echo "error: the installed headbench-cli loaded the LibTorch module from '${torch_loaded}'"; exit 1; }
echo "ran the model through $torch_loaded"

QT_QPA_PLATFORM=offscreen /usr/bin/headbench --demo --screenshot "$work/window.png"
size=$(/usr/bin/python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$work/window.png")
[ "$size" = 1280x800 ] || { echo "error: the screenshot is $size, not 1280x800"; exit 1; }
echo "the installed window saved a $size screenshot"
echo "install test passed"
