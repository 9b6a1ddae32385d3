#!/usr/bin/env bash
# Benchmarks sse-tail, the client, on 127.0.0.1 and prints a table (figures, not timed tests;
# never run by ctest): events/s that `sse-tail --no-reconnect` parses and prints to /dev/null
# with --format data and --format json, against peers in the same run on the same stream: the
# npm `eventsource` client (tests/interop/es-tail.mjs, printing each event as JSON like
# --format json) and `curl -N` (raw bytes, no parsing: the ceiling, converted to events/s).
#
# The stream is N events of 32 bytes of data (`data: 000…0042\n\n`, 40 bytes on the wire),
# written to a file once and served by a tiny Python server (below) that sends it with
# sendfile(2) as text/event-stream as fast as the client reads, then closes: the kernel does the
# server's work, so the figures measure the client. Each client is timed from start to exit,
# the four alternate within a round, and every figure is the median over the rounds. Before the
# rounds, one untimed run of each checks the output: sse-tail's data output must equal the
# expected lines byte for byte, the JSON outputs must have N lines, curl must get every byte.
# The script works in a private temp dir and stops exactly the processes it started.
#
# On a shared machine the figures are noisy (other builds take CPU in bursts): compare ratios
# within a run rather than figures across runs, and rerun with more rounds when in doubt.
#
# Environment:
#   SSEKIT_BENCH_BUILD         build directory (default: build)
#   SSEKIT_TAILBENCH_N         events per run (default 1000000)
#   SSEKIT_TAILBENCH_ROUNDS    rounds, medians reported (default 3)
#   SSEKIT_TAILBENCH_BASELINE  another sse-tail binary (say, a copy built at an older commit),
#                              measured in the same rounds with data and json: before/after
#   SSEKIT_BENCH_KEEP=1        keep the temp dir (timings, logs)
#   SSEKIT_BENCH_NICE          niceness of everything started here (default -10 as root; "" = leave)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SSEKIT_BENCH_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
n=${SSEKIT_TAILBENCH_N:-1000000}
rounds=${SSEKIT_TAILBENCH_ROUNDS:-3}
run_limit=120 # seconds any one client may take

say() { echo "bench-tail: $*" >&2; }

# ---- build ---------------------------------------------------------------------------------
for tool in curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "installing dependencies ($tool is missing)"; scripts/deps.sh; break; }
done
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEKIT_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target sse-tail >/dev/null ||
  { say "build failed (see: cmake --build $build --target sse-tail)"; exit 70; }
tail_bin=$build/bin/sse-tail

# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh" ssekit-bench-tail
now() { date +%s.%N; }
results=$tmp/results.tsv # round, figure, value
: >"$results"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

# ---- the stream ----------------------------------------------------------------------------
# expected: what --format data must print; stream: the same as an event stream.
python3 - "$n" "$tmp/expected" "$tmp/stream" <<'EOF'
import sys
n, expected, stream = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(expected, "w") as e, open(stream, "w") as s:
    for start in range(0, n, 100000):
        lines = [f"{i:032d}" for i in range(start, min(n, start + 100000))]
        e.write("".join(f"{d}\n" for d in lines))
        s.write("".join(f"data: {d}\n\n" for d in lines))
EOF
stream_bytes=$(stat -c %s "$tmp/stream")
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $n events ($stream_bytes bytes), $rounds round(s); results in $tmp"

# ---- the server ----------------------------------------------------------------------------
cat >"$tmp/serve.py" <<'EOF'
# Serves one file as text/event-stream to every GET, with sendfile(2), then closes. Prints its
# port. One thread per connection; it never looks at the request beyond its end.
import socket, sys, threading
path = sys.argv[1]
head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Connection: close\r\n\r\n")
def serve(conn):
    with conn:
        req = b""
        while b"\r\n\r\n" not in req:
            more = conn.recv(4096)
            if not more: return
            req += more
        try:
            conn.sendall(head)
            with open(path, "rb") as f: conn.sendfile(f)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client left early (the EventSource closes after N events)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
