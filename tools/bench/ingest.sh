#!/usr/bin/env bash
# Ingest benchmark: `hotref ingest` (all rows -> SpatiaLite store) against the
# peer GDAL job `ogr2ogr` (ASB rows only -> GeoPackage, EPSG:4326 -> EPSG:27700),
# same input, same run, alternating. See tools/bench/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/bench/common.sh
. "$root/tools/bench/common.sh"

ASB_SHARE=0.4
SEED=42

usage() {
  cat <<EOF
Usage: tools/bench/ingest.sh [OPTIONS]

Compare, on the same generated data.police.uk street-level CSV:
  hotref   'hotref ingest' into a fresh store (every row, all crime types)
  ogr2ogr  CSV -> GeoPackage, only 'Anti-social behaviour' rows,
           EPSG:4326 -> EPSG:27700, with its default spatial index

The input comes from 'hotref-gen --rows N --asb-share $ASB_SHARE --seed $SEED' and is
cached in the work directory (regenerated only if missing or its size changed).
One untimed warm-up run of each tool, then K timed runs; each run does
hotref, then ogr2ogr, each into a freshly deleted output.
Wall time and peak RSS come from GNU time (/usr/bin/time -f '%e %M').

Options:
  --rows N       input rows, header excluded (default 2500000; round(N*$ASB_SHARE) are ASB)
  --runs K       timed runs per tool (default 5)
  --points N     distinct map points (hotref-gen --points; default its own,
                 clamp(rows/8, 200, 20000)); 1000000 gives about 400k locations
                 in 2.5 M rows, the national spread of issue 15
  --out FILE     also append a Markdown result block (date, machine, versions,
                 command lines, table) to FILE
  --hotref PATH  hotref binary (default $root/build/hotref)
  --gen PATH     hotref-gen binary (default $root/build/hotref-gen)
  --workdir DIR  input cache and outputs (default \${TMPDIR:-/tmp}/hotref-bench)
  -h, --help     show this help

The Markdown table goes to stdout, progress to stderr. Exit status: 0 ok;
1 a tool failed or an output has the wrong row count; 2 bad arguments or
missing tools.
EOF
}

die()  { echo "ingest.sh: $*" >&2; exit 1; }
bad()  { echo "ingest.sh: $*" >&2; echo "Try 'tools/bench/ingest.sh -h'." >&2; exit 2; }
note() { echo "[bench] $*" >&2; }

rows=2500000
runs=5
points=""
out=""
hotref="$root/build/hotref"
gen="$root/build/hotref-gen"
work="${TMPDIR:-/tmp}/hotref-bench"

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rows|--runs|--points|--out|--hotref|--gen|--workdir)
      [ $# -ge 2 ] || bad "$1 needs a value"
      case "$1" in
        --rows) rows="$2" ;;
        --runs) runs="$2" ;;
        --points) points="$2" ;;
        --out) out="$2" ;;
        --hotref) hotref="$2" ;;
        --gen) gen="$2" ;;
        --workdir) work="$2" ;;
      esac
      shift 2 ;;
    --rows=*) rows="${1#*=}"; shift ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --points=*) points="${1#*=}"; shift ;;
    --out=*) out="${1#*=}"; shift ;;
    --hotref=*) hotref="${1#*=}"; shift ;;
    --gen=*) gen="${1#*=}"; shift ;;
    --workdir=*) work="${1#*=}"; shift ;;
    *) bad "unknown argument '$1'" ;;
  esac
done

[[ "$rows" =~ ^[1-9][0-9]*$ ]] || bad "--rows must be a positive integer, got '$rows'"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || bad "--runs must be a positive integer, got '$runs'"
[ -z "$points" ] || [[ "$points" =~ ^[1-9][0-9]*$ ]] || bad "--points must be a positive integer, got '$points'"
[ -x "$hotref" ] || bad "hotref binary not found or not executable: $hotref"
[ -x "$gen" ] || bad "hotref-gen binary not found or not executable: $gen"
for t in ogr2ogr ogrinfo; do
  command -v "$t" >/dev/null || bad "$t not found (install gdal-bin)"
done
TIME=/usr/bin/time
[ -x "$TIME" ] && "$TIME" -f '%e %M' true 2>/dev/null \
  || bad "GNU time not found at $TIME (install the 'time' package)"

# Absolute paths, so the printed command lines are exact wherever they are re-run.
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
hotref="$(abspath "$hotref")"
gen="$(abspath "$gen")"
work="$(abspath "$work")"
[ -z "$out" ] || out="$(abspath "$out")"
mkdir -p "$work"

expected_asb=$(( (rows * 4 + 5) / 10 ))     # round(rows * 0.4), as hotref-gen writes
export HOTREF_NO_PROGRESS=1

