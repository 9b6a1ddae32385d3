#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (fuzz/<target>_fuzz.cpp, seeds in fuzz/corpus/<target>/).
#   scripts/fuzz.sh --list               the targets
#   scripts/fuzz.sh TARGET SECONDS [ARG...]   one target for SECONDS (ARGs go to libFuzzer)
#   scripts/fuzz.sh --smoke [SECONDS]    every target, SECONDS each (default 10), one per core at a
#                                        time: the test command's run
# Builds build-fuzz/ (clang, ASan, UBSan, libFuzzer) first, incrementally. A run works on a
# scratch copy of the corpus under $SSEKIT_FUZZ_WORK (default /tmp/ssekit-fuzz): new inputs
# and crashes land there, never in the repository. Exits 1 when a target crashed, saying
# where the input is kept; to keep it as a regression, copy it into fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work_root=${SSEKIT_FUZZ_WORK:-/tmp/ssekit-fuzz}

targets() { for f in fuzz/*_fuzz.cpp; do f=${f#fuzz/}; echo "${f%_fuzz.cpp}"; done; }

# The longest input worth trying, per target: room for several requests or events, small
# enough to keep runs fast.
max_len() {
  case $1 in
    request|http_api) echo 16384 ;;
    redis_envelope|redis_stream) echo 4096 ;;
    *) echo 8192 ;;
  esac
}

# Several runs may start at once (one per target): one builds, the others wait for it.
build() {
  mkdir -p build-fuzz
  (
    flock 9
    if [ ! -f build-fuzz/CMakeCache.txt ]; then
      cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
        -DCMAKE_CXX_COMPILER=clang++ -DSSEKIT_FUZZ=ON -DSSEKIT_TESTS=OFF -DSSEKIT_WERROR=ON >/dev/null
    fi
    cmake --build build-fuzz -j"$(nproc)" --target fuzz >/dev/null
  ) 9>build-fuzz/.build.lock
}

# run TARGET SECONDS [ARG...]: 0 when nothing was found.
run() {
  local target=$1 seconds=$2
  shift 2
  local work
  work=$(mkdir -p "$work_root" && mktemp -d "$work_root/$target.XXXXXX")
  mkdir -p "$work/corpus" "$work/crashes"
  cp fuzz/corpus/"$target"/* "$work/corpus/"
  local dict=()
  [ -f fuzz/"$target".dict ] && dict=(-dict="$repo/fuzz/$target.dict")
  echo "fuzz: $target for ${seconds}s in $work" >&2
  local rc=0
  (cd "$work" && "$repo/build-fuzz/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/crashes/" "${dict[@]}" "$@" \
    "$work/corpus" >"$work/log" 2>&1) || rc=$?
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "$work/log" | tail -2 >&2 || true
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/crashes")" ]; then
    grep -E 'ERROR|invariant failed|SUMMARY' "$work/log" | head -5 >&2 || true
    echo "fuzz: $target FAILED (exit $rc); input kept in $work/crashes/, log in $work/log" >&2
    return 1
  fi
  if [ "${keep_work:-1}" = 1 ]; then
    echo "fuzz: $target ok; new inputs (not in the repository) in $work/corpus" >&2
  else
    rm -rf "$work"
    echo "fuzz: $target ok" >&2
  fi
}

case ${1:-} in
  --list) targets ;;
  --smoke)
    seconds=${2:-10}
    build
    keep_work=0  # a passing smoke leaves nothing behind
    # One target per core at a time (each libFuzzer run is one process).
    failed=$(mktemp)
    running=0
    for t in $(targets); do
      { run "$t" "$seconds" || echo "$t" >>"$failed"; } &
      running=$((running + 1))
      if [ "$running" -ge "$(nproc)" ]; then wait -n || true; running=$((running - 1)); fi
    done
    wait
    if [ -s "$failed" ]; then
      echo "fuzz: smoke FAILED: $(sort "$failed" | tr '\n' ' ')" >&2
      rm -f "$failed"
      exit 1
    fi
    rm -f "$failed"
    echo "fuzz: smoke ok ($(targets | wc -l) targets, ${seconds}s each)" >&2
    ;;
  ''|-h|--help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
  *)
    target=$1 seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
    shift 2
    targets | grep -qx "$target" || { echo "fuzz: no target '$target' (scripts/fuzz.sh --list)" >&2; exit 2; }
    build
    run "$target" "$seconds" "$@"
    ;;
esac