python3 "$tmp/serve.py" "$tmp/stream" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=("$!")
port=
for _ in $(seq 100); do
  port=$(head -n1 "$tmp/serve.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { say "the server did not start:"; cat "$tmp/serve.err" >&2; exit 70; }
url=http://127.0.0.1:$port/events

# ---- the npm EventSource (skipped, saying why, when node, npm or the registry is missing) --
es_dir=
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  es_dir=$tmp/es
  mkdir -p "$es_dir"
  cp "$root/tests/interop/package.json" "$root/tests/interop/package-lock.json" "$root/tests/interop/es-tail.mjs" "$es_dir/"
  if ! (cd "$es_dir" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
    say "warning: npm ci failed, no EventSource peer: $(head -n1 "$tmp/npm.log")"
    es_dir=
  fi
else
  say "warning: node/npm missing, no EventSource peer (scripts/deps.sh installs them)"
fi

# ---- the clients ---------------------------------------------------------------------------
# client NAME: the command line of one client, reading $url.
client() {
  case $1 in
  data) echo "$tail_bin --no-reconnect --format data $url" ;;
  json) echo "$tail_bin --no-reconnect --format json $url" ;;
  # It would reconnect at EOF (an EventSource always does): it stops after N events instead.
  es) echo "node --no-warnings $es_dir/es-tail.mjs --count $n --timeout $run_limit $url" ;;
  curl) echo "curl -sS -N $url" ;;
  base-data) echo "$baseline --no-reconnect --format data $url" ;;
  base-json) echo "$baseline --no-reconnect --format json $url" ;;
  esac
}
names=(data json curl)
[ -n "$es_dir" ] && names=(data json es curl)
baseline=${SSEKIT_TAILBENCH_BASELINE:-}
[ -n "$baseline" ] && names+=(base-data base-json)

# Untimed runs that check each client's output.
for name in "${names[@]}"; do
  # shellcheck disable=SC2046
  timeout "$run_limit" $(client "$name") >"$tmp/out.$name" 2>"$tmp/check.$name.err" ||
    say "check $name: exited $?: $(tail -n1 "$tmp/check.$name.err")"
  case $name in
  data | base-data) if cmp -s "$tmp/out.$name" "$tmp/expected"; then v=ok; else v="differs: $(cmp "$tmp/out.$name" "$tmp/expected" 2>&1 | head -n1)"; fi ;;
  json | es | base-json) lines=$(wc -l <"$tmp/out.$name")
    if [ "$lines" = "$n" ] && [ "$(tail -n1 "$tmp/out.$name" | grep -o '"data":"[0-9]*"')" = "\"data\":\"$(tail -n1 "$tmp/expected")\"" ]; then v=ok
    else v="$lines lines, last: $(tail -n1 "$tmp/out.$name" | cut -c1-80)"; fi ;;
  curl) b=$(stat -c %s "$tmp/out.$name"); if [ "$b" = "$stream_bytes" ]; then v=ok; else v="$b of $stream_bytes bytes"; fi ;;
  esac
  record 0 "$name.check" "$v"
  rm -f "$tmp/out.$name"
done

# timed ROUND NAME: one run to /dev/null; records events/s and CPU microseconds per event.
timed() {
  local r=$1 name=$2 t0 t1 rc=0 u s
  t0=$(now)
  # shellcheck disable=SC2046
  /usr/bin/time -f '%U %S' -o "$tmp/time.$name.$r" timeout "$run_limit" $(client "$name") \
    >/dev/null 2>"$tmp/run.$name.$r.err" || rc=$?
  t1=$(now)
  if [ "$rc" != 0 ]; then
    say "round $r $name: exited $rc: $(tail -n1 "$tmp/run.$name.$r.err")"
    return
  fi
  read -r u s <"$tmp/time.$name.$r"
  record "$r" "$name.rate" "$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
  record "$r" "$name.cpu_us" "$(awk -v n="$n" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", (u + s) * 1e6 / n }')"
}

