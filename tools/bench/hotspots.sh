#!/usr/bin/env bash
# Hotspot benchmark: `hotref hotspots` (Gi*, KDE, DBSCAN) against the peer tools crime
# analysts use (R spdep, R spatstat, R dbscan, scikit-learn, PostGIS), on the same
# ASB points, in the same run, alternating. See tools/bench/HOTSPOTS.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tools/bench/common.sh
. "$root/tools/bench/common.sh"
here="$root/tools/bench"

SEED=7
ASB_SHARE=1.0
# The jobs (one place, so the table, the commands and HOTSPOTS.md agree).
GI_CELL=200 GI_BAND=400
KDE_CELL=50 KDE_H=400
DB_EPS=100 DB_MINPTS=15 SK_JOBS=2
PG_DB=hotref_bench

usage() {
  cat <<EOF
Usage: tools/bench/hotspots.sh [OPTIONS]

Compare, on the same generated ASB incidents ('hotref-gen --rows N --asb-share $ASB_SHARE
--seed $SEED', ingested once into a hotref store, not timed):

  gistar  hotref --method gistar --cell-size $GI_CELL --band $GI_BAND
          vs R spdep: counts per ${GI_CELL} m cell of the bounding-box grid, dnearneigh(0, $GI_BAND),
          include.self, nb2listw(style="B"), localG, p.adjust(2*pnorm(-|z|), "BH")
  kde     hotref --method kde --cell-size $KDE_CELL --bandwidth $KDE_H (quartic)
          vs R spatstat density.ppp(kernel="quartic", sigma=$KDE_H/sqrt(8), eps=$KDE_CELL),
          edge=FALSE (hotref's job) and edge=TRUE (spatstat's default)
  dbscan  hotref --method dbscan --eps $DB_EPS --min-pts $DB_MINPTS
          vs R dbscan::dbscan, scikit-learn DBSCAN(n_jobs=$SK_JOBS) (one row per incident,
          and weighted locations), PostGIS ST_ClusterDBSCAN(geom, $DB_EPS, $DB_MINPTS) OVER ()

The peers read a CSV of British National Grid x,y with one row per incident,
exported once from the store (not timed). One untimed warm-up of every tool, then
K timed runs; each run does every tool in turn. For hotref the algorithm seconds
are its own ("stored as run N ... (X s)"); for R and Python the algorithm calls
are timed inside the process (after reading the CSV); for PostGIS the clustering
query (psql \\timing). The whole command's wall time and peak RSS come from GNU
time (/usr/bin/time -f '%e %M'); for PostGIS the RSS is the server backend's
peak (VmHWM). A peer whose packages are missing is skipped (and said so); a peer
that runs over --timeout is skipped for the remaining runs.

Options:
  --rows N        ASB incidents (default 1000000)
  --points N      distinct map points (hotref-gen --points; default its own, 20,000):
                  400000 gives issue 15's case of hundreds of thousands of locations
  --runs K        timed runs per tool (default 3)
  --jobs LIST     comma-separated subset of gistar,kde,dbscan (default all)
  --skip LIST     peers to leave out: spdep, spatstat, spatstat-edge, rdbscan,
                  sklearn, sklearn-weighted, postgis
  --timeout S     per-invocation limit in seconds for peers (default 300)
  --out FILE      also append a Markdown result block (date, machine, versions,
                  command lines, table) to FILE
  --hotref PATH   hotref binary (default $root/build/hotref)
  --gen PATH      hotref-gen binary (default $root/build/hotref-gen)
  --python PATH   Python with scikit-learn (default /usr/bin/python3)
  --pg-cluster V/NAME  PostgreSQL cluster for PostGIS (default 15/main); started
                  if down (and stopped again at the end); needs root
  --workdir DIR   input cache and outputs (default \${TMPDIR:-/tmp}/hotref-bench)
  -h, --help      show this help

The Markdown table goes to stdout, progress to stderr. Exit status: 0 ok;
1 a tool failed or the results of hotref and a peer disagree beyond the
tolerances (see HOTSPOTS.md); 2 bad arguments or missing tools (hotref,
GNU time, sqlite3).
EOF
}

die()  { echo "hotspots.sh: $*" >&2; exit 1; }
bad()  { echo "hotspots.sh: $*" >&2; echo "Try 'tools/bench/hotspots.sh -h'." >&2; exit 2; }
note() { echo "[bench] $*" >&2; }

rows=1000000
gen_points=""
runs=3
jobs="gistar,kde,dbscan"
skip=""
tmo=300
out=""
hotref="$root/build/hotref"
gen="$root/build/hotref-gen"
python=/usr/bin/python3
pgcluster="15/main"
work="${TMPDIR:-/tmp}/hotref-bench"

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rows|--points|--runs|--jobs|--skip|--timeout|--out|--hotref|--gen|--python|--pg-cluster|--workdir)
      [ $# -ge 2 ] || bad "$1 needs a value"
      opt=$1 val=$2; shift 2 ;;
    --*=*) opt=${1%%=*} val=${1#*=}; shift ;;
    *) bad "unknown argument '$1'" ;;
  esac
  case "$opt" in
    --rows) rows=$val ;;
    --points) gen_points=$val ;;
    --runs) runs=$val ;;
    --jobs) jobs=$val ;;
    --skip) skip=$val ;;
    --timeout) tmo=$val ;;
    --out) out=$val ;;
    --hotref) hotref=$val ;;
    --gen) gen=$val ;;
    --python) python=$val ;;
    --pg-cluster) pgcluster=$val ;;
    --workdir) work=$val ;;
    *) bad "unknown option '$opt'" ;;
  esac
