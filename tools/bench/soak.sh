#!/usr/bin/env bash
# Memory soak of `hotref serve`: wrk for --duration seconds (default 120) on an
# OGC API items page and a vector tile at once, the server's RSS sampled every
# 5 s; prints every sample and the start, peak and end RSS (docs/benchmarks.md).
# Uses the demo store (out/hotref.sqlite, made by tools/demo.sh) when there is
# one, else a small store generated here (hotref-gen, ingest, Gi* run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=120 CONNECTIONS=32 THREADS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    -h|--help) echo "Usage: tools/bench/soak.sh [--duration SECONDS] [--connections N per endpoint]"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
build="${HOTREF_BUILD_DIR:-$root/build}"
hotref="$build/hotref"
[ -x "$hotref" ] || { echo "build first (tools/build.sh)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done # a publish under way does not stop at SIGTERM
  rm -rf "$work"
}
trap cleanup EXIT
export HOTREF_NO_PROGRESS=1
area="$root/geodata/derbyshire_force_area.gpkg"
store="$work/soak.sqlite"
if [ -s "$root/out/hotref.sqlite" ]; then
  cp "$root/out/hotref.sqlite" "$store"
  echo "store: a copy of the demo store" >&2
else
  mkdir -p "$work/gen"
  "$build/hotref-gen" --rows 200000 --months 2025-01:2025-06 --split-dir "$work/gen" 2>/dev/null
  "$hotref" ingest --store "$store" --area "$area" "$work/gen" >/dev/null 2>&1
  "$hotref" hotspots --method gistar --store "$store" --area "$area" --cell-size 250 --top 0 >/dev/null 2>&1
  echo "store: generated (hotref-gen: 200,000 rows, 2025-01..06; Gi* on 250 m cells)" >&2
fi
token="$("$hotref" token create --store "$store" --role patrol-planner --name soak 2>/dev/null)"
"$hotref" serve --store "$store" --port 0 --port-file "$work/port" --threads 2 --access-log off 2> "$work/serve.err" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 3000); do # publishing the layers takes a while on a busy machine
  if [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/readyz" >/dev/null; then break; fi
  sleep 0.2
done
base="http://127.0.0.1:$(cat "$work/port")"
auth="Authorization: Bearer $token"
items="/collections/hotspots/items?limit=100"
curl -sf -H "$auth" "$base$items" -o /dev/null || { echo "items not served" >&2; cat "$work/serve.err" >&2; exit 1; }
# The fullest zoom-12 hotspot tile over Derby.
tile="" best=0
for x in $(seq 2030 2036); do
  for y in $(seq 1330 1345); do
    size="$(curl -s -H "$auth" -o /dev/null -w '%{size_download}' "$base/tiles/hotspots/12/$x/$y.pbf")"
    if [ "$size" -gt "$best" ]; then best=$size; tile="/tiles/hotspots/12/$x/$y.pbf"; fi
  done
done
[ -n "$tile" ] || tile="/tiles/hotspots/12/2033/1337.pbf"

rss() { awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status"; }
echo "soak: ${DURATION} s, wrk -t$THREADS -c$CONNECTIONS on $items and on $tile ($best bytes), at once" >&2
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "$auth" "$base$items" > "$work/wrk-items.txt" &
pids+=("$!")
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "$auth" "$base$tile" > "$work/wrk-tile.txt" &
pids+=("$!")
start="$(rss)" peak="$start" samples=""
for ((t = 0; t < DURATION; t += 5)); do
  sleep 5
  now="$(rss)"
  samples+=" $((now / 1024))"
  [ "$now" -gt "$peak" ] && peak="$now"
done
wait "${pids[1]}" "${pids[2]}" || true
sleep 1
end="$(rss)"
for f in items tile; do
  echo "$f: $(grep -E 'Requests/sec' "$work/wrk-$f.txt" | tr -s ' ') $(grep -E 'Non-2xx|Socket errors' "$work/wrk-$f.txt" | tr -s ' ' | tr '\n' ' ')"
done
echo "RSS samples every 5 s (MiB):$samples"
echo "RSS start $((start / 1024)) MiB, peak $((peak / 1024)) MiB, end $((end / 1024)) MiB"
