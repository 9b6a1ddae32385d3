#!/usr/bin/env bash
# Installs what ssekit needs to build, test and run, from Debian 12's packages. Idempotent:
# installs only what is missing, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  cmake g++ make pkg-config            # build
  libcpp-httplib-dev libhiredis-dev libcli11-dev libcurl4-openssl-dev libhttp-parser-dev
  nlohmann-json3-dev                   # NDJSON batches, JSON output
  libgtest-dev libgmock-dev            # unit tests
  clang libclang-rt-14-dev             # fuzzing: clang++ and libFuzzer's runtime (scripts/fuzz.sh)
  redis-server redis-tools             # the Redis bus and its tests
  python3 curl mandoc procps           # end-to-end tests, man-page lint
  nginx-light openssl                  # the nginx recipe's test (contrib/nginx/ssed.conf)
  chromium                             # the built-in page's browser test (tests/browser/; big)
  dpkg-dev file man-db fakeroot zsh    # the .deb (scripts/package.sh) and its test
)
[ "${SSEKIT_BENCH_DEPS:-0}" = 1 ] && packages+=(libnginx-mod-nchan)
# The npm-based tests (tests/interop/, tests/browser/). A node from elsewhere (NodeSource's ships its
# own npm and conflicts with Debian's npm) is used as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
# Debian starts services on install; the tests start their own servers on free ports.
if [ "${SSEKIT_BENCH_DEPS:-0}" = 1 ] && pidof nginx >/dev/null 2>&1; then :; fi
