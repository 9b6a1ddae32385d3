#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds, starts ssed on the in-process
# bus (a free loopback port), follows a topic with sse-tail, publishes three events with sse-pub
# and curl, prints what the subscriber saw, and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh --target ssed sse-pub sse-tail >/dev/null
bin=build/bin

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
out=$(mktemp -d)

# Port 0: ssed picks a free port and prints its URL on stdout once it is ready.
"$bin/ssed" --listen 127.0.0.1:0 >"$out/ssed.url" 2>"$out/ssed.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/ssed.url" ] && break; sleep 0.1; done
url=$(head -1 "$out/ssed.url")
[ -n "$url" ] || { echo "demo: ssed did not start:" >&2; cat "$out/ssed.log" >&2; exit 1; }
echo "ssed is listening on $url"

# A subscriber that exits by itself after three events (or after 20 s).
"$bin/sse-tail" --format json --count 3 --timeout 20 "$url/events/demo" >"$out/tail.out" &
tail_pid=$!
pids+=($tail_pid)
for _ in $(seq 100); do
  curl -fsS "$url/metrics" 2>/dev/null | grep -q '^ssed_subscribers 1' && break
  sleep 0.1
done

echo '$ sse-pub --server '"$url"' demo "hello from sse-pub"'
"$bin/sse-pub" --server "$url" demo "hello from sse-pub"
echo '$ printf "line one\nline two\n" | sse-pub -s --event note demo'
printf 'line one\nline two\n' | "$bin/sse-pub" --server "$url" -s --event note demo
echo '$ curl -d "hello from curl" '"$url"'/events/demo'
curl -fsS -d "hello from curl" "$url/events/demo"

wait "$tail_pid"
echo "sse-tail --format json --count 3 $url/events/demo printed:"
cat "$out/tail.out"
rm -rf "$out"
