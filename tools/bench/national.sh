#!/usr/bin/env bash
# National benchmark: many forces x many months of generated data.police.uk files, ingested
# into one store year by year, then a patrol and a Gi* run per force, a national Gi* run,
# the service until /readyz, and wrk on its items and tiles. See tools/bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/bench/common.sh
. "$root/tools/bench/common.sh"

usage() {
  cat <<EOF
Usage: tools/bench/national.sh [OPTIONS]

Generates FORCES forces (the 43 of England and Wales by name, each in its own area of a
7x7 grid: hotref-gen --area K) over MONTHS, ROWS rows in all (40 % ASB) at POINTS
distinct map points, a GROWTH share of which first appear during the period. Then, timing
each step with GNU time (wall seconds, peak RSS):
  1. hotref ingest, one call per year of months into one store (rows/s, MB/s per year:
     ingest must not get slower per row as the store grows);
  2. hotref hotspots per force (--force NAME --area its box): the patrol method and Gi*
     (250 m cells);
  3. a national Gi* run: hotspots --force all --method gistar --cell-size 1000;
  4. hotref serve --force Derbyshire on the national store until /readyz answers (skip
     with --no-serve), then wrk -c64 on an items page and a tile for --duration seconds each,
     then a referral update (720 referrals linked, one set) until it is published.

Options:
  --rows N        rows in all (default 20000000)
  --points N      distinct map points in all (default 1000000)
  --forces N      forces, 1..43 (default 43)
  --months A:B    month range (default 2023-01:2025-12)
  --growth F      share of points that appear during the period (default 0.3)
  --duration S    wrk seconds per endpoint (default 15)
  --no-serve      stop after the hotspot runs
  --csv FILE      append one line "rows,locations,ingest_s,rows_per_s,peak_rss_mb" to FILE
  --out FILE      append the Markdown result block to FILE as well as stdout
  --workdir DIR   data, store and logs (default \${TMPDIR:-/tmp}/hotref-national-ROWS)
  -h, --help      this help
EOF
}

die()  { echo "national.sh: $*" >&2; exit 1; }
note() { echo "[national] $*" >&2; }

rows=20000000
points=1000000
forces=43
months="2023-01:2025-12"
growth=0.3
duration=15
serve=1
csv=""
out=""
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-serve) serve=0; shift ;;
    --rows|--points|--forces|--months|--growth|--duration|--csv|--out|--workdir)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --rows) rows="$2" ;; --points) points="$2" ;; --forces) forces="$2" ;;
        --months) months="$2" ;; --growth) growth="$2" ;; --duration) duration="$2" ;;
        --csv) csv="$2" ;; --out) out="$2" ;; --workdir) work="$2" ;;
      esac
      shift 2 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || die "--rows must be a positive integer, got '$rows'"
[[ "$points" =~ ^[1-9][0-9]*$ ]] || die "--points must be a positive integer, got '$points'"
[[ "$forces" =~ ^[1-9][0-9]*$ && "$forces" -le 43 ]] || die "--forces must be 1..43, got '$forces'"
[[ "$months" =~ ^[0-9]{4}-[0-9]{2}:[0-9]{4}-[0-9]{2}$ ]] || die "--months must be YYYY-MM:YYYY-MM"