done

[[ "$rows" =~ ^[1-9][0-9]*$ ]] || bad "--rows must be a positive integer, got '$rows'"
[ -z "$gen_points" ] || [[ "$gen_points" =~ ^[1-9][0-9]*$ ]] || bad "--points must be a positive integer, got '$gen_points'"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || bad "--runs must be a positive integer, got '$runs'"
[[ "$tmo" =~ ^[1-9][0-9]*$ ]] || bad "--timeout must be a positive integer (seconds), got '$tmo'"
[[ "$pgcluster" =~ ^[0-9]+/[A-Za-z0-9_.-]+$ ]] || bad "--pg-cluster must look like 15/main, got '$pgcluster'"
for j in ${jobs//,/ }; do
  case "$j" in gistar|kde|dbscan) ;; *) bad "unknown job '$j' in --jobs (gistar, kde, dbscan)" ;; esac
done
for p in ${skip//,/ }; do
  case "$p" in spdep|spatstat|spatstat-edge|rdbscan|sklearn|sklearn-weighted|postgis) ;;
    *) bad "unknown peer '$p' in --skip" ;; esac
done
[ -x "$hotref" ] || bad "hotref binary not found or not executable: $hotref"
[ -x "$gen" ] || bad "hotref-gen binary not found or not executable: $gen"
command -v sqlite3 >/dev/null || bad "sqlite3 not found (install sqlite3)"
command -v timeout >/dev/null || bad "timeout (coreutils) not found"
TIME=/usr/bin/time
[ -x "$TIME" ] && "$TIME" -f '%e %M' true 2>/dev/null \
  || bad "GNU time not found at $TIME (install the 'time' package)"

abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
hotref="$(abspath "$hotref")"
gen="$(abspath "$gen")"
work="$(abspath "$work")"
[ -z "$out" ] || out="$(abspath "$out")"
mkdir -p "$work"
export HOTREF_NO_PROGRESS=1

# Run a copy of the hotref binary, so that a rebuild during the benchmark neither
# changes the binary between runs nor catches one half-written.
hotref_src=$hotref
hotref="$work/hotspots-hotref-bin"
cp "$hotref_src" "$hotref.tmp" && mv "$hotref.tmp" "$hotref" || die "cannot copy $hotref_src to $hotref"
"$hotref" --version >/dev/null 2>&1 || die "$hotref_src (copied to $hotref) does not run"
hotref_sum=$(sha256sum "$hotref" | cut -c1-16)

has_job()  { [[ ",$jobs," == *",$1,"* ]]; }
skipped()  { [[ ",$skip," == *",$1,"* ]]; }

# ---------------------------------------------------------------- tools ----
# Each tool: id, job, label, what is timed, what it is given. Order = run order.
# hotref-M runs on a fresh copy of the ingested store (the first run of its series, as
# the peers' jobs); hotref-M-rerun on one store that keeps its runs, so every timed run
# also matches its hotspots against the previous run's (identity, section 6 of
# docs/hotspots.md), as a recurring analysis does.
ALL_TOOLS=(hotref-gistar hotref-gistar-rerun spdep
           hotref-kde hotref-kde-rerun spatstat spatstat-edge
           hotref-dbscan hotref-dbscan-rerun rdbscan sklearn sklearn-weighted postgis)
