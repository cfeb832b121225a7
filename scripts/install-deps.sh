#!/usr/bin/env bash
# Install everything mpegflow needs to build and test on Debian 12 (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential meson ninja-build pkg-config python3 git
  libavformat-dev libavcodec-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev
  libx264-dev libjansson-dev libhiredis-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev libffmpeg-nvenc-dev
  ffmpeg redis-server redis-sentinel nginx-light libnginx-mod-http-dav-ext
  podman runc debootstrap curl   # the image suite builds Dockerfile.cpu/.gpu for real
  mesa-vulkan-drivers            # lavapipe: unit tests run the GPU pipeline's plumbing on a CPU Vulkan device
  python3-botocore               # storage-sigv4: the test S3 server recomputes SigV4 signatures with botocore
  docker-registry python3-yaml   # chart suite: release.sh against a loopback OCI registry; helm test script
)
# Node (s3rver, chart validation): Debian's, unless the machine already has one.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The player suite: Debian's Chromium (plays H.264/AAC; no HEVC) and the npm packages
# pinned by tests/player/package-lock.json, into tests/player/node_modules.
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" || {
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
}
(cd "$(dirname "$0")/../tests/player" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# hiredis 1.2.0 (TLS) for the meson wrap: Debian 12's hiredis is 0.14, without TLS.
"$(dirname "$0")/fetch-hiredis.sh"
