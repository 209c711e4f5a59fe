#!/usr/bin/env bash
# Runs the test suite N times in a row on a loaded machine and reports every test that failed
# even once, by name, with the run it failed in. A flaky test is a bug: fix it at its cause,
# never with a retry or a longer sleep.
#
#   scripts/flake-hunt.sh 20                 # the nextest suite 20 times, CPU hogs on every core
#   scripts/flake-hunt.sh 20 --load build    # ... while a parallel cargo build runs alongside
#   scripts/flake-hunt.sh 5 --load none      # ... on an idle machine
#   scripts/flake-hunt.sh 20 --full          # `bash scripts/test.sh` itself each time
#
# The load:
#   hog    one busy loop per core (`nproc`), the default;
#   build  `cargo build --all-targets` from scratch, again and again, into a scratch target
#          directory with as many jobs as cores: a parallel build, as on a developer's machine;
#   none   no load.
#
# Logs go to target/flake-hunt/run-K.log; the summary is printed at the end and saved in
# target/flake-hunt/summary.txt. Exits non-zero when any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 N [--load hog|build|none] [--full]" >&2
  exit 2
}

[ "$#" -ge 1 ] || usage
runs="$1"
shift
case "$runs" in '' | *[!0-9]*) usage ;; esac
load=hog
full=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --load)
      [ "$#" -ge 2 ] || usage
      load="$2"
      shift 2
      ;;
    --full)
      full=1
      shift
      ;;
    *) usage ;;
  esac
done
case "$load" in hog | build | none) ;; *) usage ;; esac

source scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM=1

target_dir="${CARGO_TARGET_DIR:-target}"
logs="$target_dir/flake-hunt"
mkdir -p "$logs"
rm -f "$logs"/run-*.log

# The two test invocations of scripts/test.sh: the product, stand-ins and emulator (gpui's
# test-support on), then the command line (off).
suite() {
  local rc=0
  scripts/with-keyring.sh cargo nextest run --workspace --exclude openai_subscribed_cli \
    --lib --bins --tests --examples --no-fail-fast || rc=$?
  scripts/with-keyring.sh cargo nextest run -p openai_subscribed_cli \
    --lib --bins --tests --examples --no-fail-fast || rc=$?
  return "$rc"
}

# Build once before loading the machine, so every run tests and none compiles.
if [ "$full" -eq 0 ]; then
  cargo nextest run --workspace --exclude openai_subscribed_cli --lib --bins --tests --examples \
    --no-run >/dev/null
  cargo nextest run -p openai_subscribed_cli --lib --bins --tests --examples --no-run >/dev/null
fi

load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_load EXIT

cores="$(nproc)"
case "$load" in
  hog)
    for _ in $(seq "$cores"); do
      setsid bash -c 'while :; do :; done' &
      load_pids+=("$!")
    done
    ;;
  build)
    scratch_target="$(mktemp -d)"
    setsid bash -c "while :; do
        CARGO_TARGET_DIR='$scratch_target' cargo build --all-targets --jobs $cores --quiet >/dev/null 2>&1
        rm -rf '$scratch_target'
      done" &
    load_pids+=("$!")
    ;;
  none) ;;
esac

failed_runs=0
: >"$logs/failures.txt"
for run in $(seq "$runs"); do
  log="$logs/run-$run.log"
  started=$(date +%s)
  status=0
  if [ "$full" -eq 1 ]; then
    bash scripts/test.sh >"$log" 2>&1 || status=$?
  else
    suite >"$log" 2>&1 || status=$?
  fi
  took=$(($(date +%s) - started))
  loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$status" -eq 0 ]; then
    echo "run $run/$runs: passed in ${took}s (load average $loadavg)"
  else
    failed_runs=$((failed_runs + 1))
    echo "run $run/$runs: FAILED in ${took}s (load average $loadavg), log: $log"
    # nextest names each failed test on a line "FAIL [ time] (n/m) binary test".
    grep -E '^\s*(FAIL|TIMEOUT|SIGSEGV|SIGABRT)' "$log" | sed "s/^/  run $run: /" \
      | tee -a "$logs/failures.txt" || true
  fi
done

{
  echo "flake hunt: $runs runs, $failed_runs failed; load: $load on $cores cores"
  if [ -s "$logs/failures.txt" ]; then
    echo "tests that failed at least once:"
    sed -E 's/.*\) //' "$logs/failures.txt" | sort | uniq -c | sort -rn
  fi
} | tee "$logs/summary.txt"
[ "$failed_runs" -eq 0 ]
