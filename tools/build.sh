#!/usr/bin/env bash
# Configures (once) and builds hotref into build/ (or $HOTREF_BUILD_DIR).
# Set HOTREF_SANITIZE=ON for the AddressSanitizer + UBSan build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HOTREF_BUILD_DIR:-$root/build}"
sanitize="${HOTREF_SANITIZE:-OFF}"
# ccache, where installed, lets a second checkout (a git worktree) reuse the first one's objects.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
fi
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q "HOTREF_SANITIZE:BOOL=$sanitize" "$build/CMakeCache.txt"; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTREF_SANITIZE="$sanitize" "${launcher[@]}" >/dev/null
fi
# The build's exit status, not grep's: a compile error must fail the script.
set +e +o pipefail
cmake --build "$build" -j "$(nproc)" -- --no-print-directory 2>&1 | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Built target'
rc="${PIPESTATUS[0]}"
set -e -o pipefail
exit "$rc"
