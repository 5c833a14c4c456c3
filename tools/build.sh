#!/usr/bin/env bash
# Configures (once) and builds hotref into build/ (or $HOTREF_BUILD_DIR).
# Set HOTREF_SANITIZE=ON for the AddressSanitizer + UBSan build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${HOTREF_BUILD_DIR:-$root/build}"
sanitize="${HOTREF_SANITIZE:-OFF}"
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q "HOTREF_SANITIZE:BOOL=$sanitize" "$build/CMakeCache.txt"; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTREF_SANITIZE="$sanitize" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" -- --no-print-directory 2>&1 | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Built target' || true
test "${PIPESTATUS[0]}" -eq 0