hotref="$root/build/hotref"
gen="$root/build/hotref-gen"
[ -x "$hotref" ] && [ -x "$gen" ] || "$root/tools/build.sh"
TIME=/usr/bin/time
[ -x "$TIME" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
if [ "$serve" = 1 ] && ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
work="${work:-${TMPDIR:-/tmp}/hotref-national-$rows}"
mkdir -p "$work"
export HOTREF_NO_PROGRESS=1

# The 43 territorial police forces of England and Wales; Derbyshire takes area 0.
names=("Derbyshire Constabulary" "Avon and Somerset Constabulary" "Bedfordshire Police"
  "Cambridgeshire Constabulary" "Cheshire Constabulary" "City of London Police"
  "Cleveland Police" "Cumbria Constabulary" "Devon and Cornwall Police" "Dorset Police"
  "Durham Constabulary" "Dyfed-Powys Police" "Essex Police" "Gloucestershire Constabulary"
  "Greater Manchester Police" "Gwent Police" "Hampshire Constabulary"
  "Hertfordshire Constabulary" "Humberside Police" "Kent Police" "Lancashire Constabulary"
  "Leicestershire Police" "Lincolnshire Police" "Merseyside Police"
  "Metropolitan Police Service" "Norfolk Constabulary" "North Wales Police"
  "North Yorkshire Police" "Northamptonshire Police" "Northumbria Police"
  "Nottinghamshire Police" "South Wales Police" "South Yorkshire Police"
  "Staffordshire Police" "Suffolk Constabulary" "Surrey Police" "Sussex Police"
  "Thames Valley Police" "Warwickshire Police" "West Mercia Police"
  "West Midlands Police" "West Yorkshire Police" "Wiltshire Police")

# timed LOG CMD...: runs CMD under GNU time; sets WALL (s) and RSS (MB); CMD's output to LOG.
timed() {
  local log="$1"; shift
  "$TIME" -f '%e %M' -o "$work/time.out" "$@" > "$log" 2>&1 || { tail -5 "$log" >&2; die "failed: $(q "$@")"; }
  read -r WALL kb < "$work/time.out"
  RSS=$(( kb / 1024 ))
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# ------------------------------------------------------------ generate ----
data="$work/data"
stamp="$rows $points $forces $months $growth"
if [ -f "$work/data.stamp" ] && [ "$(cat "$work/data.stamp")" = "$stamp" ]; then
  note "data: reusing $data"
else
  rm -rf "$data" "$work/areas" "$work/data.stamp"
  mkdir -p "$data" "$work/areas"
  note "data: generating $rows rows at $points points for $forces forces over $months"
  gen_start=$(date +%s.%N)
  for ((k = 0; k < forces; k++)); do
    r=$(( rows / forces + (k < rows % forces ? 1 : 0) ))
    p=$(( points / forces + (k < points % forces ? 1 : 0) ))
    "$gen" --rows "$r" --points "$p" --months "$months" --growth "$growth" --area "$k" \
      --area-out "$work/areas/$k.geojson" --seed $(( 1000 + k )) --force "${names[$k]}" \
      --split-dir "$data" 2>> "$work/gen.log" || die "hotref-gen failed for area $k (see $work/gen.log)"
  done
  gen_s=$(echo "$(date +%s.%N) - $gen_start" | bc)
  echo "$stamp" > "$work/data.stamp"
  note "data: $(du -sh "$data" | cut -f1) in ${gen_s} s"
fi
bytes=$(du -sb "$data" | cut -f1)
files=$(find "$data" -name '*-street.csv' | wc -l)

# -------------------------------------------------------------- ingest ----
store="$work/national.sqlite"
rm -f "$store" "$store-wal" "$store-shm"
years=$(find "$data" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | cut -c1-4 | sort -u)
ingest_rows=()
ingest_total=0
ingest_peak=0
for y in $years; do
  year_rows=$(cat "$data"/"$y"-*/*-street.csv | wc -l)
  year_rows=$(( year_rows - $(ls "$data"/"$y"-*/*-street.csv | wc -l) ))   # headers
  year_bytes=$(cat "$data"/"$y"-*/*-street.csv | wc -c)
  note "ingest: $y ($year_rows rows)"
  timed "$work/ingest-$y.log" "$hotref" ingest "$data"/"$y"-* --store "$store"
  ingest_rows+=("| $y | $year_rows | $WALL s | $(echo "$year_rows / $WALL" | bc) | $(echo "scale=1; $year_bytes / 1048576 / $WALL" | bc) | $RSS MB |")
  ingest_total=$(echo "$ingest_total + $WALL" | bc)
  [ "$RSS" -gt "$ingest_peak" ] && ingest_peak=$RSS
done
store_mb=$(( $(stat -c %s "$store") / 1048576 ))
locations=$(sqlite3 "$store" "SELECT count(*) FROM location" 2>/dev/null || echo "?")
indexed=$(sqlite3 "$store" "SELECT count(*) FROM idx_location_geom" 2>/dev/null || echo "?")
stored=$(sqlite3 "$store" "SELECT sum(n) FROM incident" 2>/dev/null || echo "?")

# ------------------------------------------------------------ hotspots ----
patrol=()
gistar=()
for ((k = 0; k < forces; k++)); do
  timed "$work/patrol-$k.log" "$hotref" hotspots --store "$store" --force "${names[$k]}" \
    --area "$work/areas/$k.geojson" --top 0
  patrol+=("$WALL")
  timed "$work/gistar-$k.log" "$hotref" hotspots --store "$store" --force "${names[$k]}" --method gistar \
    --cell-size 250 --area "$work/areas/$k.geojson" --top 0
  gistar+=("$WALL")
done
patrol_med=$(printf '%s\n' "${patrol[@]}" | median)
gistar_med=$(printf '%s\n' "${gistar[@]}" | median)
patrol_sum=$(printf '%s\n' "${patrol[@]}" | paste -sd+ | bc)
gistar_sum=$(printf '%s\n' "${gistar[@]}" | paste -sd+ | bc)
note "national Gi* (stopped after 900 s: the disclosure audit of a national table can take longer)"
if "$TIME" -f '%e %M' -o "$work/time.out" timeout 900 "$hotref" hotspots --store "$store" --force all --method gistar \
    --cell-size 1000 --top 0 > "$work/gistar-national.log" 2>&1; then
  read -r national_s kb < "$work/time.out"
  national_s="$national_s s"
else
  read -r _ kb < <(tail -1 "$work/time.out")
  national_s="stopped after 900 s (see $work/gistar-national.log)"
fi
national_rss=$(( kb / 1024 ))

# --------------------------------------------------------------- serve ----
ready_line="not run (--no-serve)"; items_line="–"; tiles_line="–"; update_line="–"
if [ "$serve" = 1 ]; then
  token="$("$hotref" token create --store "$store" --role patrol-planner --name national 2>/dev/null)"
  rm -f "$work/port"
  start=$(date +%s.%N)
  "$hotref" serve --store "$store" --force Derbyshire --method gistar --port 0 --port-file "$work/port" --threads 2 \
    --access-log off 2> "$work/serve.err" &
  serve_pid=$!
  trap 'kill $serve_pid 2>/dev/null || true' EXIT
  ready=0
  for _ in $(seq 1 3000); do
    if [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/readyz" >/dev/null; then ready=1; break; fi
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.2
  done
  [ "$ready" = 1 ] || { tail -5 "$work/serve.err" >&2; die "the service did not become ready in 600 s"; }
  ready_s=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
  serve_rss=$(( $(awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status") / 1024 ))
  ready_line="$ready_s s, $serve_rss MB RSS when ready"
  base="http://127.0.0.1:$(cat "$work/port")"
  auth="Authorization: Bearer $token"
  # A tile over the middle of area 0 (Derby) at zoom 12.
  tile="/tiles/hotspots/12/2033/1338.pbf"
  wrk_line() {  # URL -> "req/s, p99"
    wrk -t2 -c64 -d"${duration}s" --latency -H "$auth" "$1" > "$work/wrk.out"
    local rps p99
    rps=$(awk '/Requests\/sec/ {printf "%d", $2}' "$work/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
    echo "$rps req/s, p99 $p99"
  }
  items_line=$(wrk_line "$base/collections/hotspots/items?limit=100")
  tiles_line=$(wrk_line "$base$tile")
  # A referral update while it serves: 720 referrals imported and linked to the served run,
  # then one referral set as a caseworker would; seconds from that commit until /readyz
  # shows a new publication (what the service republishes for a change of referrals alone).
  published() { curl -sf "$base/readyz" | sed -n 's/.*"published_at":"\([^"]*\)".*/\1/p'; }
  served_run=$(curl -sf "$base/readyz" | sed -n 's/.*"run":\([0-9]*\).*/\1/p')
  export HOTREF_REFERRAL_SECRET="national-bench-secret-of-at-least-32-characters"
  /usr/bin/python3 "$root/tools/gen/gen_referrals.py" --count 720 --seed 7 --as-of 2025-12-31 \
    --out "$work/referrals.csv" 2>/dev/null
  "$hotref" referral import --store "$store" "$work/referrals.csv" > "$work/referrals.log" 2>&1
  "$hotref" referral link --store "$store" --run "$served_run" >> "$work/referrals.log" 2>&1
  for _ in $(seq 1 150); do grep -q "referrals updated" "$work/serve.err" && break; sleep 0.2; done
  sleep 1.5  # published_at has whole seconds: the update below must land in a later one
  before=$(published)
  start=$(date +%s.%N)
  "$hotref" referral set --store "$store" IJ-2025-0001 victim_satisfied=no >> "$work/referrals.log" 2>&1
  for _ in $(seq 1 600); do [ "$(published)" != "$before" ] && break; sleep 0.02; done
  update_s=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
  update_build=$(grep "referrals updated" "$work/serve.err" | tail -1 | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')
  update_line="$update_s s from the commit to the new publication (its build: ${update_build:-?} s)"
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
fi

# -------------------------------------------------------------- report ----
rows_per_s=$(echo "$rows / $ingest_total" | bc)
[ -z "$csv" ] || echo "$rows,$locations,$ingest_total,$rows_per_s,$ingest_peak" >> "$csv"
cpu="$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
{
  echo "## National: \`tools/bench/national.sh --rows $rows --points $points --forces $forces\` — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME")."
  echo "Input: $forces forces × $months, $rows rows in $files files ($(( bytes / 1048576 )) MB),"
  echo "$points map points generated ($growth of them first appearing during the period);"
  echo "$locations distinct locations stored, $indexed in the R*Tree, $stored incidents stored."
  echo
  echo "| ingest step | rows | wall | rows/s | MB/s | peak RSS |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ingest_rows[@]}"
  echo "| **all** | $rows | **$ingest_total s** | **$rows_per_s** | $(echo "scale=1; $bytes / 1048576 / $ingest_total" | bc) | $ingest_peak MB |"
  echo
  echo "Store: $store_mb MB."
  echo
  echo "| step | result |"
  echo "|---|---|"
  echo "| patrol run per force (\`hotspots --force F --area A --top 0\`) | median $patrol_med s, $patrol_sum s for $forces forces |"
  echo "| Gi* per force (\`--method gistar --cell-size 250\`) | median $gistar_med s, $gistar_sum s for $forces forces |"
  echo "| national Gi* (\`--force all --method gistar --cell-size 1000\`) | $national_s, $national_rss MB peak RSS |"
  echo "| \`serve --force Derbyshire --method gistar\` until /readyz | $ready_line |"
  echo "| wrk -t2 -c64, items page of 100 | $items_line |"
  echo "| wrk -t2 -c64, a zoom-12 tile | $tiles_line |"
  echo "| a referral update (\`referral set\`) while serving | $update_line |"
  echo
} | tee -a "${out:-/dev/null}"