declare -A JOB LABEL TIMED INPUT STATUS ALG WALL RSS RESULT
set_tool() { JOB[$1]=$2; LABEL[$1]=$3; TIMED[$1]=$4; INPUT[$1]=$5; STATUS[$1]=ok; ALG[$1]=""; WALL[$1]=""; RSS[$1]=""; RESULT[$1]=""; }
hot_timed="its own seconds (store read → hotspots with polygons and names; not the store write)"
set_tool hotref-gistar gistar "hotref gistar (first run)" "$hot_timed" "weighted locations"
set_tool hotref-gistar-rerun gistar "hotref gistar (rerun)" "$hot_timed, + identity vs previous run" "weighted locations"
set_tool spdep gistar "R spdep localG" "grid counts, dnearneigh, include.self, nb2listw, localG, p.adjust (system.time)" "1 row per incident"
set_tool hotref-kde kde "hotref kde (first run)" "$hot_timed" "weighted locations"
set_tool hotref-kde-rerun kde "hotref kde (rerun)" "$hot_timed, + identity vs previous run" "weighted locations"
set_tool spatstat kde "R spatstat density.ppp, edge=FALSE" "ppp + density.ppp (system.time)" "1 row per incident"
set_tool spatstat-edge kde "R spatstat density.ppp, edge=TRUE" "ppp + density.ppp (system.time)" "1 row per incident"
set_tool hotref-dbscan dbscan "hotref dbscan (first run)" "$hot_timed" "weighted locations"
set_tool hotref-dbscan-rerun dbscan "hotref dbscan (rerun)" "$hot_timed, + identity vs previous run" "weighted locations"
set_tool rdbscan dbscan "R dbscan::dbscan" "dbscan::dbscan (system.time)" "1 row per incident"
set_tool sklearn dbscan "scikit-learn DBSCAN (n_jobs=$SK_JOBS)" "DBSCAN.fit (perf_counter)" "1 row per incident"
set_tool sklearn-weighted dbscan "scikit-learn DBSCAN, sample_weight" "DBSCAN.fit (perf_counter)" "weighted locations (x,y,n)"
set_tool postgis dbscan "PostGIS ST_ClusterDBSCAN" "the clustering SELECT (psql \\timing)" "1 row per incident (table of points)"

# Which tools take part: job selected, not --skip'ped, software present.
TOOLS=()
for t in "${ALL_TOOLS[@]}"; do
  has_job "${JOB[$t]}" && TOOLS+=("$t")
done
r_has() { command -v Rscript >/dev/null && Rscript -e "quit(status = !requireNamespace('$1', quietly = TRUE))" >/dev/null 2>&1; }
pg_ver=${pgcluster%/*} pg_name=${pgcluster#*/}
pg_started=0 pg_port="" pg_created=0
for t in "${TOOLS[@]}"; do
  case "$t" in hotref-*) continue ;; esac
  if skipped "$t"; then STATUS[$t]="skipped (--skip)"; continue; fi
  case "$t" in
    spdep) r_has spdep || STATUS[$t]="skipped: R package spdep not installed (apt-get install r-cran-spdep)" ;;
    spatstat|spatstat-edge)
      r_has spatstat.explore || STATUS[$t]="skipped: R package spatstat.explore not installed (apt-get install r-cran-spatstat)" ;;
    rdbscan) r_has dbscan || STATUS[$t]="skipped: R package dbscan not installed (apt-get install r-cran-dbscan)" ;;
    sklearn|sklearn-weighted)
      "$python" -c 'import sklearn' >/dev/null 2>&1 \
        || STATUS[$t]="skipped: $python cannot import sklearn (apt-get install python3-sklearn)" ;;
    postgis)
      if [ "$(id -u)" != 0 ]; then STATUS[$t]="skipped: needs root (runs psql as the postgres user, may start the cluster)"
      elif ! command -v pg_lsclusters >/dev/null || ! pg_lsclusters -h "$pg_ver" "$pg_name" >/dev/null 2>&1 \
           || [ -z "$(pg_lsclusters -h "$pg_ver" "$pg_name")" ]; then
        STATUS[$t]="skipped: PostgreSQL cluster $pgcluster not found (pg_lsclusters)"
      elif [ ! -f "/usr/share/postgresql/$pg_ver/extension/postgis.control" ]; then
        STATUS[$t]="skipped: PostGIS not installed for PostgreSQL $pg_ver (apt-get install postgresql-$pg_ver-postgis-3)"
      fi ;;
  esac
  [ "${STATUS[$t]}" = ok ] || note "${LABEL[$t]}: ${STATUS[$t]}"
done
active() { [ "${STATUS[$1]}" = ok ]; }

# ---------------------------------------------------------------- input ----
input="$work/asb-${rows}-seed${SEED}${gen_points:+-points$gen_points}.csv"
sizefile="$input.size"
size_now() { stat -c %s "$1"; }
if [ -f "$input" ] && [ -f "$sizefile" ] && [ "$(size_now "$input")" = "$(cat "$sizefile")" ]; then
  note "input: reusing $input"
