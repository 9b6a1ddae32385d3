#!/usr/bin/env bash
# Benchmarks ssed against nchan (nginx-light + libnginx-mod-nchan, one worker) on 127.0.0.1 and
# prints a table: deliveries per server CPU-second, publish->receive latency, RSS per idle
# subscriber, 10,000 clients connecting at once, events lost. Never run by ctest.
#
# Both servers run in the foreground from a private temp dir on free loopback ports; the script
# stops exactly the processes it started (trap EXIT). Every wait is bounded; the whole run takes
# about three minutes.
#
# Environment:
#   SSEKIT_BENCH_BUILD     build directory (default: build)
#   SSEKIT_BENCH_SSED      ssed binary (default: <build>/bin/ssed; skipped when missing)
#   SSEKIT_BENCH_ROUNDS    rounds of the fan-out and latency runs, medians reported (default 3)
#   SSEKIT_BENCH_DURATION  seconds of publishing per fan-out run (default 4)
#   SSEKIT_BENCH_IDLE      idle subscribers held for the memory test (default 10000)
#   SSEKIT_BENCH_KEEP=1    keep the temp dir (raw JSON results, server logs)
#   SSEKIT_BENCH_NICE      niceness for the servers and the generator (default -10 as root, so a
#                          busy machine disturbs the measurement less; "" leaves it alone)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SSEKIT_BENCH_BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
rounds=${SSEKIT_BENCH_ROUNDS:-3}
duration=${SSEKIT_BENCH_DURATION:-4}
lat_duration=5
idle_subs=${SSEKIT_BENCH_IDLE:-10000}
nchan_module=/usr/lib/nginx/modules/ngx_nchan_module.so

say() { echo "bench: $*" >&2; }

# ---- build, dependencies, limits ---------------------------------------------------------
if ! command -v nginx >/dev/null 2>&1 || [ ! -e "$nchan_module" ]; then
  say "installing nginx-light and libnginx-mod-nchan"
  SSEKIT_BENCH_DEPS=1 scripts/deps.sh
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSEKIT_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target sse-loadgen >/dev/null
if [ -z "${SSEKIT_BENCH_SSED:-}" ] && [ -e "$root/apps/ssed/main.cpp" ]; then
  cmake --build "$build" -j"$(nproc)" --target ssed >/dev/null 2>&1 ||
    say "warning: ssed did not build (see: cmake --build $build --target ssed); any ssed" \
      "already in $build/bin is older than the sources"
fi
loadgen=$build/bin/sse-loadgen
ssed_bin=${SSEKIT_BENCH_SSED:-$build/bin/ssed}
have_ssed=1
[ -x "$ssed_bin" ] || { say "warning: no ssed at $ssed_bin; measuring nchan only"; have_ssed=0; }

# Each side holds one descriptor per subscriber (plus the generator's own).
want_fds=$((idle_subs + 2000))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_fds" ]; then
  ulimit -Hn "$want_fds" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$want_fds" ] ||
  say "warning: ulimit -n is $(ulimit -n), below the $want_fds the idle test needs"

# shellcheck source=scripts/bench-common.sh
source "$root/scripts/bench-common.sh" ssekit-bench
results=$tmp/results.jsonl
: >"$results"

# ---- process accounting --------------------------------------------------------------------
hz=$(getconf CLK_TCK)
# utime+stime in clock ticks, all threads; the comm field may hold spaces, so cut after ')'.
cpu_ticks() {
  local s f
  s=$(<"/proc/$1/stat")
  read -r -a f <<<"${s##*) }"
  echo $((f[11] + f[12]))
}
# Busy ticks of the whole machine (all cores), to see how much CPU other processes took meanwhile.
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---- servers -------------------------------------------------------------------------------
# start_ssed / start_nchan set: srv_pid (to stop), srv_cpu_pids (to account), srv_rss_pid,
# srv_url, sub_prefix, pub_prefix.
start_ssed() {
  local out=$tmp/ssed.$1.out
  "$ssed_bin" --listen 127.0.0.1:0 --history 16 >"$out" 2>"$tmp/ssed.$1.err" &
  srv_pid=$!
  pids+=("$srv_pid")
  srv_url=
  for _ in $(seq 100); do
    srv_url=$(grep -m1 -E '^http://127\.0\.0\.1:[0-9]+$' "$out" || true)
    [ -n "$srv_url" ] && break
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$srv_url" ] || { say "ssed did not print its URL:"; cat "$tmp/ssed.$1.err" >&2; exit 70; }
  srv_cpu_pids=$srv_pid
  srv_rss_pid=$srv_pid
  sub_prefix=/events/
  pub_prefix=/events/
}

