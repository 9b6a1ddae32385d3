#!/usr/bin/env bash
# Benchmarks sse-pub, the publisher, on 127.0.0.1 and prints a table (figures, not timed tests;
# never run by ctest):
#   - sse-pub --redis: events/s from a file of N lines, against redis-benchmark -P 64 PUBLISH on
#     the same redis-server in the same run (target >= 0.8x);
#   - sse-pub --server: events/s into an ssed from N lines piped in, with one sse-tail subscriber
#     that must receive them all (target >= 200,000/s);
#   - `seq N | sse-pub TOPIC` to an sse-tail: lost = N - received, and the order checked against
#     seq's output.
# N lines of `seq N` (1 to 7 bytes of data each) are the events. Every figure is the median over
# the rounds. The script starts its own redis-server and ssed on free loopback ports from a
# private temp dir and stops exactly the processes it started (trap EXIT); every wait is bounded,
# and the whole run takes well under three minutes.
#
# Environment:
#   SSEKIT_BENCH_BUILD        build directory (default: build)
#   SSEKIT_PUBBENCH_N         events per run (default 1000000)
#   SSEKIT_PUBBENCH_ROUNDS    rounds, medians reported (default 3)
#   SSEKIT_PUBBENCH_BACKLOG   ssed --max-backlog (default: ssed's own, 1 MiB). A subscriber more
#                             than this behind is dropped and loses events: on a busy 2-core
#                             machine sse-tail can fall that far behind a 400k events/s burst
#   SSEKIT_BENCH_KEEP=1       keep the temp dir (timings, logs, received events)
#   SSEKIT_BENCH_NICE         niceness of everything started here (default -10 as root; "" = leave)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SSEKIT_BENCH_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
n=${SSEKIT_PUBBENCH_N:-1000000}
rounds=${SSEKIT_PUBBENCH_ROUNDS:-3}
run_limit=60 # seconds any one publisher or subscriber may take

say() { echo "bench-pub: $*" >&2; }

# ---- build, dependencies -------------------------------------------------------------------
for tool in redis-server redis-benchmark redis-cli curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "installing dependencies ($tool is missing)"; scripts/deps.sh; break; }
done
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEKIT_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target ssed sse-pub sse-tail >/dev/null ||
  { say "build failed (see: cmake --build $build --target ssed sse-pub sse-tail)"; exit 70; }
bin=$build/bin

# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh" ssekit-bench-pub
now() { date +%s.%N; }
results=$tmp/results.tsv # round, figure, value
: >"$results"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

seq "$n" >"$tmp/lines"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $n events, $rounds round(s); results in $tmp"

# ---- servers -------------------------------------------------------------------------------
redis_port=$(free_port)
mkdir -p "$tmp/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$tmp/redis" --save '' --appendonly no \
  --logfile "$tmp/redis/redis.log" --daemonize no &
redis_pid=$!
pids+=("$redis_pid")
rcli() { timeout 10 redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
for _ in $(seq 100); do
  [ "$(rcli ping 2>/dev/null)" = PONG ] && break
  kill -0 "$redis_pid" 2>/dev/null || break
  sleep 0.1
done
[ "$(rcli ping 2>/dev/null)" = PONG ] || { say "redis-server did not start:"; cat "$tmp/redis/redis.log" >&2; exit 69; }
redis_url=redis://127.0.0.1:$redis_port
publish_calls() { rcli info commandstats | sed -n 's/^cmdstat_publish:calls=\([0-9]*\),.*/\1/p' | grep . || echo 0; }

backlog=()
[ -n "${SSEKIT_PUBBENCH_BACKLOG:-}" ] && backlog=(--max-backlog "$SSEKIT_PUBBENCH_BACKLOG")
"$bin/ssed" --listen 127.0.0.1:0 "${backlog[@]}" >"$tmp/ssed.out" 2>"$tmp/ssed.err" &
ssed_pid=$!
pids+=("$ssed_pid")
ssed_url=
for _ in $(seq 100); do
  ssed_url=$(grep -m1 -E '^http://127\.0\.0\.1:[0-9]+$' "$tmp/ssed.out" || true)
  [ -n "$ssed_url" ] && break
  kill -0 "$ssed_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ssed_url" ] || { say "ssed did not print its URL:"; cat "$tmp/ssed.err" >&2; exit 70; }
