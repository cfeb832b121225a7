#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs the
# dependencies, builds twice (release with -Werror; ASan+UBSan), runs every
# default suite in both, and prints "N passed, N failed" at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh || exit 1

# The release build runs every default suite; the sanitizer build the C-heavy ones.
suites=(--suite unit --suite integration --suite queue --suite faults --suite chart --suite image --suite player)
asan_suites=(--suite unit --suite integration)
[ -n "${MPEGFLOW_TEST_SUITES:-}" ] && read -ra suites <<<"$MPEGFLOW_TEST_SUITES" && asan_suites=("${suites[@]}")
status=0

build() {   # build DIR [meson options...]
  local dir=$1; shift
  if [ ! -d "$dir" ]; then
    meson setup "$dir" -Dwerror=true "$@" >/dev/null || return 1
  fi
  ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

run_suites() {   # run_suites DIR SUITE-ARGS...
  local dir=$1; shift
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
}

if build build; then run_suites build "${suites[@]}"; else status=1; fi
if [ "${MPEGFLOW_SKIP_ASAN:-0}" != 1 ]; then
  # Sanitizers: our code instrumented; FFmpeg and x264 are the system's.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
    run_suites build-asan "${asan_suites[@]}"
  else
    status=1
  fi
fi

python3 scripts/test_summary.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
exit $status