# ---------------------------------------------------------------- input ----
input="$work/policeuk-${rows}-asb${ASB_SHARE}-seed${SEED}${points:+-points$points}.csv"
sizefile="$input.size"                      # size recorded when it was generated
size_now() { stat -c %s "$1"; }
if [ -f "$input" ] && [ -f "$sizefile" ] && [ "$(size_now "$input")" = "$(cat "$sizefile")" ]; then
  note "input: reusing $input"
else
  note "input: generating $input"
  rm -f "$input" "$sizefile"
  "$gen" --rows "$rows" --asb-share "$ASB_SHARE" --seed "$SEED" ${points:+--points "$points"} --out "$input.tmp" >&2 \
    || die "hotref-gen failed"
  mv "$input.tmp" "$input"
  size_now "$input" > "$sizefile"
fi
input_bytes=$(size_now "$input")

# ------------------------------------------------------------- commands ----
store="$work/hotref.sqlite"
gpkg="$work/ogr2ogr.gpkg"
hotref_cmd=("$hotref" ingest --store "$store" "$input")
ogr_cmd=(ogr2ogr -f GPKG "$gpkg" "$input"
  -oo X_POSSIBLE_NAMES=Longitude -oo Y_POSSIBLE_NAMES=Latitude -oo KEEP_GEOM_COLUMNS=NO
  -s_srs EPSG:4326 -t_srs EPSG:27700
  -where "\"Crime type\" = 'Anti-social behaviour'"
  -nln incidents -gt 65536)

clean() { rm -f "$1" "$1-wal" "$1-shm" "$1-journal"; }

# run_tool NAME LABEL CMD... : fresh output, timed run; sets r_sec, r_kb. Logs to $work.
run_tool() {
  local name=$1 label=$2; shift 2
  local log="$work/$name.$label.log" tfile="$work/$name.$label.time"
  case "$name" in hotref) clean "$store" ;; ogr2ogr) clean "$gpkg" ;; esac
  sync   # flush the previous run's writes so they do not land in this run
  if ! "$TIME" -o "$tfile" -f '%e %M' "$@" >"$log" 2>&1; then
    echo "ingest.sh: $name failed ($label run); last lines of $log:" >&2
    tail -n 20 "$log" >&2
    [ ! -s "$tfile" ] || cat "$tfile" >&2
    exit 1
  fi
  read -r r_sec r_kb < <(tail -n 1 "$tfile")
  [[ "$r_sec" =~ ^[0-9.]+$ && "$r_kb" =~ ^[0-9]+$ ]] || die "cannot parse GNU time output in $tfile"
}