metric() { timeout 10 curl -s "$ssed_url/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# ---- Redis: sse-pub --redis against redis-benchmark, same server, same connection count ------
# What sse-pub puts on the wire for the largest line: the envelope with a minted id. The peer
# publishes exactly this message, so both make Redis move the same bytes per event.
envelope="{\"ssekit\":1,\"id\":\"$(date +%s%3N)-9f3a2c1e-$n\",\"data\":\"$n\"}"
data_msg=$n

redis_benchmark() { # PUBLISH rate (events/s) of one redis-benchmark run; args: clients message
  timeout "$run_limit" redis-benchmark -h 127.0.0.1 -p "$redis_port" -n "$n" -P 64 -c "$1" --csv \
    PUBLISH sse:rbench "$2" 2>/dev/null | awk -F'","' 'NR == 2 { print $(NF - 6) }'
}

# timed_pub ROUND NAME ARGS...: runs sse-pub ARGS with the lines file on stdin; records its
# events/s and CPU microseconds per event; sets pub_rc, pub_t0, pub_t1.
timed_pub() {
  local r=$1 name=$2 u s
  shift 2
  pub_t0=$(now)
  pub_rc=0
  /usr/bin/time -f '%e %U %S' -o "$tmp/time.$name.$r" timeout "$run_limit" "$bin/sse-pub" "$@" \
    <"$tmp/lines" 2>"$tmp/pub.$name.$r.err" || pub_rc=$?
  pub_t1=$(now)
  if [ "$pub_rc" != 0 ]; then
    say "round $r $name: sse-pub exited $pub_rc: $(tail -n1 "$tmp/pub.$name.$r.err")"
    return
  fi
  read -r _ u s <"$tmp/time.$name.$r"
  record "$r" "$name.rate" "$(awk -v n="$n" -v a="$pub_t0" -v b="$pub_t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
  record "$r" "$name.cpu_us" "$(awk -v n="$n" -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", (u + s) * 1e6 / n }')"
}

# ---- ssed: one subscriber that must get all N ------------------------------------------------
# start_tail TOPIC: starts sse-tail on TOPIC and waits (bounded) until ssed counts it.
start_tail() {
  kill -0 "$ssed_pid" 2>/dev/null || { say "ssed is gone: $(tail -n2 "$tmp/ssed.err")"; exit 70; }
  timeout -s INT "$run_limit" "$bin/sse-tail" --format data --count "$n" -W "$run_limit" \
    "$ssed_url/events/$1" >"$tmp/got.$1" 2>"$tmp/tail.$1.err" &
  tail_pid=$!
  pids+=("$tail_pid")
  for _ in $(seq 100); do
    timeout 5 curl -s "$ssed_url/topics" | grep -q "\"topic\":\"$1\",\"subscribers\":1," && return 0
    kill -0 "$tail_pid" 2>/dev/null || break
    sleep 0.1
  done
  say "sse-tail did not subscribe to $1:"
  cat "$tmp/tail.$1.err" >&2
  exit 70
}

