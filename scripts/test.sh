#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test (unit,
# end-to-end, man-page lint, fuzz-corpus replay) with ctest, then a short run of every fuzz
# target. The end-to-end tests start their own servers (ssed, scripted SSE servers,
# redis-server) on free loopback ports and stop them.
#
# Then it builds the tree under ASan+UBSan (build-asan/) and under TSan (build-tsan/) and runs
# the suite in each, less the tests labelled no-sanitizer in tests/CMakeLists.txt, which run none
# of our code; a sanitizer report from any process fails the run. SSEKIT_SANITIZERS=0 skips them
# (a quicker run by hand; CI runs them).
# Arguments go to every ctest (scripts/test.sh -R e2e/3 runs the ssed end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

minutes() { echo "$(($1 / 60))m$(($1 % 60))s"; }
# One suite: build it (SSEKIT_SANITIZE, the tree scripts/build.sh makes for it), run ctest there.
suite() {
  local name=$1 sanitize=$2 dir=$3 start=$SECONDS
  shift 3
  SSEKIT_SANITIZE=$sanitize scripts/build.sh
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@")
  echo "test.sh: $name suite built and passed in $(minutes $((SECONDS - start)))" >&2
}

SECONDS=0
suite plain '' build "$@"
if [ "${SSEKIT_SANITIZERS:-1}" != 0 ]; then
  suite ASan+UBSan address build-asan -LE no-sanitizer "$@"
  suite TSan thread build-tsan -LE no-sanitizer "$@"
fi
# Then a short run of every fuzz target (scripts/fuzz.sh --smoke: clang, libFuzzer, ~10 s each).
start=$SECONDS
scripts/fuzz.sh --smoke
echo "test.sh: fuzz smoke passed in $(minutes $((SECONDS - start)))" >&2
echo "test.sh: all passed in $(minutes $SECONDS)" >&2
