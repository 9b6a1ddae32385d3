#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test (unit,
# end-to-end, man-page lint) with ctest. The end-to-end tests start their own servers
# (ssed, scripted SSE servers, redis-server) on free loopback ports and stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd build
ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@"
# Then a short run of every fuzz target (scripts/fuzz.sh --smoke: clang, libFuzzer, ~10 s each).
../scripts/fuzz.sh --smoke