else
  note "input: generating $input"
  rm -f "$input" "$sizefile"
  "$gen" --rows "$rows" --asb-share "$ASB_SHARE" --seed "$SEED" ${gen_points:+--points "$gen_points"} --out "$input.tmp" >&2 \
    || die "hotref-gen failed"
  mv "$input.tmp" "$input"
  size_now "$input" > "$sizefile"
fi

store="$work/hotspots.sqlite"
rm -f "$store" "$store-wal" "$store-shm" "$store-journal"
note "ingest (untimed): $store"
"$hotref" ingest --store "$store" "$input" > "$work/hotspots-ingest.log" 2>&1 \
  || { tail -n 20 "$work/hotspots-ingest.log" >&2; die "hotref ingest failed"; }

# Export the ASB points for the peers: per location (x,y,n) and one row per incident; the
# points hotref works on, that is those in its study area (the districts holding the
# incidents): an untimed DBSCAN run on a copy of the store says which (its run_location holds
# every location of its study area). With many
# generated points some fall outside every such district, and hotref leaves them out.
weighted="$work/hotspots-points-weighted.csv"
points="$work/hotspots-points.csv"
probe="$work/hotspots-probe.sqlite"
rm -f "$probe" "$probe-wal" "$probe-shm"
sqlite3 "$store" "VACUUM INTO '$probe'" || die "copying $store failed"
"$hotref" hotspots --store "$probe" --method dbscan --eps "$DB_EPS" --min-pts "$DB_MINPTS" > "$work/hotspots-probe.log" 2>&1 \
  || { tail -n 20 "$work/hotspots-probe.log" >&2; die "the untimed hotref run for the study area failed"; }
sqlite3 -csv "$probe" "SELECT l.easting, l.northing, r.incidents FROM run_location r
  JOIN location l ON l.id = r.location_id WHERE r.run_id = (SELECT max(id) FROM run)
  ORDER BY l.id" > "$weighted.body" || die "exporting points from $probe failed"
in_area=$(sqlite3 "$probe" "SELECT CAST(total(incidents) AS INTEGER) FROM run_location WHERE run_id = (SELECT max(id) FROM run)")
rm -f "$probe" "$probe-wal" "$probe-shm"
{ echo "x,y,n"; cat "$weighted.body"; } > "$weighted"
awk -F, 'BEGIN { print "x,y" } { for (k = 0; k < $3; k++) print $1 "," $2 }' "$weighted.body" > "$points"
rm -f "$weighted.body"
n_locations=$(( $(wc -l < "$weighted") - 1 ))
n_points=$(( $(wc -l < "$points") - 1 ))
[ "$n_points" -gt 0 ] && [ "$n_points" = "$in_area" ] || die "exported $n_points incidents from the store, expected $in_area"
note "points: $n_points incidents at $n_locations locations in the study area, of $rows generated ($points, $weighted)"

# The just-ingested store, kept aside: each first-run invocation gets a fresh copy.
pristine="$work/hotspots-pristine.sqlite"
fresh="$work/hotspots-fresh.sqlite"
rm -f "$pristine" "$pristine-wal"
cp "$store" "$pristine"
[ ! -f "$store-wal" ] || cp "$store-wal" "$pristine-wal"
store_of() { case "$1" in *-rerun) printf '%s' "$store" ;; *) printf '%s' "$fresh" ;; esac; }

# ------------------------------------------------------------- PostGIS ----
psql_pg() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" "$@"; }
pg_cleanup() {
  if [ "$pg_created" = 1 ]; then psql_pg -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  if [ "$pg_started" = 1 ]; then note "stopping PostgreSQL $pgcluster"; pg_ctlcluster "$pg_ver" "$pg_name" stop >&2 || true; fi
}
trap pg_cleanup EXIT
pg_sql="$work/hotspots-postgis.sql"
if has_job dbscan && active postgis; then
  if ! pg_lsclusters -h "$pg_ver" "$pg_name" | awk '{ exit $4 == "online" ? 0 : 1 }'; then
    note "starting PostgreSQL $pgcluster"
    pg_ctlcluster "$pg_ver" "$pg_name" start >&2 || die "pg_ctlcluster $pg_ver $pg_name start failed"
    pg_started=1
  fi
  pg_port=$(pg_lsclusters -h "$pg_ver" "$pg_name" | awk '{ print $3 }')
  note "PostGIS: loading $n_points points into database $PG_DB (untimed)"
  psql_pg -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >&2
  pg_created=1
  # The CSV is opened by this (root) shell and fed on stdin, so the postgres user
  # need not be able to read the work directory.
  psql_pg -d "$PG_DB" -c "CREATE EXTENSION postgis" -c "CREATE TABLE raw (x float8, y float8)" \
    -c "\\copy raw FROM pstdin WITH (FORMAT csv, HEADER true)" \
    -c "CREATE TABLE pts AS SELECT ST_SetSRID(ST_MakePoint(x, y), 27700)::geometry(Point, 27700) AS geom FROM raw" \
    -c "DROP TABLE raw" -c "VACUUM ANALYZE pts" < "$points" >&2 || die "loading the points into PostGIS failed"
  cat > "$pg_sql" <<EOF
