#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang into build-fuzz/ (or
# $HOTREF_FUZZ_BUILD_DIR), replays the seed corpus and the fixed crash inputs
# (tests/fuzz/corpus, tests/fuzz/regressions), then runs each harness for
# SECONDS (default 60), $HOTREF_FUZZ_JOBS at a time (default: the number of cores).
# Fails when a replay or a harness finds a crash, a sanitizer report or a hang;
# the input is kept in build-fuzz/artifacts/HARNESS/ (see docs/operations.md).
#   tools/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
build="${HOTREF_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${HOTREF_FUZZ_JOBS:-$(nproc)}"
all=(csv policeuk_csv policeuk_json force_export referral_csv query proto)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2;; esac

# --- build (clang, -fsanitize=fuzzer,address,undefined; the harnesses only: tools/test.sh builds the rest)
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTREF_FUZZ=ON \
    "${launcher[@]}" >/dev/null
fi
set +e +o pipefail
cmake --build "$build" --target hotref_fuzzers -j "$(nproc)" -- --no-print-directory 2>&1 |
  grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Built target'
rc="${PIPESTATUS[0]}"
set -e -o pipefail
[ "$rc" -eq 0 ] || exit "$rc"

# --- sanitizer settings: stop at the first report, with a stack; third-party leaks only are suppressed
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_stacktrace=1:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export HOTREF_NO_PROGRESS=1

# --- replay: the seed corpus and every fixed crash input, once each
echo "fuzz: replaying tests/fuzz/corpus and tests/fuzz/regressions"
ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "^fuzz_replay_($(IFS='|'; echo "${harnesses[*]}"))\$"
[ "$seconds" -gt 0 ] || exit 0

# --- fuzz: each harness for $seconds, new inputs in build-fuzz/corpus (the repo's corpus is read only)
run_one() {
  local name="$1" work="$build/corpus/$1" art="$build/artifacts/$1/" log="$build/logs/$1.log"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  local args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1
              -artifact_prefix="$art" "$work" "$root/tests/fuzz/corpus/$name")
  [ -f "$root/tests/fuzz/dicts/$name.dict" ] && args=(-dict="$root/tests/fuzz/dicts/$name.dict" "${args[@]}")
  if nice -n "${HOTREF_FUZZ_NICE:-0}" "$build/tests/fuzz/fuzz_$name" "${args[@]}" >"$log" 2>&1; then
    printf 'fuzz: %-14s ok      %s\n' "$name" "$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
      sed -E 's/^stat::([a-z_]+): *([0-9]+)/\1=\2/' | tr '\n' ' ')"
  else
    printf 'fuzz: %-14s FAILED  (log %s, input in %s)\n' "$name" "$log" "$art" >&2
    grep -E 'ERROR|runtime error|check failed|SUMMARY|Test unit written' "$log" | head -n 8 >&2 || true
    return 1
  fi
}

echo "fuzz: ${#harnesses[@]} harnesses for ${seconds}s each, $jobs at a time"
failed=0
running=0
for name in "${harnesses[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a harness found a problem: fix it, then keep the input in tests/fuzz/regressions/HARNESS/" >&2
  exit 1
fi
echo "fuzz: no findings"
