#!/bin/bash
# meson entry of the chart suite: tests/chart/run.sh CHART_DIR PART
# Installs helm and the schema packages once (tools.sh), then runs PART:
#   lint|render|schema|upgrade|examples   chart.test.mjs's part
#   check-install                         check_install_test.py (the helm test script on loopback)
#   publish                               publish-test.sh (release.sh against a loopback registry)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for tool in node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed (the chart suite needs Node.js >= 18 and npm)"
        exit 77
    fi
done
tools=$("$here/tools.sh")
case $2 in
    check-install) exec python3 "$here/check_install_test.py" "$tools" "$1" ;;
    publish) exec bash "$here/publish-test.sh" "$tools" "$1" ;;
    *) exec node "$here/chart.test.mjs" "$tools" "$1" "$2" ;;
esac