start_nchan() {
  local dir=$tmp/nchan.$1 port
  mkdir -p "$dir"
  port=$(free_port)
  sed -e "s|@PREFIX@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$nchan_module|g" \
    "$root/bench/nchan.conf.in" >"$dir/nchan.conf"
  nginx -p "$dir" -c "$dir/nchan.conf" -e "$dir/error.log" &
  srv_pid=$!
  pids+=("$srv_pid")
  local worker=
  for _ in $(seq 100); do
    worker=$(awk '{ print $1 }' "/proc/$srv_pid/task/$srv_pid/children" 2>/dev/null)
    if [ -n "$worker" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$srv_pid" 2>/dev/null || break
    worker=
    sleep 0.1
  done
  [ -n "$worker" ] || { say "nchan did not start:"; cat "$dir/error.log" >&2; exit 70; }
  srv_url=http://127.0.0.1:$port
  srv_cpu_pids="$srv_pid $worker"
  srv_rss_pid=$worker
  sub_prefix=/sub/
  pub_prefix=/pub/
}

stop_server() {
  kill -TERM "$srv_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
  forget "$srv_pid"
}

server_ticks() { local t=0 p; for p in $srv_cpu_pids; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# run_load SERVER TEST CHANNEL LOADGEN-ARGS...: one bounded load-generator run; appends its result
# line with the server's CPU seconds to $results.
run_load() {
  local server=$1 test=$2 chan=$3 t0 t1 m0 m1 line
  shift 3
  m0=$(machine_ticks)
  t0=$(server_ticks)
  line=$(timeout -s INT 120 "$loadgen" "$@" --url "$srv_url" --sub-path "$sub_prefix$chan" \
    --pub-path "$pub_prefix$chan" --label "$server" | tail -n1) || true
  t1=$(server_ticks)
  m1=$(machine_ticks)
  [ -n "$line" ] || { say "$server $test: no result"; return; }
  echo "{\"server\":\"$server\",\"test\":\"$test\",\"server_cpu_s\":$(awk -v a="$t0" -v b="$t1" -v h="$hz" \
    'BEGIN { printf "%.3f", (b - a) / h }'),\"machine_cpu_s\":$(awk -v a="$m0" -v b="$m1" -v h="$hz" \
    'BEGIN { printf "%.3f", (b - a) / h }'),\"result\":$line}" >>"$results"
  say "$server $test: $(python3 -c 'import json, sys
r = json.loads(sys.argv[1]); cpu = float(sys.argv[2])
print("%(subs_ok)s/%(subs_requested)s subs, %(deliveries)s deliveries (%(deliveries_per_s)s/s), lost %(lost)s, "
      "p50 %(lat_p50_ms)s ms, p99 %(lat_p99_ms)s ms" % r + ", server CPU %.2f s" % cpu)' "$line" \
    "$(awk -v a="$t0" -v b="$t1" -v h="$hz" 'BEGIN { printf "%.3f", (b - a) / h }')")"
}

servers=(nchan)
[ "$have_ssed" = 1 ] && servers=(ssed nchan)
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); results in $tmp"

# ---- fan-out and latency: both servers up, runs interleaved, medians over rounds ---------------
declare -A srv_pids srv_urls srv_cpu srv_sub srv_pub
for s in "${servers[@]}"; do
  "start_$s" main
  srv_pids[$s]=$srv_pid srv_urls[$s]=$srv_url srv_cpu[$s]=$srv_cpu_pids
  srv_sub[$s]=$sub_prefix srv_pub[$s]=$pub_prefix
done
use() {
  srv_pid=${srv_pids[$1]} srv_url=${srv_urls[$1]} srv_cpu_pids=${srv_cpu[$1]}
  sub_prefix=${srv_sub[$1]} pub_prefix=${srv_pub[$1]}
}
for r in $(seq "$rounds"); do
  for s in "${servers[@]}"; do
    use "$s"
    # "As fast as possible", closed loop: at most 100 events ahead of the subscribers, so a hub
    # that accepts publishes faster than it delivers is measured delivering, not queueing.
    run_load "$s" fanout100 "f100r$r" fanout --subs 100 --publishers 4 --window 100 --duration "$duration"
    run_load "$s" fanout1000 "f1000r$r" fanout --subs 1000 --connect-inflight 100 --publishers 4 \
      --window 100 --duration "$duration"
    run_load "$s" latency100 "lat100r$r" latency --subs 100 --publishers 4 --rate 100 \
      --duration "$lat_duration"
    # Equal offered load (100,000 deliveries/s, below both servers' capacity): CPU per delivery
    # without the batching that a backlog allows.
    run_load "$s" equal100 "eq100r$r" latency --subs 100 --publishers 4 --rate 1000 --duration "$duration"
    run_load "$s" equal1000 "eq1000r$r" latency --subs 1000 --connect-inflight 100 --publishers 4 \
      --rate 100 --duration "$duration"
    # One subscriber: the cost of the publish path itself (HTTP request, hand-off, one write).
    run_load "$s" publish1 "pub1r$r" latency --subs 1 --publishers 4 --rate 2000 --duration "$duration"
    # A publisher's round trip while 1,000 slow-loris heads (a header line a second, never
    # ending) and 500 silent connections are held open against the server.
    run_load "$s" besieged "siege$r" latency --subs 1 --publishers 1 --rate 200 --duration "$duration" \
      --hold-slow 1000 --hold-idle 500
    # Open loop: the publishers send as fast as they are answered, nothing holds them back but the
    # server; delivery latency shows how far behind the server lets its queues grow.
    run_load "$s" openloop1000 "open1000r$r" fanout --subs 1000 --connect-inflight 100 --publishers 4 \
      --window 0 --duration "$duration"
  done
done
for s in "${servers[@]}"; do use "$s"; stop_server; done

# ---- idle subscribers: a fresh server each, all connecting at once ---------------------------
for s in "${servers[@]}"; do
  "start_$s" idle
  sleep 0.5  # let the fresh server finish its start-up allocations before the baseline
  base_rss=$(rss_kb "$srv_rss_pid")
  out=$tmp/idle.$s.out
  timeout -s INT 120 "$loadgen" idle --url "$srv_url" --sub-path "${sub_prefix}idle" --subs "$idle_subs" \
    --connect-inflight "$idle_subs" --connect-timeout 30 --duration 60 --label "$s" >"$out" &
  lg=$!
  pids+=("$lg")
  for _ in $(seq 400); do
    grep -q '"phase":"connected"' "$out" && break
    kill -0 "$lg" 2>/dev/null || break
    sleep 0.1
  done
  sleep 1  # the server has answered everyone; give its last allocations a moment to land
  held_rss=$(rss_kb "$srv_rss_pid")
  kill -TERM "$lg" 2>/dev/null || true
  wait "$lg" || true
  forget "$lg"
  connected=$(grep -m1 '"phase":"connected"' "$out" || echo '{}')
  echo "{\"server\":\"$s\",\"test\":\"idle\",\"base_rss_kb\":$base_rss,\"held_rss_kb\":$held_rss,\
\"connected\":$connected,\"result\":$(tail -n1 "$out" | grep '"phase":"done"' || echo '{}')}" >>"$results"
  say "$s idle: $connected; RSS $base_rss -> $held_rss kB"
  stop_server
done

# ---- the table -------------------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$results" "$rounds" "$duration" "$idle_subs" "$commit" "$(uname -r)" "$(nproc)" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["SSEKIT_BENCH_LIB"])
from bench_table import print_table  # noqa: E402
import json, statistics, sys
path, rounds, duration, idle_n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
commit, kernel, cores = sys.argv[5], sys.argv[6], sys.argv[7]
runs = [json.loads(l) for l in open(path) if l.strip()]

def pick(server, test):
    return [r for r in runs if r["server"] == server and r["test"] == test and r.get("result")]

def median(xs):
    return statistics.median(xs) if xs else None

def per_cpu(server, test):
    return median([r["result"]["deliveries"] / r["server_cpu_s"] for r in pick(server, test)
                   if r["server_cpu_s"] > 0])

def field(server, test, key):
    return median([r["result"][key] for r in pick(server, test) if key in r["result"]])

def pair(server, test):
    a, b = field(server, test, "lat_p50_ms"), field(server, test, "lat_p99_ms")
    return None if a is None else f"{a:.2f} / {b:.2f}"

def idle(server):
    rs = pick(server, "idle")
    return rs[0] if rs else None

def lost(server):
    total = 0
    for r in runs:
        if r["server"] == server and r["test"] != "idle" and r.get("result"):
            total += r["result"]["lost"] + r["result"]["duplicates"] + r["result"]["out_of_order"]
    return total

def fmt(v, unit=""):
    if v is None: return "n/a"
    if isinstance(v, str): return v
    if abs(v) >= 1e6: return f"{v/1e6:.2f}M{unit}"
    if abs(v) >= 10000: return f"{v/1000:.0f}k{unit}"
    if abs(v) >= 100: return f"{v:.0f}{unit}"
    return f"{v:.2f}{unit}"

def ratio(a, b):
    if isinstance(a, str) or isinstance(b, str): return ""
    return f"{a/b:.2f}x" if a is not None and b else "n/a"

rows = []
def row(name, a, b, target, ok, unit=""):
    verdict = "" if ok is None else ("met" if ok else "MISSED")
    rows.append((name, fmt(a, unit), fmt(b, unit), ratio(a, b), target, verdict))

for n in (100, 1000):
    t = f"fanout{n}"
    a, b = per_cpu("ssed", t), per_cpu("nchan", t)
    row(f"deliveries per server CPU-s, {n:,} subs, fast publish", a, b, ">= 1.0x nchan",
        None if a is None or b is None else a >= b)
for n in (100, 1000):
    t = f"fanout{n}"
    row(f"  fast publish, {n:,} subs: deliveries/s (generator-bound)", field("ssed", t, "deliveries_per_s"),
        field("nchan", t, "deliveries_per_s"), "info", None)
    row(f"  fast publish, {n:,} subs: latency p50 / p99 ms", pair("ssed", t), pair("nchan", t), "info", None)
for n, r in ((100, 1000), (1000, 100)):
    t = f"equal{n}"
    a, b = per_cpu("ssed", t), per_cpu("nchan", t)
    row(f"deliveries per server CPU-s, {n:,} subs x {r:,} ev/s (equal load)", a, b, ">= 1.0x nchan",
        None if a is None or b is None else a >= b)
    row(f"  latency p50 / p99 ms, {n:,} subs x {r:,} ev/s", pair("ssed", t), pair("nchan", t), "info", None)
def us_per_publish(server):
    return median([r["server_cpu_s"] / r["result"]["published"] * 1e6 for r in pick(server, "publish1")
                   if r["result"].get("published")])

a, b = us_per_publish("ssed"), us_per_publish("nchan")
row("server CPU per publish, 1 sub x 2,000 ev/s (us)", a, b, "<= 0.5x nchan",
    None if a is None or b is None else a <= 0.5 * b)
a, b = field("ssed", "besieged", "pub_rtt_p99_ms"), field("nchan", "besieged", "pub_rtt_p99_ms")
row("publish round trip p99 ms, 1,000 slow-loris + 500 idle held", a, b, "<= 5 ms",
    None if a is None else a <= 5.0)
row("  same: connections held at the end (of 1,500)", field("ssed", "besieged", "held"),
    field("nchan", "besieged", "held"), "info", None)
row("  same: publish round trip p50 ms", field("ssed", "besieged", "pub_rtt_p50_ms"),
    field("nchan", "besieged", "pub_rtt_p50_ms"), "info", None)
a, b = field("ssed", "openloop1000", "lat_p99_ms"), field("nchan", "openloop1000", "lat_p99_ms")
row("open-loop publishing, 1,000 subs: delivery p99 ms", a, b, "<= 100 ms", None if a is None else a <= 100.0)
row("  same: deliveries/s, and publishes answered 503", field("ssed", "openloop1000", "deliveries_per_s"),
    field("nchan", "openloop1000", "deliveries_per_s"), "info", None)
for key, label in (("lat_p50_ms", "p50"), ("lat_p99_ms", "p99"), ("lat_max_ms", "max")):
    a, b = field("ssed", "latency100", key), field("nchan", "latency100", key)
    row(f"latency {label} ms, 100 subs x 100 ev/s", a, b, "<= nchan" if key != "lat_max_ms" else "info",
        None if key == "lat_max_ms" or a is None or b is None else a <= b)

def idle_vals(server):
    r = idle(server)
    if not r: return None, None, None
    c = r.get("connected", {})
    ok = c.get("subs_ok")
    added = (r["held_rss_kb"] - r["base_rss_kb"]) / ok if ok else None
    whole = r["held_rss_kb"] / ok if ok else None
    got = f"{ok}/{c.get('subs_requested')} in {c.get('connect_s')} s" if ok is not None else None
    return added, whole, got

def others(server):
    xs = []
    for r in runs:
        if r["server"] == server and r.get("result") and "machine_cpu_s" in r and r["result"].get("deliver_s"):
            rest = r["machine_cpu_s"] - r["server_cpu_s"] - r["result"].get("loadgen_cpu_s", 0)
            xs.append(max(0.0, rest) / r["result"]["deliver_s"])
    return median(xs)

sa, sw, sg = idle_vals("ssed")
na, nw, ng = idle_vals("nchan")
row(f"RSS per added subscriber, {idle_n:,} idle (KB)", sa, na, "<= 5 KB", None if sa is None else sa <= 5.0)
row(f"RSS per subscriber at {idle_n:,}, whole process (KB)", sw, nw, "info", None)
ssed_all_in = None
if sg is not None:
    ssed_all_in = idle("ssed")["connected"].get("subs_ok") == idle_n
rows.append((f"{idle_n:,} clients connecting at once: got in", sg or "n/a", ng or "n/a", "", "all",
             "" if ssed_all_in is None else ("met" if ssed_all_in else "MISSED")))
ls = lost("ssed") if pick("ssed", "fanout100") else None
ln = lost("nchan")
rows.append(("events lost + duplicated + reordered, all runs", "n/a" if ls is None else str(ls), str(ln), "",
             "0", "" if ls is None else ("met" if ls == 0 else "MISSED")))

row("other processes' CPU during the runs (cores)", others("ssed"), others("nchan"), "noise, ~0", None)

head = ("", "ssed", "nchan", "ssed/nchan", "target", "")
print(f"ssed ({commit}) vs nchan 1.3.6 (1 worker); 127.0.0.1, {cores} cores, kernel {kernel}; "
      f"medians of {rounds} round(s); fast publish = {duration} s over 4 keep-alive connections, "
      f"at most 100 events ahead of the subscribers")
print_table(head, rows)
noise = max([x for x in (others("ssed"), others("nchan")) if x is not None] or [0])
if noise > 0.3:
    print(f"bench: warning: other processes used {noise:.2f} cores during the runs; latency and "
          f"rates are noisy (rerun on a quiet machine)", file=sys.stderr)
EOF
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
