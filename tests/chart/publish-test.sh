#!/bin/bash
# scripts/release.sh against a real OCI registry on loopback (Debian's docker-registry, the CNCF
# distribution registry): push the chart, pull it back with `helm pull oci://...`, check that the
# pulled chart is byte-for-byte the packaged one (and the registry's layer digest is its sha256),
# that its version/appVersion are meson's project version, and that `helm template` renders from it.
#
#   tests/chart/publish-test.sh TOOLS_DIR CHART_DIR
#
# Images: building Dockerfile.cpu/.gpu takes many minutes, so by default the chart is published with
# --skip-images. MPEGFLOW_PUBLISH_IMAGES=1 publishes the images too (MPEGFLOW_PUBLISH_CPU_IMAGE /
# MPEGFLOW_PUBLISH_GPU_IMAGE: already-built local images to push instead of building, e.g. the image
# suite's localhost/mpegflow:test), then pulls both by digest, runs `mpegflow --version` in the
# pulled CPU image, and checks the pulled chart's defaults point at those digests.
# Exit 77 (skipped) when docker-registry is not installed.
set -uo pipefail
tools=${1:?usage: publish-test.sh TOOLS_DIR CHART_DIR}
chart=$(cd "${2:?}" && pwd)
src=$(cd "$chart/../.." && pwd)
helm=$tools/bin/helm
command -v docker-registry >/dev/null || { echo "SKIP: docker-registry is not installed (apt-get install docker-registry)"; exit 77; }
images=${MPEGFLOW_PUBLISH_IMAGES:-0}
if [ "$images" = 1 ]; then
    command -v podman >/dev/null || { echo "SKIP: MPEGFLOW_PUBLISH_IMAGES=1 needs podman"; exit 77; }
    for img in ${MPEGFLOW_PUBLISH_CPU_IMAGE:-} ${MPEGFLOW_PUBLISH_GPU_IMAGE:-}; do
        podman --runtime runc image exists "$img" \
            || { echo "SKIP: local image $img not found (the image test builds it: meson test --suite image image)"; exit 77; }
    done
fi

