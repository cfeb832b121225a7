#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine (as root): installs the
# dependencies, builds mpegflow, starts redis-server and nginx (the storage
# endpoint) on loopback, runs one worker, submits a sample job, waits for it
# and prints where the outputs are. Everything it started is stopped again.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
sample=${1:-../shared/media/mp4_h264_aac_640x360_17s.mp4}
exec python3 scripts/demo_worker.py build "$sample" "${2:-demo-output}"
