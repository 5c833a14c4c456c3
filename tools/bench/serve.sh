#!/usr/bin/env bash
# Service benchmark: `hotref serve` against nginx serving the same bytes as static
# files, in the same run, alternating, with wrk on loopback: an OGC API items page of
# 100 hotspots (the real Derbyshire 2025 DBSCAN run: 127 hotspots) and a vector tile.
# hotref checks a bearer token on every request; neither server writes an access log.
# Prints a Markdown table of medians for docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

RUNS=3 DURATION=30 CONNECTIONS=64 THREADS=2
usage() {
  cat <<USAGE
Usage: tools/bench/serve.sh [--runs N] [--duration SECONDS] [--connections N]
Needs the demo store (tools/demo.sh makes out/hotref.sqlite); installs wrk and nginx.
Defaults: --runs $RUNS --duration $DURATION --connections $CONNECTIONS (wrk -t$THREADS).
USAGE
}
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
hotref="$root/build/hotref"
[ -x "$hotref" ] || "$root/tools/build.sh"
[ -s "$root/out/hotref.sqlite" ] || { echo "run tools/demo.sh first (it makes out/hotref.sqlite)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export HOTREF_NO_PROGRESS=1

store="$work/bench.sqlite"
cp "$root/out/hotref.sqlite" "$store"
"$hotref" hotspots --store "$store" --method dbscan --area "$root/geodata/derbyshire_force_area.gpkg" --top 0 \
  >/dev/null 2>&1
token="$("$hotref" token create --store "$store" --role patrol-planner --name bench 2>/dev/null)"

"$hotref" serve --store "$store" --method dbscan --port 0 --port-file "$work/port" --threads 2 --access-log off \
  --work-dir "$work/serve" 2> "$work/serve.err" &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 600); do
  if [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/readyz" >/dev/null; then break; fi
  sleep 0.2
done
port="$(cat "$work/port")"
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $token"

# The same bytes for nginx: the items page, and the fullest zoom-12 hotspot tile over Derby.
mkdir -p "$work/www"
chmod 755 "$work" "$work/www"  # nginx workers run as nobody
items="/collections/hotspots/items?limit=100"
curl -sf -H "$auth" "$base$items" -o "$work/www/items.json"
returned="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["numberReturned"])' "$work/www/items.json")"
tile=""
best=0
for x in $(seq 2030 2036); do
  for y in $(seq 1330 1345); do
    size="$(curl -s -H "$auth" -o /dev/null -w '%{size_download}' "$base/tiles/hotspots/12/$x/$y.pbf")"
    if [ "$size" -gt "$best" ]; then best=$size; tile="/tiles/hotspots/12/$x/$y.pbf"; fi
  done
done
[ -n "$tile" ] || { echo "no populated tile found" >&2; exit 1; }
curl -sf -H "$auth" "$base$tile" -o "$work/www/tile.pbf"
chmod 644 "$work/www/"*

nginx_port=$((port + 1))
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  types { application/geo+json json; application/vnd.mapbox-vector-tile pbf; }
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf" &
pids+=("$!")
sleep 1
cmp <(curl -sf "http://127.0.0.1:$nginx_port/items.json") "$work/www/items.json"

# run URL [HEADER]: one wrk run; prints "rps p50_ms p99_ms errors"
run() {
  local url="$1" out="$work/wrk.txt"
  if [ $# -ge 2 ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$2" "$url" > "$out"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url" > "$out"
  fi
  python3 - "$out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v, u): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", t)
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", t)
errors = 0
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errors += int(m.group(1)) if m else 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errors += sum(int(x) for x in m.groups()) if m else 0
print(f"{rps:.0f} {ms(*p50.groups()):.2f} {ms(*p99.groups()):.2f} {errors}")
PY
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status"; }

declare -A results
echo "items: $returned features, $(stat -c %s "$work/www/items.json") bytes; tile $tile: $best bytes" >&2
rss_start="$(rss)"
rss_samples=""
for i in $(seq 1 "$RUNS"); do
  results[hotref_items]+="$(run "$base$items" "$auth")"$'\n'
  rss_samples+=" $(rss)"
  results[nginx_items]+="$(run "http://127.0.0.1:$nginx_port/items.json")"$'\n'
  results[hotref_tile]+="$(run "$base$tile" "$auth")"$'\n'
  rss_samples+=" $(rss)"
  results[nginx_tile]+="$(run "http://127.0.0.1:$nginx_port/tile.pbf")"$'\n'
  echo "run $i/$RUNS done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { printf '%s' "${results[$1]}" | awk -v c="$2" 'NF {print $c}' | median; }
errors() { printf '%s' "${results[$1]}" | awk 'NF {s+=$4} END {print s+0}'; }
echo
echo "| request | server | req/s (median of $RUNS) | p50 ms | p99 ms | errors | hotref / nginx |"
echo "|---|---|---:|---:|---:|---:|---:|"
for what in items tile; do
  h_rps="$(col "hotref_$what" 1)"; n_rps="$(col "nginx_$what" 1)"
  ratio="$(python3 -c "print(f'{$h_rps / $n_rps:.2f}')")"
  if [ "$what" = items ]; then
    label="items page: $returned hotspots, $(stat -c %s "$work/www/items.json") B"
  else
    label="tile $tile, $best B"
  fi
  echo "| $label | hotref | $h_rps | $(col "hotref_$what" 2) | $(col "hotref_$what" 3) | $(errors "hotref_$what") | $ratio |"
  echo "| | nginx | $n_rps | $(col "nginx_$what" 2) | $(col "nginx_$what" 3) | $(errors "nginx_$what") | |"
done
echo
echo "hotref resident memory (kB): $rss_start before the runs; after each hotref run:$rss_samples."
