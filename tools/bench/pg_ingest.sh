#!/usr/bin/env bash
# PostGIS ingest benchmark: `hotref ingest --store postgresql://…` against GDAL's
# `ogr2ogr -f PostgreSQL` into the same private PostgreSQL 15 + PostGIS server, on the same
# data.police.uk street CSVs (the bundled 12 Derbyshire months, or DIR), same run, alternating.
#   hotref   every row, all crime types, validated, partitioned, locations deduplicated,
#            BNG coordinates computed, COPY, one transaction per file
#   ogr2ogr  every row, EPSG:4326 -> EPSG:27700, into one table with a GiST index (PG_USE_COPY)
# Each timed run goes into a fresh database. Prints each run and the medians.
#   tools/bench/pg_ingest.sh [--runs K] [--dir DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/bench/common.sh
. "$root/tools/bench/common.sh"
runs=3
src="$root/geodata/police-uk/derbyshire-2025"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --dir) src="$2"; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "pg_ingest.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
hotref="$root/build/src/hotref"
[ -x "$hotref" ] || hotref="$root/build/hotref"
[ -x "$hotref" ] || { echo "pg_ingest.sh: build first (tools/build.sh)" >&2; exit 1; }
work="$(mktemp -d /tmp/hotref-pgbench-XXXXXX)"
chmod 755 "$work" # the server runs as the postgres user when this runs as root
pgdir="$work/pg"
export HOTREF_PG_PORT=54349
trap '"$root/tools/pg.sh" stop "$pgdir"; rm -rf "$work"' EXIT
url="$("$root/tools/pg.sh" start "$pgdir")"
sock="$pgdir/socket"
db_url() { echo "${url/\/\/\/hotref?//\/\/$1?}"; }
# Plain CSV for both (ogr2ogr's CSV driver reads .csv; hotref reads either).
mkdir -p "$work/csv"
for f in "$src"/*.csv*; do
  case "$f" in *.gz) gzip -dc "$f" >"$work/csv/$(basename "${f%.gz}")" ;; *) cp "$f" "$work/csv/" ;; esac
done
files=("$work/csv"/*.csv)
rows=$(cat "${files[@]}" | wc -l)
echo "input: ${#files[@]} files, $((rows - ${#files[@]})) rows ($src)"
fresh() { psql "$url" -q -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; psql "$(db_url "$1")" -q -c "CREATE EXTENSION postgis"; }
run_hotref() {
  fresh b_hotref
  /usr/bin/time -f '%e' -o "$work/t" env HOTREF_NO_PROGRESS=1 "$hotref" ingest -q --store "$(db_url b_hotref)" "${files[@]}" >/dev/null
  cat "$work/t"
}
run_ogr() {
  fresh b_ogr
  local first=1 start end
  start=$(date +%s.%N)
  for f in "${files[@]}"; do
    if [ $first -eq 1 ]; then mode=(-nln incident -lco GEOMETRY_NAME=geom); first=0; else mode=(-nln incident -append); fi
    PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:host=$sock port=$HOTREF_PG_PORT user=hotref dbname=b_ogr" "$f" \
      -oo X_POSSIBLE_NAMES=Longitude -oo Y_POSSIBLE_NAMES=Latitude -s_srs EPSG:4326 -t_srs EPSG:27700 \
      -nlt POINT "${mode[@]}" >/dev/null 2>&1
  done
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f\n", b - a}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
run_hotref >/dev/null; run_ogr >/dev/null # warm-up
: >"$work/h"; : >"$work/o"
for i in $(seq "$runs"); do
  h=$(run_hotref); o=$(run_ogr)
  echo "run $i: hotref $h s, ogr2ogr $o s"
  echo "$h" >>"$work/h"; echo "$o" >>"$work/o"
done
hs=$(psql "$(db_url b_hotref)" -At -c "SELECT count(*) FROM incident")
os=$(psql "$(db_url b_ogr)" -At -c "SELECT count(*) FROM incident")
mh=$(median <"$work/h"); mo=$(median <"$work/o")
echo "stored: hotref $hs incident rows (duplicates counted in n), ogr2ogr $os rows"
echo "median: hotref $mh s, ogr2ogr $mo s, hotref is $(awk -v a="$mo" -v b="$mh" 'BEGIN {printf "%.2f", a / b}')x ogr2ogr's speed"
echo "command: $(q tools/bench/pg_ingest.sh --runs "$runs")"
