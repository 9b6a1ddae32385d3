#!/usr/bin/env bash
# Builds the Debian package: the tree scripts/build.sh makes (build/, RelWithDebInfo, so nothing
# is compiled twice), then cpack -G DEB, which installs it stripped into a staging directory
# and packs it with the service files. Prints the .deb's path. Needs dpkg-dev (dpkg-shlibdeps
# fills Depends), which scripts/deps.sh installs.
#   SSEKIT_PACKAGE_DIR   where the .deb goes (default: build/package)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
out=${SSEKIT_PACKAGE_DIR:-build/package}
mkdir -p "$out"
cpack -G DEB --config build/CPackConfig.cmake -B "$out" >&2
ls "$out"/ssekit_*.deb
