#!/usr/bin/env bash
# Configures and builds ssekit into build/ (warnings are errors here, so the build stays clean).
# SSEKIT_SANITIZE=address builds build-asan/ (ASan+UBSan), SSEKIT_SANITIZE=thread build-tsan/
# (TSan), for scripts/test.sh; their warnings are not errors, since gcc's sanitizers make false
# ones (its manual advises against -Werror with them), and the plain build already checks ours.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${SSEKIT_SANITIZE:-}" in
  "") dir=build werror=ON ;;
  address) dir=build-asan werror=OFF ;;
  thread) dir=build-tsan werror=OFF ;;
  *) echo "build.sh: SSEKIT_SANITIZE is address, thread or empty" >&2; exit 64 ;;
esac
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEKIT_WERROR=$werror \
  -DSSEKIT_SANITIZE="${SSEKIT_SANITIZE:-}" >/dev/null
cmake --build "$dir" -j"$(nproc)" "$@"