SET work_mem = '256MB';
SET statement_timeout = '${tmo}s';
SELECT pg_backend_pid() AS pid \\gset
\\timing on
SELECT count(DISTINCT cid) AS clusters, count(*) FILTER (WHERE cid IS NULL) AS noise
  FROM (SELECT ST_ClusterDBSCAN(geom, $DB_EPS, $DB_MINPTS) OVER () AS cid FROM pts) s;
\\timing off
\\setenv BACKEND_PID :pid
\\! grep VmHWM /proc/\$BACKEND_PID/status
EOF
fi

# ------------------------------------------------------------- commands ----
# cmd_of ID: sets the array cmd (and stdin_file) for tool ID.
cmd_of() {
  stdin_file=/dev/null
  case "$1" in
    hotref-gistar*) cmd=("$hotref" hotspots --store "$(store_of "$1")" --method gistar --cell-size "$GI_CELL" --band "$GI_BAND" --rerun) ;;
    hotref-kde*) cmd=("$hotref" hotspots --store "$(store_of "$1")" --method kde --cell-size "$KDE_CELL" --bandwidth "$KDE_H" --rerun) ;;
    hotref-dbscan*) cmd=("$hotref" hotspots --store "$(store_of "$1")" --method dbscan --eps "$DB_EPS" --min-pts "$DB_MINPTS" --rerun) ;;
    spdep) cmd=(Rscript "$here/hotspots_peers.R" gistar "$points" "$GI_CELL" "$GI_BAND") ;;
    spatstat) cmd=(Rscript "$here/hotspots_peers.R" kde "$points" "$KDE_CELL" "$KDE_H" FALSE) ;;
    spatstat-edge) cmd=(Rscript "$here/hotspots_peers.R" kde "$points" "$KDE_CELL" "$KDE_H" TRUE) ;;
    rdbscan) cmd=(Rscript "$here/hotspots_peers.R" dbscan "$points" "$DB_EPS" "$DB_MINPTS") ;;
    sklearn) cmd=("$python" "$here/hotspots_sklearn.py" "$points" "$DB_EPS" "$DB_MINPTS" "$SK_JOBS") ;;
    sklearn-weighted) cmd=("$python" "$here/hotspots_sklearn.py" "$weighted" "$DB_EPS" "$DB_MINPTS" "$SK_JOBS") ;;
    postgis) cmd=(runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -p "$pg_port" -d "$PG_DB"); stdin_file=$pg_sql ;;
  esac
}

# run_tool ID LABEL: timed run; on success sets r_wall r_kb r_alg r_result (parsed from the log).
run_tool() {
  local id=$1 label=$2
  local log="$work/hotspots-$id.$label.log" tfile="$work/hotspots-$id.$label.time" rc=0 limit=$tmo
  cmd_of "$id"
  case "$id" in hotref-*) limit=$(( tmo > 600 ? tmo : 600 )) ;; postgis) limit=$(( tmo + 30 )) ;; esac
  case "$id" in
    hotref-*-rerun) ;;
    hotref-*) rm -f "$fresh" "$fresh-wal" "$fresh-shm" "$fresh-journal"
              cp "$pristine" "$fresh"; [ ! -f "$pristine-wal" ] || cp "$pristine-wal" "$fresh-wal" ;;
  esac
  sync
  "$TIME" -o "$tfile" -f '%e %M' timeout "$limit" "${cmd[@]}" < "$stdin_file" > "$log" 2>&1 || rc=$?
  if [ "$rc" = 124 ] || { [ "$id" = postgis ] && grep -q 'statement timeout' "$log"; }; then
    [[ "$id" != hotref-* ]] || die "${LABEL[$id]} ran over ${limit} s ($label run)"
    r_status="timeout"; return 0
  fi
  if [ "$rc" != 0 ]; then
    echo "hotspots.sh: ${LABEL[$id]} failed ($label run, exit $rc); last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  r_status=ok
  read -r r_wall r_kb < <(tail -n 1 "$tfile")
  [[ "$r_wall" =~ ^[0-9.]+$ && "$r_kb" =~ ^[0-9]+$ ]] || die "cannot parse GNU time output in $tfile"
  parse_"${id%%-*}" "$id" "$log"
  [[ "$r_alg" =~ ^[0-9.]+$ ]] || die "no algorithm time found in $log"
}

