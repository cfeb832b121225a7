#!/usr/bin/env bash
# Publish a release to one OCI registry: both images (podman) and the Helm chart (helm push), the
# chart's version and appVersion taken from meson's project version, and the images' digests
# written into the packaged chart's defaults (image.digest, gpuImage.digest), so that
#   helm install mpegflow oci://REGISTRY/charts/mpegflow --version VERSION
# pulls the very images this run pushed, by digest.
#
#   scripts/release.sh --registry HOST[:PORT][/NAMESPACE] [options]
#
#   --registry R       where to push: images R/mpegflow, R/mpegflow-gpu; chart oci://R/charts/mpegflow
#                      (log in first: `helm registry login HOST`, `podman login HOST`)
#   --out DIR          where the packaged chart and release.json go (default: ./release)
#   --skip-images      chart only; its defaults keep image tags = appVersion (set the digests at
#                      install: --set image.digest=sha256:... --set gpuImage.digest=sha256:...)
#   --cpu-image REF    push this already-built local image as the CPU image instead of building
#   --gpu-image REF    likewise for the GPU image (e.g. the image suite's localhost/mpegflow:test)
#   --plain-http       registry without TLS (a loopback test registry)
#   --no-push          build and package only (nothing leaves the machine)
# Environment: HELM (default helm), PODMAN (default podman), BASE_IMAGE (build arg of both
# Dockerfiles), MPEGFLOW_SIGN_CMD (provenance hook, below).
#
# Provenance: `helm package --sign` needs a PGP key; registries and operators today use
# Sigstore cosign on the OCI digests instead (`cosign sign --yes REF@sha256:...`, verified with
# `cosign verify` or Flux's OCIRepository `verify: {provider: cosign}`, or a Kyverno/Connaisseur
# admission policy). MPEGFLOW_SIGN_CMD is run once per pushed artifact as
#   $MPEGFLOW_SIGN_CMD REF@DIGEST        e.g. MPEGFLOW_SIGN_CMD="cosign sign --yes --key cosign.key"
# and a failure fails the release. Unset: nothing is signed (and the script says so).
#
# Prints each artifact's reference, digest and size, and writes them to DIR/release.json.
set -euo pipefail
cd "$(dirname "$0")/.."

registry="" out=release skip_images=0 cpu_src="" gpu_src="" plain_http=0 push=1
while (($#)); do
    case $1 in
        --registry) registry=${2:?--registry needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --skip-images) skip_images=1; shift ;;
        --cpu-image) cpu_src=${2:?}; shift 2 ;;
        --gpu-image) gpu_src=${2:?}; shift 2 ;;
        --plain-http) plain_http=1; shift ;;
        --no-push) push=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "release.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$registry" ] || { echo "release.sh: --registry HOST[:PORT][/NAMESPACE] is required" >&2; exit 2; }
registry=${registry%/}
helm=${HELM:-helm}
read -ra podman <<<"${PODMAN:-podman}"   # may carry options: "podman --runtime runc"
command -v "$helm" >/dev/null || { echo "release.sh: helm not found (set HELM)" >&2; exit 1; }

# One place for the version: meson.build's project(version : ...).
version=$(meson introspect --projectinfo meson.build 2>/dev/null \
          | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])' 2>/dev/null) \
    || version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] \
    || { echo "release.sh: meson project version '$version' is not SemVer (helm needs it)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tls=(); ((plain_http)) && tls=(--tls-verify=false)
hplain=(); ((plain_http)) && hplain=(--plain-http)
echo "release $version -> $registry"

sign() {  # sign REF@DIGEST
    if [ -n "${MPEGFLOW_SIGN_CMD:-}" ]; then
        echo "signing $1"
        $MPEGFLOW_SIGN_CMD "$1"
    else
        echo "not signed: $1 (set MPEGFLOW_SIGN_CMD, e.g. \"cosign sign --yes --key cosign.key\")"
    fi
}