# finish_tail ROUND NAME TOPIC: waits for the subscriber, records lost and order, and the rate
# from the publisher's start to the last event received.
finish_tail() {
  local r=$1 name=$2 topic=$3 rc=0 t2 got
  # Everything was accepted: what has not arrived 10 s later is not coming (a dropped subscriber
  # resumes from a history shorter than what it missed).
  for _ in $(seq 100); do kill -0 "$tail_pid" 2>/dev/null || break; sleep 0.1; done
  kill -INT "$tail_pid" 2>/dev/null || true
  wait "$tail_pid" || rc=$?
  t2=$(now)
  forget "$tail_pid"
  [ "$rc" = 0 ] || say "round $r $name: sse-tail exited $rc: $(tail -n1 "$tmp/tail.$topic.err")"
  got=$(wc -l <"$tmp/got.$topic")
  record "$r" "$name.lost" $((n - got))
  if cmp -s "$tmp/got.$topic" "$tmp/lines"; then
    record "$r" "$name.order" ok
  else
    record "$r" "$name.order" "$(cmp "$tmp/got.$topic" "$tmp/lines" 2>&1 | head -n1 | sed 's/.*line /differs at line /')"
  fi
  [ "$rc" = 0 ] && [ "$pub_rc" = 0 ] && record "$r" "$name.delivered" \
    "$(awk -v n="$n" -v a="$pub_t0" -v b="$t2" 'BEGIN { printf "%.0f", n / (b - a) }')"
  rm -f "$tmp/got.$topic"
}

# http_pub ROUND NAME TOPIC ARGS...: sse-pub ARGS TOPIC with this stdin (a pipe); records its
# events/s and how many times it was refused with 503 and backed off; sets pub_rc, pub_t0.
http_pub() {
  local r=$1 name=$2 topic=$3 t1
  shift 3
  pub_t0=$(now)
  pub_rc=0
  timeout "$run_limit" "$bin/sse-pub" --retry-for 10 "$@" "$topic" 2>"$tmp/pub.$name.$r.err" || pub_rc=$?
  t1=$(now)
  record "$r" "$name.retries" "$(grep -c 'retrying in' "$tmp/pub.$name.$r.err" || true)"
  if [ "$pub_rc" = 0 ]; then
    record "$r" "$name.rate" "$(awk -v n="$n" -v a="$pub_t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
  else
    say "round $r $name: sse-pub exited $pub_rc: $(tail -n1 "$tmp/pub.$name.$r.err")"
    kill -INT "$tail_pid" 2>/dev/null || true # nothing more is coming
  fi
}

dropped0=$(metric ssed_slow_consumers_dropped_total)
for r in $(seq "$rounds"); do
  # Redis, interleaved so a noisy moment hits both sides alike.
  c0=$(publish_calls)
  timed_pub "$r" redis --redis "$redis_url" rpub
  c1=$(publish_calls)
  record "$r" redis.published $((c1 - c0))
  record "$r" rbench.envelope "$(redis_benchmark 1 "$envelope")"
  record "$r" rbench.data "$(redis_benchmark 1 "$data_msg")"
  record "$r" rbench.envelope50 "$(redis_benchmark 50 "$envelope")"

  # HTTP, N lines from a file piped in, one subscriber.
  start_tail "file$r"
  # Through a pipe on purpose: sse-pub's reader then sees what a producer gives it.
  http_pub "$r" http "file$r" --server "$ssed_url" < <(cat "$tmp/lines")
  finish_tail "$r" http "file$r"

  # HTTP, `seq N | sse-pub TOPIC` as a user would type it (the server from $SSE_SERVER).
  start_tail "seq$r"
  SSE_SERVER=$ssed_url http_pub "$r" seq "seq$r" < <(seq "$n")
  finish_tail "$r" seq "seq$r"
  say "round $r done"
done
dropped1=$(metric ssed_slow_consumers_dropped_total)
record 0 ssed.dropped $((${dropped1:-0} - ${dropped0:-0}))

# ---- table ---------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$results" "$n" "$rounds" "$commit" "$(nproc)" "$(uname -r)" "${#envelope}" "${#data_msg}" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["SSEKIT_BENCH_LIB"])
from bench_table import print_table  # noqa: E402
import statistics, sys
path, n, rounds, commit, cores, kernel, env_len, data_len = sys.argv[1:]
n = int(n)
vals = {}
for line in open(path):
    r, k, v = line.rstrip("\n").split("\t")
    vals.setdefault(k, []).append(v)