kv() { sed -n "s/^$1 //p" "$2" | tail -n 1; }   # "key value" lines of the R / Python scripts
num() { tr -d , <<<"$1"; }

# hotref: algorithm seconds and run id from "stored as run N in STORE (X s)"; checks per method.
parse_hotref() {
  local id=$1 log=$2 line run st
  st=$(store_of "$id")
  line=$(grep -E '^stored as run [0-9]+ in .* \([0-9.]+ s\)$' "$log" | tail -n 1) || die "no 'stored as run' line in $log"
  run=$(sed -E 's/^stored as run ([0-9]+) .*/\1/' <<<"$line")
  r_alg=$(sed -E 's/.*\(([0-9.]+) s\)$/\1/' <<<"$line")
  case "$id" in
    hotref-gistar*)
      hot95=$(sqlite3 "$st" "SELECT count(*) FROM run_cell WHERE run_id = $run AND bin >= 2")
      hot99=$(sqlite3 "$st" "SELECT count(*) FROM run_cell WHERE run_id = $run AND bin >= 3")
      grid=$(sed -nE 's/^ *grid +[0-9.]+ m cells, ([0-9]+) x ([0-9]+), ([0-9,]+) study cells.*/\1x\2, \3/p' "$log")
      r_result="hot cells (BH): $hot95 at 95 %, $hot99 at 99 %; grid ${grid} cells"
      v_hot95=$hot95 ;;
    hotref-kde*)
      local thr cells mx grid
      thr=$(sed -nE 's/.*density >= ([0-9.,]+) per km2.*/\1/p' "$log")
      cells=$(sed -nE 's/^ *cells +([0-9,]+) at or above the threshold.*/\1/p' "$log")
      mx=$(sqlite3 "$st" "SELECT printf('%.0f', max(density)) FROM run_cell WHERE run_id = $run")
      grid=$(sed -nE 's/^ *grid +[0-9.]+ m cells, ([0-9]+) x ([0-9]+),.*/\1x\2/p' "$log")
      r_result="cells ≥ 3×mean ($(num "$thr")/km²): $(num "$cells"); max $mx/km²; grid $grid"
      v_kde_cells=$(num "$cells") ;;
    hotref-dbscan*)
      local m
      m=$(grep -Eo '[0-9]+ clusters, [0-9,]+ incidents as noise' "$log" | tail -n 1) || die "no cluster count in $log"
      v_clusters=${m%% *}
      v_noise=$(num "$(sed -E 's/.*clusters, ([0-9,]+) incidents.*/\1/' <<<"$m")")
      r_result="$v_clusters clusters, $v_noise incidents noise" ;;
  esac
  if [[ "$id" == *-rerun ]]; then
    line=$(sed -nE 's/^identity against run [0-9]+: (.*)$/\1/p' "$log" | tail -n 1)
    [ -z "$line" ] || r_result+="; identity: $line"
  fi
}
parse_spdep() {
  r_alg=$(kv seconds "$2")
  p_hot95=$(kv result_hot95 "$2")
  r_result="hot cells (BH): $p_hot95 at 95 %, $(kv result_hot99 "$2") at 99 %; grid $(kv result_grid "$2"), $(kv result_cells "$2") cells"
}
parse_spatstat() {
  r_alg=$(kv seconds "$2")
  p_kde_cells=$(kv result_hot_cells "$2")
  r_result=$(awk -v t="$(kv result_threshold_km2 "$2")" -v c="$p_kde_cells" -v m="$(kv result_max_km2 "$2")" -v g="$(kv result_grid "$2")" \
    'BEGIN { printf "cells ≥ 3×mean (%.1f/km²): %d; max %.0f/km²; grid %s", t, c, m, g }')
}
parse_rdbscan() {
  r_alg=$(kv seconds "$2"); p_clusters=$(kv result_clusters "$2"); p_noise=$(kv result_noise "$2")
  r_result="$p_clusters clusters, $p_noise incidents noise"
}
parse_sklearn() { parse_rdbscan "$@"; }
parse_postgis() {
  local ms line
  ms=$(sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' "$2" | tail -n 1)
  r_alg=$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')
  line=$(grep -E '^[0-9]+\|[0-9]+$' "$2" | tail -n 1) || die "no clusters|noise line in $2"
  p_clusters=${line%|*}; p_noise=${line#*|}
  r_result="$p_clusters clusters, $p_noise incidents noise"
  # Peak RSS of the server backend that ran the query, not of psql.
  r_kb=$(sed -nE 's/^VmHWM:[[:space:]]*([0-9]+) kB/\1/p' "$2" | tail -n 1)
  [[ "$r_kb" =~ ^[0-9]+$ ]] || r_kb=0
}

# ----------------------------------------------------------------- runs ----
declare -A CHECKS   # id -> "ok" or a description of the disagreement
fail_checks=0
check() {  # check ID PEER_VALUE HOTREF_VALUE TOLERANCE(relative) WHAT
  local d
  d=$(awk -v p="$2" -v h="$3" 'BEGIN { printf "%.4f", (h == 0 ? (p == 0 ? 0 : 1) : (p - h) / h) }')
  if awk -v d="$d" -v t="$4" 'BEGIN { exit (d <= t && d >= -t) ? 0 : 1 }'; then
    note "check ${LABEL[$1]}: $5 $2 vs hotref $3 (difference $(awk -v d="$d" 'BEGIN { printf "%+.2f", d * 100 }') %, tolerance ±$(awk -v t="$4" 'BEGIN { print t * 100 }') %)"
  else
    note "CHECK FAILED ${LABEL[$1]}: $5 $2 vs hotref $3 (tolerance ±$(awk -v t="$4" 'BEGIN { print t * 100 }') %)"
    CHECKS[$1]="$5 $2 vs hotref $3"
    fail_checks=1
  fi
}
run_checks() {  # after a peer run, compare with the last hotref run of its job
  case "$1" in
    spdep) check "$1" "$p_hot95" "$v_hot95" 0.10 "hot cells at 95 %" ;;
    spatstat|spatstat-edge) check "$1" "$p_kde_cells" "$v_kde_cells" 0.05 "cells ≥ 3×mean" ;;
    rdbscan|sklearn|sklearn-weighted|postgis)
      check "$1" "$p_clusters" "$v_clusters" 0.01 "clusters"
      check "$1" "$p_noise" "$v_noise" 0.05 "noise incidents" ;;
  esac
}

