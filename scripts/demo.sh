#!/usr/bin/env bash
# The main job on a sample file, from a fresh Debian 12 machine (as root):
# installs the dependencies, builds mpegflow, encodes a sample to a 3-rung
# ladder in MP4 and HLS, and prints where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
sample=${1:-../shared/media/mp4_h264_aac_640x360_17s.mp4}
out=${2:-demo-output}
rm -rf "$out"
./build/src/mpegflow encode "$sample" -o "$out" --ladder 360,240,144 --progress
echo
echo "outputs in $(cd "$out" && pwd):"
(cd "$out" && find . -maxdepth 3 \( -name '*.mp4' -o -name '*.m3u8' -o -name result.json \) ! -name init.mp4 | sort)
echo
ffprobe -v error -show_entries stream=codec_name,width,height:format=duration -of compact "$out"/360p.mp4