for r in $(seq "$rounds"); do
  # A different order each round, so a noisy moment does not always hit the same client.
  order=("${names[@]}")
  for ((k = 1; k < r; k++)); do order=("${order[@]:1}" "${order[0]}"); done
  for name in "${order[@]}"; do timed "$r" "$name"; done
  say "round $r done"
done

# ---- table ---------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$results" "$n" "$rounds" "$commit" "$(nproc)" "$(uname -r)" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["SSEKIT_BENCH_LIB"])
from bench_table import print_table  # noqa: E402
import statistics, sys
path, n, rounds, commit, cores, kernel = sys.argv[1:]
n = int(n)
vals = {}
for line in open(path):
    r, k, v = line.rstrip("\n").split("\t")
    vals.setdefault(k, []).append(v)

def num(k):
    xs = [float(v) for v in vals.get(k, [])]
    return statistics.median(xs) if xs else None

def fmt(v, unit=""):
    if v is None: return "n/a"
    if v >= 1e6: return f"{v/1e6:.2f}M"
    if v >= 10000: return f"{v/1000:.0f}k"
    return f"{v:.3f}"

rows = []
def row(name, a, peer_name, b, target=None, ok=None):
    ratio = f"{a/b:.2f}x {peer_name}" if a is not None and b else ""
    verdict = "" if ok is None else ("met" if ok else "NOT MET")
    rows.append((name, fmt(a), ratio, target or "info", verdict))

data, json_, es, curl = num("data.rate"), num("json.rate"), num("es.rate"), num("curl.rate")
row("sse-tail --format data, events/s", data, "curl", curl, ">= 6M", None if data is None else data >= 6e6)
row("sse-tail --format json, events/s", json_, "curl", curl, ">= 5M", None if json_ is None else json_ >= 5e6)
row("npm eventsource (es-tail.mjs, JSON), events/s", es, "curl", curl)
row("curl -N (raw bytes, as events/s)", curl, "", None)
row("  sse-tail --format data vs the EventSource", data, "es", es)
row("  sse-tail --format json vs the EventSource", json_, "es", es)
bdata, bjson = num("base-data.rate"), num("base-json.rate")
if bdata is not None or bjson is not None:
    row("  baseline sse-tail --format data, events/s", bdata, "curl", curl)
    row("  baseline sse-tail --format json, events/s", bjson, "curl", curl)
    row("  sse-tail --format data vs the baseline", data, "baseline", bdata)
    row("  sse-tail --format json vs the baseline", json_, "baseline", bjson)
for name, label in (("data", "sse-tail data"), ("json", "sse-tail json"), ("es", "eventsource"), ("curl", "curl"),
                    ("base-data", "baseline data"), ("base-json", "baseline json")):
    v = num(name + ".cpu_us")
    if v is not None:
        rows.append((f"  CPU per event, {label} (us, user+sys)", fmt(v), "", "info", ""))
for name, label in (("data", "data output = expected lines"), ("json", "json output: N lines"),
                    ("es", "eventsource output: N lines"), ("curl", "curl got every byte"),
                    ("base-data", "baseline data output"), ("base-json", "baseline json output: N lines")):
    v = vals.get(name + ".check")
    if v: rows.append((f"check: {label}", v[0], "", "ok", "met" if v[0] == "ok" else "NOT MET"))

head = ("figure", "value", "ratio", "target", "")
print(f"sse-tail ({commit}); 127.0.0.1, {cores} cores, kernel {kernel}; N = {n:,} events of 32 bytes "
      f"(40 on the wire); medians of {rounds} round(s), start to exit, output to /dev/null")
print_table(head, rows)
EOF
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