work=$(mktemp -d -t mpegflow-publish.XXXXXX)
reg_pid="" reg=""
cleanup() {
    [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
    # Whatever this run left in podman's store under the loopback registry's name (also on failure):
    # an image known only by such names goes; one that also has another tag (the image suite's
    # localhost/mpegflow:test) only loses the registry's tags.
    if [ -n "${reg:-}" ] && command -v podman >/dev/null; then
        local id names others n
        for id in $(podman --runtime runc images -q --no-trunc 2>/dev/null | sort -u); do
            names=$(podman --runtime runc image inspect "$id" --format '{{range .RepoTags}}{{.}} {{end}}{{range .RepoDigests}}{{.}} {{end}}' 2>/dev/null)
            grep -q "$reg/" <<<"$names" || continue
            others=$(podman --runtime runc image inspect "$id" --format '{{range .RepoTags}}{{.}}{{"\n"}}{{end}}' | grep -v "^$reg/" | grep -c .)
            if [ "$others" = 0 ]; then
                podman --runtime runc rmi -f "$id" > /dev/null 2>&1
            else
                for n in $names; do [[ $n == "$reg"/*:* && $n != *@* ]] && podman --runtime runc rmi "$n" > /dev/null 2>&1; done
            fi
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { echo "not ok - $*"; [ -f "$work/registry.log" ] && tail -5 "$work/registry.log"; exit 1; }
export HOME=$work/home HELM_CACHE_HOME=$work/home/cache HELM_CONFIG_HOME=$work/home/config HELM_DATA_HOME=$work/home/data

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
    kill -0 "$reg_pid" 2>/dev/null || fail "docker-registry exited"
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || fail "docker-registry does not answer on 127.0.0.1:$port"
reg=127.0.0.1:$port
ok "docker-registry $(docker-registry --version | awk '{print $3}') on $reg"

version=$(cd "$src" && meson introspect --projectinfo meson.build | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
args=(--registry "$reg" --plain-http --out "$work/out")
if [ "$images" = 1 ]; then
    [ -n "${MPEGFLOW_PUBLISH_CPU_IMAGE:-}" ] && args+=(--cpu-image "$MPEGFLOW_PUBLISH_CPU_IMAGE")
    [ -n "${MPEGFLOW_PUBLISH_GPU_IMAGE:-}" ] && args+=(--gpu-image "$MPEGFLOW_PUBLISH_GPU_IMAGE")
    export PODMAN="podman --runtime runc"
else
    args+=(--skip-images)
fi
HELM=$helm "$src/scripts/release.sh" "${args[@]}" > "$work/release.log" 2>&1 \
    || { cat "$work/release.log"; fail "release.sh ${args[*]}"; }
sed 's/^/    | /' "$work/release.log"
tgz=$work/out/mpegflow-$version.tgz
[ -f "$tgz" ] || fail "release.sh did not package $tgz"
ok "release.sh packaged and pushed chart $version ($(stat -c %s "$tgz") bytes)"

# Pull it back the way operators do.
mkdir -p "$work/pulled"
"$helm" pull "oci://$reg/charts/mpegflow" --version "$version" --plain-http -d "$work/pulled" > "$work/pull.log" 2>&1 \
    || { cat "$work/pull.log"; fail "helm pull oci://$reg/charts/mpegflow --version $version"; }
pulled=$work/pulled/mpegflow-$version.tgz
cmp -s "$tgz" "$pulled" || fail "the pulled chart differs from the packaged one"
ok "helm pull oci://$reg/charts/mpegflow --version $version: byte-identical to the package ($(sha256sum < "$pulled" | cut -c1-12)...)"

# Nothing git ignores (caches, build output) slipped into the package (.helmignore).
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    stray=$(tar -tzf "$pulled" | grep -v '/$' | sed "s|^mpegflow/|${chart#"$src"/}/|" | (cd "$src" && git check-ignore --stdin) || true)
    [ -z "$stray" ] || fail "the package carries files git ignores: $stray"
    ok "the package holds $(tar -tzf "$pulled" | grep -vc '/$') files, none of them git-ignored"
fi

# The registry's own view: the manifest's chart layer is the package's sha256, and the manifest
# digest is the one helm push printed (and release.json recorded).
python3 - "$reg" "$version" "$tgz" "$work/out/release.json" <<'PY' || fail "registry manifest check"
import hashlib, json, sys, urllib.request
reg, version, tgz, relf = sys.argv[1:]
req = urllib.request.Request(f"http://{reg}/v2/charts/mpegflow/manifests/{version}",
                             headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
with urllib.request.urlopen(req) as r:
    body = r.read()
    digest = r.headers["Docker-Content-Digest"]
m = json.loads(body)
assert m["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json", m["config"]
layer = [l for l in m["layers"] if l["mediaType"] == "application/vnd.cncf.helm.chart.content.v1.tar+gzip"][0]
data = open(tgz, "rb").read()
assert layer["digest"] == "sha256:" + hashlib.sha256(data).hexdigest(), (layer, "package sha256")
assert layer["size"] == len(data)
rel = json.load(open(relf))
assert rel["chart"]["digest"] == digest, (rel["chart"]["digest"], digest)
assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
print(f"    | manifest {digest}, chart layer {layer['digest']} ({layer['size']} bytes)")
PY
ok "registry manifest: helm config + chart layer = the package, manifest digest = helm push's"

# Version and appVersion from meson's project version.
"$helm" show chart "$pulled" > "$work/chart.yaml" || fail "helm show chart"
grep -qx "version: $version" "$work/chart.yaml" || fail "pulled chart version is not meson's $version"
grep -qx "appVersion: \"\\{0,1\\}$version\"\\{0,1\\}" "$work/chart.yaml" || fail "pulled appVersion is not $version"
ok "pulled chart: version and appVersion $version (meson project version)"

# Renders from the pulled chart, with the images its defaults name.
"$helm" template mf "$pulled" -n media > "$work/rendered.yaml" 2> "$work/template.err" \
    || { cat "$work/template.err"; fail "helm template from the pulled chart"; }
grep -q '^kind: Deployment$' "$work/rendered.yaml" || fail "no Deployment rendered from the pulled chart"
if [ "$images" = 1 ]; then
    cpu_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"]["mpegflow"]["digest"])' "$work/out/release.json")
    gpu_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"]["mpegflow-gpu"]["digest"])' "$work/out/release.json")
    grep -q "image: \"$reg/mpegflow@$cpu_digest\"" "$work/rendered.yaml" || fail "the pulled chart's CPU image is not $reg/mpegflow@$cpu_digest"
    ok "helm template from the pulled chart: image $reg/mpegflow@$cpu_digest"
    # Drop the registry-named tags release.sh made, so the pulls below come from the registry.
    podman --runtime runc rmi "$reg/mpegflow:$version" "$reg/mpegflow-gpu:$version" >/dev/null 2>&1
    for ref in "$reg/mpegflow@$cpu_digest" "$reg/mpegflow-gpu@$gpu_digest"; do
        podman --runtime runc pull -q --tls-verify=false "$ref" > /dev/null || fail "podman pull $ref"
        ok "podman pull $ref ($(podman --runtime runc image inspect --format '{{.Size}}' "$ref") bytes)"
    done
    out=$(podman --runtime runc run --rm --read-only --user 10001:10001 --cap-drop ALL \
        --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$reg/mpegflow@$cpu_digest" --version 2>&1) \
        || fail "mpegflow --version in the pulled image: $out"
    grep -q "$version" <<<"$out" || fail "the pulled image says '$out', not $version"
    ok "pulled CPU image runs: $out"
    podman --runtime runc rmi "$reg/mpegflow@$cpu_digest" "$reg/mpegflow-gpu@$gpu_digest" >/dev/null 2>&1
else
    grep -q "image: \"mpegflow:$version\"" "$work/rendered.yaml" || fail "the pulled chart's CPU image is not mpegflow:$version"
    ok "helm template from the pulled chart renders (images by tag $version; MPEGFLOW_PUBLISH_IMAGES=1 pushes and pulls the images)"
fi

# The version comes from meson.build, not from Chart.yaml: a tree whose project version is
# 0.2.0-rc.1 publishes chart 0.2.0-rc.1 with appVersion 0.2.0-rc.1.
tree=$work/tree
mkdir -p "$tree/scripts" "$tree/charts"
cp "$src/scripts/release.sh" "$tree/scripts/"
cp -r "$chart" "$tree/charts/mpegflow"
printf "project('mpegflow', 'c',\n  version : '0.2.0-rc.1',\n  license : 'MIT')\n" > "$tree/meson.build"
# Provenance hook: MPEGFLOW_SIGN_CMD is called once per pushed artifact with REF@DIGEST.
printf '#!/bin/sh\necho "$1" >> "$SIGN_LOG"\n' > "$work/sign" && chmod +x "$work/sign"
SIGN_LOG=$work/signed MPEGFLOW_SIGN_CMD=$work/sign \
HELM=$helm "$tree/scripts/release.sh" --registry "$reg/rc" --plain-http --skip-images --out "$work/out3" \
    > "$work/release3.log" 2>&1 || { cat "$work/release3.log"; fail "release.sh in a 0.2.0-rc.1 tree"; }
mkdir -p "$work/pulled3" "$work/pulled4"
"$helm" pull "oci://$reg/rc/charts/mpegflow" --version 0.2.0-rc.1 --plain-http -d "$work/pulled3" > /dev/null 2>&1 \
    || fail "helm pull --version 0.2.0-rc.1"
"$helm" show chart "$work/pulled3/mpegflow-0.2.0-rc.1.tgz" > "$work/chart3.yaml"
grep -qx "version: 0.2.0-rc.1" "$work/chart3.yaml" && grep -qx 'appVersion: "\{0,1\}0.2.0-rc.1"\{0,1\}' "$work/chart3.yaml" \
    || { cat "$work/chart3.yaml"; fail "chart version/appVersion do not follow meson's 0.2.0-rc.1"; }
ok "meson project version 0.2.0-rc.1 -> chart version and appVersion 0.2.0-rc.1, pulled back by that version"
d3=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chart"]["digest"])' "$work/out3/release.json")
[ "$(cat "$work/signed")" = "$reg/rc/charts/mpegflow@$d3" ] || fail "sign hook got '$(cat "$work/signed")'"
ok "MPEGFLOW_SIGN_CMD called once, with $reg/rc/charts/mpegflow@${d3:0:19}..."

# Digests into the chart's defaults, without the long image builds: two stand-in images (a
# one-file rootfs each, `podman import`) pushed as --cpu-image/--gpu-image; the pulled chart must
# render them by the digests the registry gave, and `podman pull` by digest must return them.
# (MPEGFLOW_PUBLISH_IMAGES=1 above does the same with the real, built images.)
if [ "$images" != 1 ] && command -v podman >/dev/null; then
    pm=(podman --runtime runc)
    tag=mf-publish-standin-$$
    standins=()
    for kind in cpu gpu; do
        mkdir -p "$work/rootfs-$kind" && echo "$kind stand-in $$" > "$work/rootfs-$kind/standin"
        tar -C "$work/rootfs-$kind" -cf "$work/rootfs-$kind.tar" .
        "${pm[@]}" import -q "$work/rootfs-$kind.tar" "localhost/$tag-$kind:1" > /dev/null || fail "podman import"
        standins+=("localhost/$tag-$kind:1")
    done
    cleanup_images() { "${pm[@]}" rmi -f "${standins[@]}" "$reg/img/mpegflow:0.1.0" "$reg/img/mpegflow-gpu:0.1.0" \
        "${pulled_refs[@]}" > /dev/null 2>&1; }
    pulled_refs=()
    PODMAN="${pm[*]}" HELM=$helm "$src/scripts/release.sh" --registry "$reg/img" --plain-http --out "$work/out4" \
        --cpu-image "localhost/$tag-cpu:1" --gpu-image "localhost/$tag-gpu:1" > "$work/release4.log" 2>&1 \
        || { cat "$work/release4.log"; cleanup_images; fail "release.sh with --cpu-image/--gpu-image"; }
    grep -E '^(chart|image) ' "$work/release4.log" | sed 's/^/    | /'
    read -r cpu_d gpu_d < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["images"]; print(r["mpegflow"]["digest"], r["mpegflow-gpu"]["digest"])' "$work/out4/release.json")
    "$helm" pull "oci://$reg/img/charts/mpegflow" --version "$version" --plain-http -d "$work/pulled4" > /dev/null 2>&1 || { cleanup_images; fail "helm pull (images)"; }
    "$helm" template mf "$work/pulled4/mpegflow-$version.tgz" -n media --set 'pools[0].name=cpu' \
        --set 'pools[1].name=gpu' --set 'pools[1].backend=nvenc' --set 'pools[1].gpu=1' > "$work/rendered4.yaml" \
        || { cleanup_images; fail "helm template (images)"; }
    grep -q "image: \"$reg/img/mpegflow@$cpu_d\"" "$work/rendered4.yaml" \
        && grep -q "image: \"$reg/img/mpegflow-gpu@$gpu_d\"" "$work/rendered4.yaml" \
        || { grep 'image:' "$work/rendered4.yaml"; cleanup_images; fail "the pulled chart does not name the pushed digests"; }
    ok "pulled chart's defaults: $reg/img/mpegflow@${cpu_d:0:19}... and mpegflow-gpu@${gpu_d:0:19}..."
    for pair in "cpu $cpu_d mpegflow" "gpu $gpu_d mpegflow-gpu"; do
        read -r kind d name <<<"$pair"
        want=$("${pm[@]}" image inspect --format '{{.Id}}' "localhost/$tag-$kind:1")
        "${pm[@]}" rmi -f "$reg/img/$name:0.1.0" > /dev/null 2>&1
        ref=$reg/img/$name@$d
        "${pm[@]}" pull -q --tls-verify=false "$ref" > /dev/null || { cleanup_images; fail "podman pull $ref"; }
        pulled_refs+=("$ref")
        got=$("${pm[@]}" image inspect --format '{{.Id}}' "$ref")
        [ "$got" = "$want" ] || { cleanup_images; fail "podman pull $ref gave image $got, pushed $want"; }
    done
    ok "podman pull by digest returns the pushed (stand-in) images"
    cleanup_images
fi
echo "1..$n"
