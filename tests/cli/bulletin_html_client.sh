#!/usr/bin/env bash
# Real-client check: a web engine (QtWebKit, headless) opens the HTML bulletin of the real
# Derbyshire run, draws its inline SVG maps and prints it on A4, as a planner would; the
# printed PDF must carry the marking and the top hotspot. Files are kept in $HOTREF_TEST_OUT.
set -euo pipefail
hotref="$1"
root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${HOTREF_TEST_OUT:-$work}"
mkdir -p "$out"
export HOTREF_NO_PROGRESS=1
"$hotref" ingest -q --store "$work/s.sqlite" --area "$root/geodata/derbyshire_force_area.gpkg" \
  "$root/geodata/police-uk/derbyshire-2025" 2>/dev/null
"$hotref" hotspots --method gistar --store "$work/s.sqlite" --area "$root/geodata/derbyshire_force_area.gpkg" --cell-size 250 \
  --top 0 >/dev/null 2>&1
"$hotref" bulletin --store "$work/s.sqlite" --month 2025-12 --out "$work" --name bulletin >/dev/null 2>&1
/usr/bin/python3 "$root/tools/html_check.py" "$work/bulletin.html" --png "$out/bulletin_html.png" \
  --pdf "$out/bulletin_printed.pdf" 2> >(grep -v '^QStandardPaths' >&2)
code="$(sqlite3 "$work/s.sqlite" "SELECT code FROM hotspot WHERE rank = 1 ORDER BY run_id DESC LIMIT 1")"
printed="$(pdftotext "$out/bulletin_printed.pdf" -)"
pages="$(pdfinfo "$out/bulletin_printed.pdf" | sed -n 's/^Pages: *//p')"
fail=0
grep -q "OFFICIAL" <<<"$printed" || { echo "printed bulletin: no OFFICIAL marking" >&2; fail=1; }
grep -q "$code" <<<"$printed" || { echo "printed bulletin: no $code" >&2; fail=1; }
grep -q "Koper" <<<"$printed" || { echo "printed bulletin: no dosage guidance source" >&2; fail=1; }
[ "$pages" -ge 2 ] || { echo "printed bulletin: $pages page(s), expected at least 2" >&2; fail=1; }
exit "$fail"