def num(k):
    xs = []
    for v in vals.get(k, []):
        try: xs.append(float(v))
        except ValueError: pass
    return statistics.median(xs) if xs else None

def fmt(v, unit=""):
    if v is None: return "n/a"
    if isinstance(v, str): return v
    if abs(v) >= 10000: return f"{v/1000:.0f}k{unit}"
    if abs(v) >= 100: return f"{v:.0f}{unit}"
    return f"{v:.2f}{unit}"

rows = []
def row(name, a, b, target, ok, unit=""):
    ratio = f"{a/b:.2f}x" if isinstance(a, float) and isinstance(b, float) and b else ""
    verdict = "" if ok is None else ("met" if ok else "NOT MET")
    rows.append((name, fmt(a, unit), fmt(b, unit) if b is not None else "", ratio, target, verdict))

pub, env, dat, env50 = num("redis.rate"), num("rbench.envelope"), num("rbench.data"), num("rbench.envelope50")
row(f"sse-pub --redis, events/s (vs redis-benchmark -P 64 -c 1, same {env_len}-byte message)", pub, env,
    ">= 0.8x", None if pub is None or env is None else pub >= 0.8 * env)
row(f"  same, vs redis-benchmark -P 64 -c 1 with the bare {data_len}-byte data", pub, dat, "info", None)
row(f"  same, vs redis-benchmark -P 64 -c 50 (default clients), {env_len}-byte message", pub, env50, "info", None)
row("  sse-pub --redis CPU per event (us, user+sys)", num("redis.cpu_us"), None, "info", None)
pubd = [int(v) for v in vals.get("redis.published", [])]
rows.append(("  PUBLISH calls Redis counted per sse-pub run", "/".join(map(str, pubd)) or "n/a", "", "", f"{n}",
             "met" if pubd and all(p == n for p in pubd) else "NOT MET"))

http = num("http.rate")
row("sse-pub --server, events/s into ssed (file piped in, 1 subscriber)", http, None, ">= 200k",
    None if http is None else http >= 200000)
row("  publisher start to last event at the subscriber, events/s", num("http.delivered"), None, "info", None)
row("`seq N | sse-pub TOPIC` (HTTP), events/s", num("seq.rate"), None, "info", None)

def lost(name):
    xs = [int(v) for v in vals.get(name + ".lost", [])]
    return xs
for name, label in (("http", "file piped in"), ("seq", "seq N | sse-pub")):
    xs = lost(name)
    rows.append((f"events lost at the subscriber, {label} (N - got, per round)",
                 "/".join(map(str, xs)) or "n/a", "", "", "0",
                 "met" if xs and all(x == 0 for x in xs) else "NOT MET"))
    os_ = vals.get(name + ".order", [])
    rows.append((f"order at the subscriber = seq's order, {label}", "/".join(os_) or "n/a", "", "", "ok",
                 "met" if os_ and all(o == "ok" for o in os_) else "NOT MET"))
for name, label in (("http", "file piped in"), ("seq", "seq N | sse-pub")):
    xs = vals.get(name + ".retries", [])
    rows.append((f"  503 (hub busy: backpressure) back-offs of sse-pub, {label} (per round)", "/".join(xs) or "n/a",
                 "", "", "info", ""))
rows.append(("subscribers ssed dropped as slow consumers (--max-backlog), all runs",
             vals.get("ssed.dropped", ["n/a"])[0], "", "", "0", "met" if vals.get("ssed.dropped") == ["0"] else "NOT MET"))

head = ("figure", "value", "peer", "ratio", "target", "")
print(f"sse-pub ({commit}); 127.0.0.1, {cores} cores, kernel {kernel}; N = {n:,} events (`seq N`, "
      f"1-{len(str(n))} bytes of data); medians of {rounds} round(s)")
print_table(head, rows)
EOF
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