# ---- images ----------------------------------------------------------------------------------------
declare -A digest=()
publish_image() {  # publish_image NAME DOCKERFILE LOCAL_SRC
    local name=$1 dockerfile=$2 src=$3 ref=$registry/$1:$version
    if [ -n "$src" ]; then
        "${podman[@]}" tag "$src" "$ref"
    else
        echo "building $ref from $dockerfile (this takes a while)"
        "${podman[@]}" build ${BASE_IMAGE:+--build-arg "BASE_IMAGE=$BASE_IMAGE"} -f "$dockerfile" -t "$ref" .
    fi
    if ((push)); then
        "${podman[@]}" push "${tls[@]}" --digestfile "$work/$name.digest" "$ref"
        digest[$name]=$(cat "$work/$name.digest")
        sign "$registry/$name@${digest[$name]}"
    else
        digest[$name]=""
    fi
}
if ((!skip_images)); then
    command -v "${podman[0]}" >/dev/null || { echo "release.sh: podman not found (or --skip-images)" >&2; exit 1; }
    publish_image mpegflow Dockerfile.cpu "$cpu_src"
    publish_image mpegflow-gpu Dockerfile.gpu "$gpu_src"
fi

# ---- chart -----------------------------------------------------------------------------------------
cp -r charts/mpegflow "$work/mpegflow"
python3 - "$work/mpegflow" "$version" "$registry" "${digest[mpegflow]:-}" "${digest[mpegflow-gpu]:-}" "$skip_images" <<'PY'
import re, sys
chart, version, registry, cpu_digest, gpu_digest, skip_images = sys.argv[1:]
p = f"{chart}/Chart.yaml"
s = open(p).read()
s = re.sub(r"(?m)^version: .*$", f"version: {version}", s)
s = re.sub(r"(?m)^appVersion: .*$", f'appVersion: "{version}"', s)
open(p, "w").write(s)
if skip_images == "0":
    # The two top-level image blocks of values.yaml: repository and digest of what was pushed.
    p = f"{chart}/values.yaml"
    s = open(p).read()
    for block, name, digest in (("image", "mpegflow", cpu_digest), ("gpuImage", "mpegflow-gpu", gpu_digest)):
        m = re.search(rf"(?ms)^{block}:\n(.*?)(?=^\S)", s)
        body = re.sub(r"(?m)^(  repository: ).*$", rf"\g<1>{registry}/{name}", m.group(1))
        if digest:
            body = re.sub(r'(?m)^(  digest: ).*$', rf'\g<1>"{digest}"', body)
        s = s[:m.start(1)] + body + s[m.end(1):]
    open(p, "w").write(s)
PY
"$helm" lint --strict "$work/mpegflow" >/dev/null || { "$helm" lint --strict "$work/mpegflow"; exit 1; }
"$helm" package "$work/mpegflow" -d "$out" >/dev/null
tgz=$out/mpegflow-$version.tgz
chart_digest=""
if ((push)); then
    "$helm" push "$tgz" "oci://$registry/charts" "${hplain[@]}" 2>&1 | tee "$work/push.log"
    chart_digest=$(sed -n 's/^Digest: //p' "$work/push.log")
    [ -n "$chart_digest" ] || { echo "release.sh: helm push printed no digest" >&2; exit 1; }
    sign "$registry/charts/mpegflow@$chart_digest"
fi

python3 - "$out/release.json" "$version" "$registry" "$tgz" "$chart_digest" \
    "${digest[mpegflow]:-}" "${digest[mpegflow-gpu]:-}" <<'PY'
import hashlib, json, os, sys
path, version, registry, tgz, chart_digest, cpu, gpu = sys.argv[1:]
data = open(tgz, "rb").read()
rel = {"version": version,
       "chart": {"ref": f"oci://{registry}/charts/mpegflow", "version": version, "digest": chart_digest or None,
                 "package": os.path.basename(tgz), "size": len(data),
                 "sha256": hashlib.sha256(data).hexdigest()},
       "images": {n: ({"ref": f"{registry}/{n}:{version}", "digest": d} if d else None)
                  for n, d in (("mpegflow", cpu), ("mpegflow-gpu", gpu))}}
json.dump(rel, open(path, "w"), indent=2)
print(f"chart  oci://{registry}/charts/mpegflow:{version}  {len(data)} bytes  digest {chart_digest or '(not pushed)'}")
for n, d in (("mpegflow", cpu), ("mpegflow-gpu", gpu)):
    print(f"image  {registry}/{n}:{version}  digest {d or '(not pushed: install with --set ' + ('image' if n == 'mpegflow' else 'gpuImage') + '.digest=...)'}")
print(f"install: helm install mpegflow oci://{registry}/charts/mpegflow --version {version}")
PY