do_round() {  # do_round LABEL TIMED(0/1)
  local t
  for t in "${TOOLS[@]}"; do
    active "$t" || continue
    run_tool "$t" "$1"
    if [ "$r_status" = timeout ]; then
      STATUS[$t]="timeout (over ${tmo} s, $1 run): skipped for the rest"
      note "${LABEL[$t]}: ${STATUS[$t]}"
      continue
    fi
    note "$1: ${LABEL[$t]}: algorithm ${r_alg} s, whole ${r_wall} s, ${r_kb} KB; ${r_result}"
    if [ "$2" = 1 ]; then
      ALG[$t]+=" $r_alg"; WALL[$t]+=" $r_wall"; RSS[$t]+=" $r_kb"; RESULT[$t]=$r_result
    fi
    case "$t" in hotref-*) ;; *) [ "$2" = 0 ] || run_checks "$t" ;; esac
  done
}

note "$n_points incidents; jobs: $jobs; $runs timed run(s) after one warm-up; peer timeout ${tmo} s"
do_round warmup 0
for ((i = 1; i <= runs; i++)); do
  do_round "run$i" 1
done

# ---------------------------------------------------------------- stats ----
stats() {  # VALUES... -> "median min max"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
maxmb() { printf '%s\n' "$@" | sort -n | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }'; }
joinruns() { printf '%s' "$*" | awk '{ for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? ", " : ""), $i }'; }
ratio() { awk -v p="$1" -v h="$2" 'BEGIN { if (h > 0) printf (p / h < 1 ? "%.2f" : "%.1f"), p / h; else print "n/a" }'; }

declare -A MED_ALG MED_WALL
# ALG, WALL and RSS hold space-separated numbers: split on purpose.
# shellcheck disable=SC2086
table=$(
  echo "| job | tool | points given | what is timed (algorithm) | algorithm runs (s) | algorithm median (s) | whole command runs (s) | whole command median (s) | peak RSS (MB) | algorithm: peer / hotref | whole command: peer / hotref | result |"
  echo "|---|---|---|---|---|---:|---|---:|---:|---:|---:|---|"
  for t in "${TOOLS[@]}"; do
    j=${JOB[$t]}
    if [ -z "${ALG[$t]}" ]; then
      echo "| $j | ${LABEL[$t]} | ${INPUT[$t]} | ${TIMED[$t]} | — | — | — | — | — | — | — | ${STATUS[$t]} |"
      continue
    fi
    read -r am _ _ < <(stats ${ALG[$t]})
    read -r wm _ _ < <(stats ${WALL[$t]})
    MED_ALG[$t]=$am; MED_WALL[$t]=$wm
    rss=$(maxmb ${RSS[$t]})
    [ "$t" != postgis ] || rss="$rss (server backend)"
    if [[ "$t" == hotref-* ]]; then ra="—"; rw="—"
    elif [ -n "${MED_ALG[hotref-$j]:-}" ]; then
      ra=$(ratio "$am" "${MED_ALG[hotref-$j]}"); rw=$(ratio "$wm" "${MED_WALL[hotref-$j]}")
    else ra="n/a"; rw="n/a"; fi
    [ "$t" != postgis ] || rw="$rw (psql session)"
    res=${RESULT[$t]}
    [ "${STATUS[$t]}" = ok ] || res="$res; ${STATUS[$t]}"
    [ -z "${CHECKS[$t]:-}" ] || res="$res; **CHECK FAILED: ${CHECKS[$t]}**"
    echo "| $j | ${LABEL[$t]} | ${INPUT[$t]} | ${TIMED[$t]} | $(joinruns ${ALG[$t]}) | $am | $(joinruns ${WALL[$t]}) | $wm | $rss | $ra | $rw | $res |"
  done
)

summary="Input: $n_points ASB incidents (hotref-gen --rows $rows --asb-share $ASB_SHARE --seed $SEED${gen_points:+ --points $gen_points}; those in hotref's study area) at $n_locations distinct locations; $runs timed run(s) per tool after one warm-up each. Ratios: peer median / hotref median (above 1: hotref is faster)."

echo
echo "$summary"
echo
echo "$table"

# ---------------------------------------------------------------- --out ----
if [ -n "$out" ]; then
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  mem=$(free -g | awk '/^Mem:/ { print $2 }')
  rver=$(Rscript -e 'cat(R.version.string)' 2>/dev/null || echo "not installed")
  rpk=$(Rscript -e 'for (p in c("spdep", "spatstat.explore", "spatstat.geom", "dbscan")) cat(p, " ", if (requireNamespace(p, quietly = TRUE)) as.character(packageVersion(p)) else "not installed", "; ", sep = "")' 2>/dev/null || true)
  pyver=$("$python" -c 'import sys, numpy, sklearn; print(f"Python {sys.version.split()[0]}; scikit-learn {sklearn.__version__}; numpy {numpy.__version__}")' 2>/dev/null || echo "scikit-learn not installed")
  pgver="not used"
  if [ -n "$pg_port" ]; then
    pgver=$(psql_pg -d "$PG_DB" -At -c "SELECT split_part(version(), ' on ', 1) || '; PostGIS ' || postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ')'" 2>/dev/null || echo unknown)
  fi
  {
    echo
    echo "## hotref hotspots vs R spdep / spatstat / dbscan, scikit-learn, PostGIS — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "- machine: $(nproc) CPU(s), ${cpu:-unknown CPU}, ${mem} GiB RAM (free -g); kernel $(uname -r)"
    echo "- hotref: $("$hotref" --version 2>&1 | head -n 1), run as a copy ($hotref, sha256 $hotref_sum…) of $hotref_src taken at the start"
    echo "- R: $rver; ${rpk%; }"
    echo "- $pyver"
    echo "- PostgreSQL: $pgver"
    echo "- input: \`$(q "$gen" --rows "$rows" --asb-share "$ASB_SHARE" --seed "$SEED" ${gen_points:+--points "$gen_points"} --out "$input")\`, ingested once (untimed) with \`$(q "$hotref" ingest --store "$store" "$input")\`;"
    echo "  $n_points incidents at $n_locations locations, exported (untimed) to $points (x,y, one row per incident) and $weighted (x,y,n)"
    echo "- method: one untimed warm-up of every tool, then $runs runs, each running every tool in turn;"
    echo "  whole-command wall time and peak RSS from GNU time (%e %M); peer timeout ${tmo} s"
    for t in "${TOOLS[@]}"; do
      cmd_of "$t"
      if [ "$t" = postgis ] && [ -n "$pg_port" ]; then
        echo "- ${LABEL[$t]}: \`$(q "${cmd[@]}") < $pg_sql\`, with (points loaded once into table pts, no index):"
        echo '  ```sql'
        sed 's/^/  /' "$pg_sql"
        echo '  ```'
      elif [ "$t" != postgis ]; then
        echo "- ${LABEL[$t]}: \`$(q "${cmd[@]}")\`"
      fi
      [ "${STATUS[$t]}" = ok ] || echo "  (${STATUS[$t]})"
    done
    echo
    echo "$summary"
    echo
    echo "$table"
  } >> "$out"
  note "appended result block to $out"
fi

[ "$fail_checks" = 0 ] || die "results of hotref and a peer disagree beyond the tolerances (see CHECK FAILED above)"
