# Shared by scripts/bench.sh, bench-pub.sh and bench-tail.sh (sourced, not run): the temp dir,
# the list of PIDs a benchmark started and stops on exit (and only those), the priority raise,
# a free loopback port, and SSEKIT_BENCH_LIB for their Python parts (bench_table.py).
# REQUIRES: `say` defined and $1 the temp dir's name prefix.

SSEKIT_BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SSEKIT_BENCH_LIB

# Raise this shell's priority once; the servers and load generators inherit it.
bench_nice=${SSEKIT_BENCH_NICE-$([ "$(id -u)" = 0 ] && echo -10)}
if [ -n "$bench_nice" ]; then
  renice -n "$bench_nice" -p $$ >/dev/null 2>&1 || say "warning: cannot renice"
fi

tmp=$(mktemp -d "/tmp/$1.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${SSEKIT_BENCH_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
forget() { # drops a PID that has ended from the cleanup list
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
