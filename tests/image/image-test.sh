#!/bin/bash
# Image suite (issue 5): build Dockerfile.cpu and Dockerfile.gpu for real with podman, then
#   - CPU image, read-only root, uid 10001: --version, a local encode of a sample, and a worker on
#     the host network completing one job from a redis-server and a storage endpoint on loopback;
#   - GPU image: `mpegflow probe` reports NVENC unusable, with its reason (no GPU here);
#   - image metadata (user, entrypoint, cmd, no build tools in the final stage) and sizes.
# No registry is reachable: the base image is made with `debootstrap --variant=minbase bookworm`,
# trimmed like the official slim image, and imported as localhost/debian:bookworm-slim (cached).
#
#   tests/image/image-test.sh SOURCE_ROOT        (MEDIA_DIR: the sample corpus)
#
# Exit 77 (meson: skipped) with the reason when this machine cannot build or run containers
# (not root, podman/runc/debootstrap/redis missing, podman unable to start a container).
# MPEGFLOW_IMAGE_KEEP=1 keeps the built images; by default they are kept too (layer cache for the
# next run) under the tags localhost/mpegflow:test and localhost/mpegflow-gpu:test.
set -uo pipefail

src=$(cd "${1:?usage: image-test.sh SOURCE_ROOT}" && pwd)
media=${MEDIA_DIR:-$src/../shared/media}
sample=mp4_h264_aac_640x360_17s.mp4
cache=${MPEGFLOW_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpegflow-test}
base=localhost/debian:bookworm-slim
cpu_img=localhost/mpegflow:test
gpu_img=localhost/mpegflow-gpu:test
podman=(podman --runtime runc)
run_flags=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
t0=$SECONDS

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "--- [$((SECONDS - t0))s] $*"; }
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
# ---- can this machine do it at all? ------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap and rootful podman)"
for tool in podman runc debootstrap redis-server redis-cli nginx python3 curl; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install podman runc debootstrap redis-server nginx-light libnginx-mod-http-dav-ext curl)"
done
[ -f "$media/$sample" ] || skip "sample $media/$sample not found (set MEDIA_DIR)"

