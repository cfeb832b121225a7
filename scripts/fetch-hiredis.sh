#!/usr/bin/env bash
# Put hiredis 1.2.0's source tarball into subprojects/packagecache/ for the meson
# wrap (subprojects/hiredis.wrap), checked by its SHA-256. It is upstream's release
# as Debian 13 (trixie) ships it: `apt-get source` with a private deb-src list, so
# the machine's own apt configuration is not touched and only Debian is reached.
# Nothing to do when the tarball is there already (the image build gets it with
# the tree) or when the system's hiredis is >= 1.0 with hiredis_ssl.
set -euo pipefail
cd "$(dirname "$0")/.."
file=hiredis_1.2.0.orig.tar.gz
sha=$(sed -n 's/^source_hash = //p' subprojects/hiredis.wrap)
dest=subprojects/packagecache/$file
ok() { [ -f "$1" ] && echo "$sha  $1" | sha256sum -c --status -; }
if ok "$dest"; then exit 0; fi
if pkg-config --atleast-version=1.0 hiredis hiredis_ssl 2>/dev/null; then exit 0; fi
cache=${MPEGFLOW_APT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpegflow/apt-trixie-src}
mkdir -p "$cache/lists/partial" "$cache/src"
echo "deb-src http://deb.debian.org/debian trixie main" >"$cache/sources.list"
apt=(-o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$cache/lists" -o APT::Get::List-Cleanup=0)
if ! ok "$cache/src/$file"; then
  apt-get "${apt[@]}" update -qq
  (cd "$cache/src" && apt-get "${apt[@]}" source --download-only -qq hiredis 2>/dev/null)
fi
if ! ok "$cache/src/$file"; then
  echo "fetch-hiredis.sh: $file missing or its SHA-256 is not $sha" >&2
  exit 1
fi
mkdir -p subprojects/packagecache
cp "$cache/src/$file" "$dest"
echo "fetch-hiredis.sh: $dest (sha256 $sha)"
