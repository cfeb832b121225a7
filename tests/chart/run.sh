#!/bin/bash
# meson entry of the chart suite: tests/chart/run.sh CHART_DIR lint|render|schema
# Installs helm and the schema packages once (tools.sh), then runs chart.test.mjs's PART.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed (the chart suite needs Node.js >= 18 and npm)"
        exit 77
    fi
done
tools=$("$here/tools.sh")
exec node "$here/chart.test.mjs" "$tools" "$1" "$2"
