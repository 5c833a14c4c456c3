#!/usr/bin/env bash
# Every test: installs what is missing, builds, runs ctest; then the sanitizer stage
# (docs/operations.md#what-ci-runs): the parser, limit and hostile-input tests again in the
# clang ASan+UBSan build the fuzzers share (build-fuzz/), and each libFuzzer harness for
# HOTREF_FUZZ_SECONDS (60).
#   HOTREF_TEST_SANITIZERS=OFF  skips the sanitizer stage (it runs by default, as in CI)
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

[ "${HOTREF_TEST_SANITIZERS:-ON}" = "ON" ] || exit 0
# The tests of everything that reads untrusted input (feeds, referral files, HTTP, queries,
# protobuf) and of the disclosure arithmetic, in the clang build the fuzzers use
# (build-fuzz/: -fsanitize=address,undefined plus libFuzzer's coverage hooks), so the sanitizer
# stage compiles the project once more, not twice.
fuzz_build="${HOTREF_FUZZ_BUILD_DIR:-$root/build-fuzz}"
export HOTREF_FUZZ_BUILD_DIR="$fuzz_build"
echo "test: ASan+UBSan build ($fuzz_build), its input-handling tests, then the fuzzers" >&2
tools/fuzz.sh 0 # configures, builds the harnesses and replays the corpus and the kept crash inputs
set +e +o pipefail
cmake --build "$fuzz_build" -j "$(nproc)" -- --no-print-directory 2>&1 | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Built target'
rc="${PIPESTATUS[0]}"
set -e -o pipefail
[ "$rc" -eq 0 ] || exit "$rc"
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  ctest --test-dir "$fuzz_build" --output-on-failure -j "$(nproc)" --timeout 900 \
  -R '^(csv|ingest|hostile|referral|refusal check|sdc|query|month|text|feed jobs)'
echo "test: libFuzzer harnesses, ${HOTREF_FUZZ_SECONDS:-60} s each" >&2
tools/fuzz.sh "${HOTREF_FUZZ_SECONDS:-60}"
