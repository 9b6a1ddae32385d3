#!/bin/sh
# The sanitizer runs' report files (tests/CMakeLists.txt): `DIR --clear` empties DIR before the
# tests; `DIR` afterwards prints each report there and fails if there is one.
set -eu
dir=$1
if [ "${2:-}" = --clear ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  exit 0
fi
found=0
for f in "$dir"/*; do
  [ -e "$f" ] || continue
  found=$((found + 1))
  echo "=== $f"
  cat "$f"
done
[ "$found" -eq 0 ] || { echo "$found sanitizer report(s) above" >&2; exit 1; }
