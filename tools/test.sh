#!/usr/bin/env bash
# Every test: installs what is missing, builds, runs ctest.
# HOTREF_SANITIZE=ON runs the suite under AddressSanitizer + UBSan (in build-asan/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools/setup.sh
if [ "${HOTREF_SANITIZE:-OFF}" = "ON" ]; then
  export HOTREF_BUILD_DIR="${HOTREF_BUILD_DIR:-$root/build-asan}"
  export LSAN_OPTIONS="suppressions=$root/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
build="${HOTREF_BUILD_DIR:-$root/build}"
tools/build.sh
export HOTREF_NO_PROGRESS=1
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
