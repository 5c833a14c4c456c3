#!/usr/bin/env bash
# Every test: installs what is missing, builds, runs ctest; then the sanitizer stage
# (docs/operations.md#what-ci-runs): the parser, limit and hostile-input tests again in the
# ASan+UBSan build (build-asan/), and each libFuzzer harness for HOTREF_FUZZ_SECONDS (60).
#   HOTREF_TEST_SANITIZERS=ON   runs the sanitizer stage (not yet by default: see docs/operations.md)
#   HOTREF_SANITIZE=ON          runs the whole suite under ASan+UBSan instead (slow: ~40 min)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools/setup.sh
export LSAN_OPTIONS="suppressions=$root/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export HOTREF_NO_PROGRESS=1
if [ "${HOTREF_SANITIZE:-OFF}" = "ON" ]; then
  export HOTREF_BUILD_DIR="${HOTREF_BUILD_DIR:-$root/build-asan}"
  tools/build.sh
  exec ctest --test-dir "$HOTREF_BUILD_DIR" --output-on-failure -j "$(nproc)"
fi
build="${HOTREF_BUILD_DIR:-$root/build}"
tools/build.sh
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

[ "${HOTREF_TEST_SANITIZERS:-OFF}" = "ON" ] || exit 0
# The tests of everything that reads untrusted input (feeds, referral files, HTTP, queries,
# protobuf) and of the disclosure arithmetic, compiled with -fsanitize=address,undefined.
echo "test: ASan+UBSan build (build-asan) and its input-handling tests" >&2
HOTREF_SANITIZE=ON HOTREF_BUILD_DIR="$root/build-asan" tools/build.sh
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$(nproc)" --timeout 900 \
  -R '^(csv|ingest|hostile|referral|refusal check|sdc|query|month|text|feed jobs)'
echo "test: libFuzzer harnesses, ${HOTREF_FUZZ_SECONDS:-60} s each" >&2
tools/fuzz.sh "${HOTREF_FUZZ_SECONDS:-60}"
