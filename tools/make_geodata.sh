#!/usr/bin/env bash
# make_geodata.sh - rebuild the bundled real data in geodata/ from the shared data folder.
#
# Usage: tools/make_geodata.sh [--stats] [SHARED_DATA_DIR]
#
#   SHARED_DATA_DIR  folder holding police-uk/derbyshire-2025/*.csv and
#                    boundaries/england-lad-2011/england_lad_2011_gen.shp
#                    (default: <repo root>/../shared/data)
#   --stats          after rebuilding, also print the row / coordinate statistics
#                    quoted in geodata/README.md (needs python3)
#
# Environment:
#   GEODATA_OUT      output folder (default: <repo root>/geodata)
#   GEODATA_DATE     timestamp written to gpkg_contents.last_change
#                    (default 2026-01-01T00:00:00.000Z, fixed so rebuilds are reproducible)
#
# Rebuilds:
#   geodata/police-uk/derbyshire-2025/2025-MM-derbyshire-street.csv.gz  (gzip -9 -n, 12 files)
#   geodata/derbyshire_force_area.gpkg  (layers force_area, districts; EPSG:27700)
#
# Deterministic and idempotent: every output is written to a temporary file, checked,
# then moved into place; running it twice gives the same bytes (tested with
# GDAL 3.6.2, gzip 1.12; other GDAL/GEOS versions may give different GeoPackage bytes).
# Needs: gzip, sha256sum, ogr2ogr and ogrinfo (GDAL built with SpatiaLite).
set -euo pipefail
export LC_ALL=C

STATS=0
SRC=""
for arg in "$@"; do
  case "$arg" in
    --stats) STATS=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make_geodata.sh: unknown option: $arg" >&2; exit 2 ;;
    *) [[ -z "$SRC" ]] || { echo "make_geodata.sh: too many arguments" >&2; exit 2; }
       SRC="$arg" ;;
  esac
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${SRC:-$REPO_ROOT/../shared/data}"
OUT="${GEODATA_OUT:-$REPO_ROOT/geodata}"
export OGR_CURRENT_DATE="${GEODATA_DATE:-2026-01-01T00:00:00.000Z}"

die() { echo "make_geodata.sh: $*" >&2; exit 1; }
for tool in gzip sha256sum ogr2ogr ogrinfo; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool not found: $tool"
done
[[ -d "$SRC" ]] || die "shared data folder not found: $SRC"
SRC="$(cd "$SRC" && pwd)"

CSV_SRC="$SRC/police-uk/derbyshire-2025"
CSV_OUT="$OUT/police-uk/derbyshire-2025"
SHP="$SRC/boundaries/england-lad-2011/england_lad_2011_gen.shp"
SHP_LAYER="england_lad_2011_gen"
GPKG="$OUT/derbyshire_force_area.gpkg"

# The nine local authority districts that make up the Derbyshire police force area,
# spelt exactly as in the shapefile's `name` field, in alphabetical order.
DISTRICTS=("Amber Valley" "Bolsover" "Chesterfield" "Derby" "Derbyshire Dales"
           "Erewash" "High Peak" "North East Derbyshire" "South Derbyshire")

TMP="$(mktemp -d "${TMPDIR:-/tmp}/make_geodata.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$CSV_OUT"

# ---------------------------------------------------------------- 1. monthly CSVs
echo "== police-uk CSVs: $CSV_SRC -> $CSV_OUT"
for mm in 01 02 03 04 05 06 07 08 09 10 11 12; do
  base="2025-$mm-derbyshire-street.csv"
  src="$CSV_SRC/$base"
  dst="$CSV_OUT/$base.gz"
  [[ -f "$src" ]] || die "missing input: $src"
  gzip -9 -n -c "$src" > "$TMP/$base.gz"
  want="$(sha256sum < "$src" | cut -d' ' -f1)"
  got="$(gzip -dc "$TMP/$base.gz" | sha256sum | cut -d' ' -f1)"
  [[ "$want" == "$got" ]] || die "round-trip mismatch for $base"
  mv -f "$TMP/$base.gz" "$dst"
  printf '  %s  %s\n' "$want" "$base"
done

# ---------------------------------------------------------------- 2. force area GeoPackage
echo "== force area GeoPackage: $SHP -> $GPKG"
[[ -f "$SHP" ]] || die "missing input: $SHP"

in_list=""
for d in "${DISTRICTS[@]}"; do in_list+="${in_list:+,}'${d//\'/\'\'}'"; done
districts_csv="$(printf '%s, ' "${DISTRICTS[@]}")"; districts_csv="${districts_csv%, }"

# Fail early if a spelling no longer matches (the WHERE clause would silently drop it).
nmatch="$(ogrinfo -q -ro "$SHP" -dialect sqlite \
  -sql "SELECT count(DISTINCT name) AS n FROM $SHP_LAYER WHERE name IN ($in_list)" \
  | sed -n 's/^ *n (Integer) = //p')"
[[ "$nmatch" == "${#DISTRICTS[@]}" ]] || die "expected ${#DISTRICTS[@]} districts in $SHP, found '${nmatch:-?}'"

tmp_gpkg="$TMP/derbyshire_force_area.gpkg"
attribution="Contains National Statistics data (c) Crown copyright and database right 2011. Open Government Licence v3.0."

