#!/usr/bin/env bash
# Installs the Debian 12 packages HeadBench builds, runs and tests with. Run as root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config clang-14 libclang-rt-14-dev
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev
  libtorch-dev libopenblas0-pthread libblas-dev
  libhdf5-dev libxxhash-dev libzip-dev nlohmann-json3-dev libcli11-dev libfmt-dev libsentencepiece-dev libicu-dev
  libgtest-dev
  python3-torch python3-h5py python3-sklearn python3-numpy python3-regex python3-sentencepiece python3-xxhash
  xvfb xauth
  desktop-file-utils appstream dpkg-dev
  slurm-wlm munge  # tests/slurm_cluster.py: a one-node Slurm (tools/local-slurm.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