work=$(mktemp -d /tmp/mpegflow-image-test.XXXXXX)
pids=()
containers=()
cleanup() {
    for c in "${containers[@]}"; do "${podman[@]}" rm -f "$c" >/dev/null 2>&1; done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# ---- base image ------------------------------------------------------------------------------------
mkdir -p "$cache"
if ! "${podman[@]}" image exists "$base"; then
    step "making $base with debootstrap"
    tarball=$cache/debian-bookworm-minbase.tar
    if [ ! -f "$tarball" ]; then
        root=$work/rootfs
        debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
            || { tail -20 "$work/debootstrap.log"; fail "debootstrap bookworm failed"; }
        # What the official slim image has and minbase lacks: security/updates sources, no docs.
        rm -f "$root/etc/apt/sources.list"
        cat > "$root/etc/apt/sources.list.d/debian.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
        cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* \
               "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/var/log/apt/*
        find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null
        find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$root"
    fi
    "${podman[@]}" import -q "$tarball" "$base" >/dev/null || fail "podman import of $tarball failed"
fi
if ! out=$("${podman[@]}" run --rm "${run_flags[@]}" "$base" true 2>&1); then
    skip "podman cannot run a container here: $out"
fi
ok "base image $base runs"

# ---- build ---------------------------------------------------------------------------------------
build() { # build DOCKERFILE TAG
    local start=$SECONDS
    if ! nice "${podman[@]}" build --pull=never "${run_flags[@]}" --build-arg "BASE_IMAGE=$base" \
            -f "$src/$1" -t "$2" "$src" > "$work/build-$1.log" 2>&1; then
        tail -40 "$work/build-$1.log"
        fail "podman build -f $1 failed"
    fi
    grep -h 'runtime packages:' "$work/build-$1.log" | grep -v STEP | head -1
    ok "built $2 from $1 in $((SECONDS - start))s"
}
step "building $cpu_img"
build Dockerfile.cpu "$cpu_img"
step "building $gpu_img"
build Dockerfile.gpu "$gpu_img"

size() { "${podman[@]}" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'; }
echo "image sizes: $cpu_img $(size "$cpu_img"), $gpu_img $(size "$gpu_img"), base $(size "$base")"

# ---- metadata ------------------------------------------------------------------------------------
for img in "$cpu_img" "$gpu_img"; do
    meta=$("${podman[@]}" image inspect --format '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}' "$img")
    [ "$meta" = '10001:10001|["mpegflow"]|["worker"]' ] || fail "$img: user/entrypoint/cmd are $meta"
    leftovers=$("${podman[@]}" run --rm "${run_flags[@]}" --read-only --entrypoint /bin/sh "$img" -c \
        'for t in gcc cc meson ninja pkg-config apt-get; do command -v $t; done; ls /usr/include 2>/dev/null | head -3' || true)
    case "$leftovers" in *gcc*|*meson*|*ninja*|*pkg-config*|*libav*) fail "$img: build tools in the final stage: $leftovers" ;; esac
    ok "$img: user 10001, ENTRYPOINT [mpegflow], CMD [worker], no build tools"
done
gpu_env=$("${podman[@]}" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$gpu_img")
grep -qx 'NVIDIA_DRIVER_CAPABILITIES=compute,video,utility' <<<"$gpu_env" || fail "$gpu_img: NVIDIA_DRIVER_CAPABILITIES missing: $gpu_env"
grep -qx 'NVIDIA_VISIBLE_DEVICES=all' <<<"$gpu_env" || fail "$gpu_img: NVIDIA_VISIBLE_DEVICES missing"
ok "$gpu_img sets the NVIDIA variables"

# Run as the chart runs it: read-only root, uid 10001, no capabilities, a writable scratch mount.
ro=("${podman[@]}" run --rm "${run_flags[@]}" --read-only --user 10001:10001 --cap-drop ALL
    --security-opt no-new-privileges)

# ---- --version ---------------------------------------------------------------------------------------
step "--version"
version=$("${ro[@]}" "$cpu_img" --version 2>&1) || fail "--version: $version"
[[ $version == mpegflow\ * ]] || fail "--version printed: $version"
ok "--version: $version"
help=$("${ro[@]}" "$cpu_img" --help 2>&1)
has_command() { grep -qE "^  $1 " <<<"$help"; }

# ---- a local encode --------------------------------------------------------------------------------
step "local encode of $sample"
mkdir -p "$work/scratch" && chown 10001:10001 "$work/scratch"
if ! out=$("${ro[@]}" -v "$media:/media:ro" -v "$work/scratch:/scratch" "$cpu_img" \
        encode "/media/$sample" -o /scratch/encode --ladder 240 --preset ultrafast --format both 2>&1); then
    fail "encode in the read-only container failed: $out"
fi
mp4=$(find "$work/scratch/encode" -name '*.mp4' | head -1)
m3u8=$(find "$work/scratch/encode" -name '*.m3u8' | head -1)
[ -s "$mp4" ] && [ -s "$m3u8" ] || fail "encode wrote no MP4 and HLS: $(find "$work/scratch/encode" | head)"
if command -v ffprobe >/dev/null; then
    h=$(ffprobe -v error -select_streams v:0 -show_entries stream=height,codec_name -of csv=p=0 "$mp4")
    [ "$h" = "h264,240" ] || fail "encoded MP4 is $h, want h264,240"
fi
ok "encode: $(basename "$mp4") $(stat -c %s "$mp4") bytes + $(basename "$m3u8")"

# ---- GPU image: probe without a GPU -----------------------------------------------------------------
step "GPU image: mpegflow probe"
out=$("${ro[@]}" "$gpu_img" probe 2>&1)
"${ro[@]}" "$gpu_img" probe nvenc >/dev/null 2>&1
rc=$?
echo "$out" | sed 's/^/  probe: /'
grep -q '^nvenc' <<<"$out" || fail "the GPU image's probe does not list the nvenc backend"
[ "$rc" -ne 0 ] || fail "'probe nvenc' exited 0 on a machine without an NVIDIA GPU"
grep -qE '^nvenc: unusable: .+' <<<"$out" || fail "probe did not report 'nvenc: unusable: <reason>'"
ok "GPU image probe: $(grep -E '^nvenc: unusable' <<<"$out" | head -1)"

# ---- worker: one job from redis + storage on loopback ------------------------------------------------
step "worker completing one job"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
http_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    > "$work/redis.log" 2>&1 &
pids+=($!)
# The storage endpoint is nginx with DAV PUT under /media/, as in every other suite
# (the one config: tools/bench/nginx-storage.conf.in).
storage_port=$(free_port)
storage="$work/data/media"
mkdir -p "$storage/uploads/imgtest" "$work/nginx"
cp "$media/$sample" "$storage/uploads/imgtest/source.mp4"
sed -e "s|@TMP@|$work/nginx|g; s|@DATA@|$work/data|g; s|@PORT@|$storage_port|g; s|@USER@||g" \
    -e "s|@MASTER@|off|g; s|@ACCESS_LOG@|$work/nginx/access.log|g" \
    "$src/tools/bench/nginx-storage.conf.in" > "$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" > "$work/nginx.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$storage_port/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$storage_port/" || fail "nginx did not start: $(tail -5 "$work/nginx/error.log")"
rcli() { redis-cli -p "$redis_port" "$@"; }
for _ in $(seq 50); do rcli ping >/dev/null 2>&1 && break; sleep 0.1; done
rcli ping >/dev/null || fail "redis-server did not start: $(tail -5 "$work/redis.log")"

name=mpegflow-image-test-$$
containers+=("$name")
mkdir -p "$work/wscratch" && chown 10001:10001 "$work/wscratch"
"${podman[@]}" run -d --name "$name" "${run_flags[@]}" --read-only --user 10001:10001 --cap-drop ALL \
    --security-opt no-new-privileges --network host -v "$work/wscratch:/scratch" \
    -e MPEGFLOW_REDIS_URL="redis://127.0.0.1:$redis_port/0" -e MPEGFLOW_POOL=imgtest \
    -e MPEGFLOW_STORAGE_URL="http://127.0.0.1:$storage_port/media/" -e MPEGFLOW_STORAGE_AUTH=none \
    -e MPEGFLOW_BACKEND=x264 -e MPEGFLOW_HTTP_ADDR="127.0.0.1:$http_port" -e MPEGFLOW_LOG_FORMAT=json \
    "$cpu_img" worker --max-jobs 1 >/dev/null || fail "podman run of the worker failed"
ready=
for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.2
done
[ -n "$ready" ] || fail "worker never became ready: $("${podman[@]}" logs "$name" 2>&1 | tail -20)"
curl -fsS "http://127.0.0.1:$http_port/healthz" >/dev/null || fail "/healthz failed"
curl -fsS "http://127.0.0.1:$http_port/metrics" > "$work/metrics.txt" || fail "/metrics failed"
ok "worker ready: /readyz, /healthz and /metrics answer on $http_port"

job='{"id":"imgtest1","input":"uploads/imgtest/source.mp4","output_prefix":"renditions/imgtest/","format":"mp4",'
job+='"video":{"codec":"h264","preset":"ultrafast","renditions":[{"name":"240p","height":240,"crf":28}]},'
job+='"audio":{"mode":"aac","bitrate":"96k","channels":2}}'
rcli XADD mpegflow:queue:imgtest '*' job "$job" >/dev/null
code=$(timeout 300 "${podman[@]}" wait "$name") || fail "worker did not exit within 300s: $("${podman[@]}" logs "$name" 2>&1 | tail -20)"
logs=$("${podman[@]}" logs "$name" 2>&1)
[ "$code" = 0 ] || fail "worker --max-jobs 1 exited $code: $(tail -20 <<<"$logs")"
state=$(rcli HGET mpegflow:job:imgtest1 state)
[ "$state" = succeeded ] || fail "job state is '$state' ($(rcli HGET mpegflow:job:imgtest1 error)): $(tail -20 <<<"$logs")"
[ -s "$storage/renditions/imgtest/result.json" ] || fail "no result.json uploaded: $(find "$storage" -type f)"
find "$storage/renditions/imgtest" -name '*.mp4' -size +1k | grep -q . || fail "no MP4 uploaded"
[ "$(rcli XLEN mpegflow:queue:imgtest)" = 0 ] || fail "the entry is still in the stream (XACK+XDEL expected)"
head -1 <<<"$logs" | python3 -c 'import json,sys; json.loads(sys.stdin.readline())' \
    || fail "worker log is not JSON lines: $(head -2 <<<"$logs")"
ok "worker completed job imgtest1 (state succeeded, result.json uploaded, stream empty, JSON logs)"

echo "image suite: $passed checks passed in $((SECONDS - t0))s"