# Layer 1: force_area - dissolve (ST_Union) of the nine districts, one MultiPolygon feature.
ogr2ogr -f GPKG "$tmp_gpkg" "$SHP" \
  -dialect sqlite \
  -sql "SELECT ST_Union(geometry) AS geom,
               'Derbyshire Constabulary' AS name,
               '${districts_csv}' AS districts
        FROM $SHP_LAYER WHERE name IN ($in_list)" \
  -nln force_area -a_srs EPSG:27700 -nlt MULTIPOLYGON \
  -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES \
  -lco IDENTIFIER="Derbyshire police force area" \
  -lco DESCRIPTION="Union of the nine Derbyshire local authority districts (2011, generalised). $attribution"

# Layer 2: districts - the nine source polygons, ordered by name.
ogr2ogr -update "$tmp_gpkg" "$SHP" \
  -dialect sqlite \
  -sql "SELECT geometry AS geom, name, label AS code
        FROM $SHP_LAYER WHERE name IN ($in_list) ORDER BY name" \
  -nln districts -a_srs EPSG:27700 -nlt MULTIPOLYGON \
  -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES \
  -lco IDENTIFIER="Derbyshire local authority districts" \
  -lco DESCRIPTION="Local authority districts (2011, generalised) of the Derbyshire police force area. $attribution"

# Checks: feature counts, validity, single SRS, and no errors reported by ogrinfo.
check="$(ogrinfo -q -ro "$tmp_gpkg" -dialect sqlite -sql \
  "SELECT (SELECT count(*) FROM force_area) AS n_force,
          (SELECT count(*) FROM districts) AS n_districts,
          (SELECT min(ST_IsValid(geom)) FROM force_area) AS valid_force,
          (SELECT min(ST_IsValid(geom)) FROM districts) AS valid_districts,
          (SELECT ST_Area(geom) / 1e6 FROM force_area) AS force_km2" 2>&1)"
val() { sed -n "s/^ *$1 ([A-Za-z]*) = //p" <<<"$check"; }
[[ "$(val n_force)" == 1 ]] || die "force_area should have 1 feature: $check"
[[ "$(val n_districts)" == 9 ]] || die "districts should have 9 features: $check"
[[ "$(val valid_force)" == 1 && "$(val valid_districts)" == 1 ]] || die "invalid geometry: $check"
errs="$(ogrinfo -ro -al -so "$tmp_gpkg" 2>&1 >/dev/null || true)"
[[ -z "$errs" ]] || die "ogrinfo reported: $errs"
printf '  force_area: 1 feature, %.1f km2; districts: 9 features\n' "$(val force_km2)"
mv -f "$tmp_gpkg" "$GPKG"

# ---------------------------------------------------------------- 3. optional statistics
if [[ "$STATS" == 1 ]]; then
  command -v python3 >/dev/null 2>&1 || die "--stats needs python3"
  echo "== statistics (from the bundled .csv.gz files)"
  python3 - "$CSV_OUT" "$TMP/points.csv" <<'PY'
import csv, glob, gzip, io, os, sys, collections
csv_dir, points_out = sys.argv[1], sys.argv[2]
rows = asb = empty = crlf = bom = 0
pts = collections.Counter(); triples = set(); ids = collections.Counter(); lad = {}
for path in sorted(glob.glob(os.path.join(csv_dir, "*.csv.gz"))):
    raw = gzip.open(path, "rb").read()
    bom += raw.startswith(b"\xef\xbb\xbf"); crlf += raw.count(b"\r")
    r = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    next(r)
    n = a = e = 0
    for row in r:
        n += 1
        a += row[9] == "Anti-social behaviour"
        if not row[4] or not row[5]:
            e += 1; continue
        pts[(row[4], row[5])] += 1; triples.add((row[4], row[5], row[6]))
        lad[(row[4], row[5])] = row[8].rsplit(" ", 1)[0]
        if row[0]: ids[row[0]] += 1
    print(f"  {os.path.basename(path)}: {n} rows, {a} ASB, {e} without coordinates")
    rows += n; asb += a; empty += e
print(f"  total: {rows} rows, {asb} ASB, {empty} without coordinates, BOM files {bom}, CR bytes {crlf}")
print(f"  distinct (Longitude, Latitude): {len(pts)}; distinct (Longitude, Latitude, Location): {len(triples)}")
print(f"  non-empty Crime IDs: {sum(ids.values())}, distinct: {len(ids)}")
with open(points_out, "w", newline="") as fh:
    w = csv.writer(fh); w.writerow(["lon", "lat", "nrows", "lad"])
    for (lo, la), k in sorted(pts.items()):
        w.writerow([lo, la, k, lad[(lo, la)]])
PY
  ogr2ogr -f GPKG "$TMP/points.gpkg" "$TMP/points.csv" -nln pts -nlt POINT \
    -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo AUTODETECT_TYPE=YES \
    -s_srs EPSG:4326 -t_srs EPSG:27700
  ogr2ogr -update "$TMP/points.gpkg" "$GPKG" force_area -nln fa
  ogrinfo -q -ro "$TMP/points.gpkg" -dialect sqlite -sql \
    "SELECT sum(ST_Within(p.geom, f.geom)) AS points_inside,
            sum(NOT ST_Within(p.geom, f.geom)) AS points_outside,
            sum(CASE WHEN ST_Within(p.geom, f.geom) THEN 0 ELSE nrows END) AS rows_outside,
            sum(CASE WHEN NOT ST_Within(p.geom, f.geom) AND ST_Distance(p.geom, f.geom) < 1000
                     THEN 1 ELSE 0 END) AS points_outside_within_1km,
            round(max(ST_Distance(p.geom, f.geom)) / 1000, 1) AS max_km_outside
     FROM pts p, fa f" | sed -n 's/^ *\([a-z_0-9]*\) ([A-Za-z]*) = /  \1: /p'
fi
echo "done."