# hotref_counts LOG : sets h_read h_stored h_rejected from the summary line
hotref_counts() {
  local line
  line=$(grep -Eo '[0-9,]+ rows read, [0-9,]+ stored, [0-9,]+ rejected' "$1" | tail -n 1) \
    || die "no 'N rows read, N stored, N rejected' summary in $1"
  line=${line//,/}
  read -r h_read _ _ h_stored _ h_rejected _ <<<"$line"
}

gpkg_features() {
  ogrinfo -so -ro "$gpkg" incidents 2>&1 | sed -n 's/^Feature Count: \([0-9]*\)$/\1/p'
}

# ----------------------------------------------------------------- runs ----
note "input: $rows rows ($expected_asb ASB), $input_bytes bytes; $runs timed run(s)"
note "warm-up (untimed): hotref"
run_tool hotref warmup "${hotref_cmd[@]}"
note "warm-up (untimed): ogr2ogr"
run_tool ogr2ogr warmup "${ogr_cmd[@]}"

h_secs=(); h_kbs=(); o_secs=(); o_kbs=()
for ((i = 1; i <= runs; i++)); do
  run_tool hotref "run$i" "${hotref_cmd[@]}"
  h_secs+=("$r_sec"); h_kbs+=("$r_kb")
  hotref_counts "$work/hotref.run$i.log"
  note "run $i/$runs: hotref  ${r_sec} s, ${r_kb} KB  ($h_read read, $h_stored stored, $h_rejected rejected)"
  run_tool ogr2ogr "run$i" "${ogr_cmd[@]}"
  o_secs+=("$r_sec"); o_kbs+=("$r_kb")
  note "run $i/$runs: ogr2ogr ${r_sec} s, ${r_kb} KB"
done

# ---------------------------------------------------------- verification ----
[ "$h_read" = "$rows" ] && [ "$h_stored" = "$rows" ] && [ "$h_rejected" = 0 ] \
  || die "hotref: expected $rows rows read and stored, 0 rejected; got $h_read read, $h_stored stored, $h_rejected rejected"
o_features=$(gpkg_features)
[ "$o_features" = "$expected_asb" ] \
  || die "ogr2ogr: expected $expected_asb features in $gpkg, got '${o_features}'"
# The GeoPackage driver builds an R-tree by default; make sure it is there and complete.
o_rtree=$(ogrinfo -ro -q "$gpkg" -sql "SELECT count(*) AS n FROM rtree_incidents_geom" 2>&1 \
  | sed -n 's/^ *n (Integer) = \([0-9]*\)$/\1/p')
[ "$o_rtree" = "$expected_asb" ] \
  || die "ogr2ogr: spatial index rtree_incidents_geom missing or incomplete ('${o_rtree}' entries)"
store_bytes=$(( $(stat -c %s "$store") + $( [ -f "$store-wal" ] && stat -c %s "$store-wal" || echo 0) ))
gpkg_bytes=$(( $(stat -c %s "$gpkg") + $( [ -f "$gpkg-wal" ] && stat -c %s "$gpkg-wal" || echo 0) ))
note "verified: hotref stored $h_stored rows; gpkg has $o_features features and a $o_rtree-entry R-tree"

# ---------------------------------------------------------------- stats ----
# stats VALUES... -> "median min max" (median of an even count: mean of the middle two)
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
maxmb() { printf '%s\n' "$@" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }'; }
joinruns() { local IFS=','; printf '%s' "$*" | sed 's/,/, /g'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

read -r h_med h_min h_max < <(stats "${h_secs[@]}")
read -r o_med o_min o_max < <(stats "${o_secs[@]}")
h_rss=$(maxmb "${h_kbs[@]}")
o_rss=$(maxmb "${o_kbs[@]}")
ratio=$(awk -v o="$o_med" -v h="$h_med" 'BEGIN { if (h > 0) printf "%.2f", o / h; else print "n/a" }')
h_rate=$(awk -v n="$rows" -v s="$h_med" 'BEGIN { if (s > 0) printf "%.0f", n / s / 1000; else print "n/a" }')
o_rate=$(awk -v n="$rows" -v s="$o_med" 'BEGIN { if (s > 0) printf "%.0f", n / s / 1000; else print "n/a" }')

table=$(cat <<EOF
| tool | rows written | runs (s) | median (s) | min (s) | max (s) | input k rows/s (median) | peak RSS (MB) | output (MB) |
|---|---:|---|---:|---:|---:|---:|---:|---:|
| hotref ingest | $h_stored (all types) | $(joinruns "${h_secs[@]}") | $h_med | $h_min | $h_max | $h_rate | $h_rss | $(mb "$store_bytes") |
| ogr2ogr → GPKG | $o_features (ASB only) | $(joinruns "${o_secs[@]}") | $o_med | $o_min | $o_max | $o_rate | $o_rss | $(mb "$gpkg_bytes") |

median(ogr2ogr) / median(hotref) = **$ratio** (above 1: hotref is faster)
EOF
)

echo
locations=$(sqlite3 "$store" "SELECT count(*) FROM location" 2>/dev/null || echo "?")
echo "Input: $rows rows ($expected_asb ASB), $(mb "$input_bytes") MB, $locations distinct locations${points:+ (hotref-gen --points $points)}; $runs timed run(s) per tool after one warm-up each."
echo
echo "$table"

# ---------------------------------------------------------------- --out ----
if [ -n "$out" ]; then
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  mem=$(free -g | awk '/^Mem:/ { print $2 }')
  fs=$(df -PT "$work" | awk 'NR == 2 { print $2 }')
  {
    echo
    echo "## hotref ingest vs ogr2ogr — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "- machine: $(nproc) CPU(s), ${cpu:-unknown CPU}, ${mem} GiB RAM (free -g); kernel $(uname -r)"
    echo "- GDAL: $(ogr2ogr --version)"
    echo "- hotref: $("$hotref" --version 2>&1 | head -n 1)"
    echo "- input: $rows rows ($expected_asb ASB, seed $SEED), $input_bytes bytes, on $fs ($work)"
    echo "- method: one untimed warm-up of each tool, then $runs runs alternating hotref, ogr2ogr;"
    echo "  each into a freshly deleted output; wall time and peak RSS from GNU time (%e %M)"
    echo "- hotref (HOTREF_NO_PROGRESS=1): \`$(q "${hotref_cmd[@]}")\`"
    echo "- ogr2ogr: \`$(q "${ogr_cmd[@]}")\`"
    echo "- checks: hotref summary $h_read read, $h_stored stored, $h_rejected rejected;"
    echo "  gpkg $o_features features, R-tree $o_rtree entries"
    echo
    echo "$table"
  } >> "$out"
  note "appended result block to $out"
fi
