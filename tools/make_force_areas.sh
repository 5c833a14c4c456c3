#!/usr/bin/env bash
# make_force_areas.sh - rebuild geodata/england_force_areas.gpkg: every English local
# authority district (2011) assigned to its police force, and each force's dissolved area.
#
# Usage: tools/make_force_areas.sh [SHARED_DATA_DIR]
#
#   SHARED_DATA_DIR  folder holding boundaries/england-lad-2011/england_lad_2011_gen.shp
#                    (default: <repo root>/../shared/data)
#
# Environment:
#   GEODATA_OUT        output folder (default: <repo root>/geodata)
#   GEODATA_DATE       timestamp written to gpkg_contents.last_change
#                      (default 2026-01-01T00:00:00.000Z, fixed so rebuilds are reproducible)
#   GEODATA_TOLERANCE  generalisation tolerance in metres (default 50)
#
# Writes geodata/england_force_areas.gpkg (EPSG:27700) with two layers:
#   districts    326 features: name, code (2011 GSS code), force
#   force_areas  39 features: force (the data.police.uk "Falls within" name),
#                districts (their names, separated by ", "), n_districts
#
# Generalisation keeps the districts a clean coverage (no gaps, no overlaps): the
# district boundaries are dissolved into shared arcs, the arcs are simplified together
# with GEOS's topology-preserving simplifier (so no arc crosses another and the junctions
# stay put), and the faces are rebuilt with polygonize; each face goes to the district it
# overlaps most. Simplifying each polygon on its own would open slivers between neighbours.
#
# Deterministic: running it twice gives the same bytes with the same GDAL/GEOS/SpatiaLite
# (tested with GDAL 3.6.2, GEOS 3.11.1, SpatiaLite 5.0.1).
# Needs: ogr2ogr, ogrinfo, sqlite3 and the SpatiaLite module (mod_spatialite).
set -euo pipefail
export LC_ALL=C

SRC=""
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make_force_areas.sh: unknown option: $arg" >&2; exit 2 ;;
    *) [[ -z "$SRC" ]] || { echo "make_force_areas.sh: too many arguments" >&2; exit 2; }
       SRC="$arg" ;;
  esac
done

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${SRC:-$REPO_ROOT/../shared/data}"
OUT="${GEODATA_OUT:-$REPO_ROOT/geodata}"
TOL="${GEODATA_TOLERANCE:-50}"
export OGR_CURRENT_DATE="${GEODATA_DATE:-2026-01-01T00:00:00.000Z}"

die() { echo "make_force_areas.sh: $*" >&2; exit 1; }
for tool in ogr2ogr ogrinfo sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool not found: $tool"
done
[[ "$TOL" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "GEODATA_TOLERANCE must be a number of metres, not '$TOL'"
[[ -d "$SRC" ]] || die "shared data folder not found: $SRC"
SRC="$(cd "$SRC" && pwd)"
SHP="$SRC/boundaries/england-lad-2011/england_lad_2011_gen.shp"
[[ -f "$SHP" ]] || die "missing input: $SHP"
GPKG="$OUT/england_force_areas.gpkg"
mkdir -p "$OUT"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/make_force_areas.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
DB="$TMP/work.sqlite"

# ------------------------------------------------------------------ the mapping
# Police force areas are made of whole local authority districts (Police Act 1996,
# Schedule 1, as amended for the unitary authorities up to 2011). One line per force:
# the data.police.uk "Falls within" name, then its districts spelt exactly as in the
# shapefile's `name` field. 37 county forces, the Metropolitan Police Service (the 32
# London boroughs) and the City of London Police: the 39 English territorial forces.
# The four Welsh forces have no districts in this (England-only) boundary set.
MAPPING=$(cat <<'EOF'
Avon and Somerset Constabulary|Bath and North East Somerset|Bristol, City of|Mendip|North Somerset|Sedgemoor|South Gloucestershire|South Somerset|Taunton Deane|West Somerset
Bedfordshire Police|Bedford|Central Bedfordshire|Luton
Cambridgeshire Constabulary|Cambridge|East Cambridgeshire|Fenland|Huntingdonshire|Peterborough|South Cambridgeshire
Cheshire Constabulary|Cheshire East|Cheshire West and Chester|Halton|Warrington
City of London Police|City of London
Cleveland Police|Hartlepool|Middlesbrough|Redcar and Cleveland|Stockton-on-Tees
Cumbria Constabulary|Allerdale|Barrow-in-Furness|Carlisle|Copeland|Eden|South Lakeland
Derbyshire Constabulary|Amber Valley|Bolsover|Chesterfield|Derby|Derbyshire Dales|Erewash|High Peak|North East Derbyshire|South Derbyshire
Devon & Cornwall Police|Cornwall|East Devon|Exeter|Isles of Scilly|Mid Devon|North Devon|Plymouth|South Hams|Teignbridge|Torbay|Torridge|West Devon
Dorset Police|Bournemouth|Christchurch|East Dorset|North Dorset|Poole|Purbeck|West Dorset|Weymouth and Portland
Durham Constabulary|County Durham|Darlington
Essex Police|Basildon|Braintree|Brentwood|Castle Point|Chelmsford|Colchester|Epping Forest|Harlow|Maldon|Rochford|Southend-on-Sea|Tendring|Thurrock|Uttlesford
Gloucestershire Constabulary|Cheltenham|Cotswold|Forest of Dean|Gloucester|Stroud|Tewkesbury
Greater Manchester Police|Bolton|Bury|Manchester|Oldham|Rochdale|Salford|Stockport|Tameside|Trafford|Wigan
Hampshire Constabulary|Basingstoke and Deane|East Hampshire|Eastleigh|Fareham|Gosport|Hart|Havant|Isle of Wight|New Forest|Portsmouth|Rushmoor|Southampton|Test Valley|Winchester
Hertfordshire Constabulary|Broxbourne|Dacorum|East Hertfordshire|Hertsmere|North Hertfordshire|St Albans|Stevenage|Three Rivers|Watford|Welwyn Hatfield
Humberside Police|East Riding of Yorkshire|Kingston upon Hull, City of|North East Lincolnshire|North Lincolnshire
Kent Police|Ashford|Canterbury|Dartford|Dover|Gravesham|Maidstone|Medway|Sevenoaks|Shepway|Swale|Thanet|Tonbridge and Malling|Tunbridge Wells
Lancashire Constabulary|Blackburn with Darwen|Blackpool|Burnley|Chorley|Fylde|Hyndburn|Lancaster|Pendle|Preston|Ribble Valley|Rossendale|South Ribble|West Lancashire|Wyre
Leicestershire Police|Blaby|Charnwood|Harborough|Hinckley and Bosworth|Leicester|Melton|North West Leicestershire|Oadby and Wigston|Rutland
Lincolnshire Police|Boston|East Lindsey|Lincoln|North Kesteven|South Holland|South Kesteven|West Lindsey
Merseyside Police|Knowsley|Liverpool|Sefton|St. Helens|Wirral
Metropolitan Police Service|Barking and Dagenham|Barnet|Bexley|Brent|Bromley|Camden|Croydon|Ealing|Enfield|Greenwich|Hackney|Hammersmith and Fulham|Haringey|Harrow|Havering|Hillingdon|Hounslow|Islington|Kensington and Chelsea|Kingston upon Thames|Lambeth|Lewisham|Merton|Newham|Redbridge|Richmond upon Thames|Southwark|Sutton|Tower Hamlets|Waltham Forest|Wandsworth|Westminster
Norfolk Constabulary|Breckland|Broadland|Great Yarmouth|King's Lynn and West Norfolk|North Norfolk|Norwich|South Norfolk
North Yorkshire Police|Craven|Hambleton|Harrogate|Richmondshire|Ryedale|Scarborough|Selby|York
Northamptonshire Police|Corby|Daventry|East Northamptonshire|Kettering|Northampton|South Northamptonshire|Wellingborough
Northumbria Police|Gateshead|Newcastle upon Tyne|North Tyneside|Northumberland|South Tyneside|Sunderland
Nottinghamshire Police|Ashfield|Bassetlaw|Broxtowe|Gedling|Mansfield|Newark and Sherwood|Nottingham|Rushcliffe
South Yorkshire Police|Barnsley|Doncaster|Rotherham|Sheffield
Staffordshire Police|Cannock Chase|East Staffordshire|Lichfield|Newcastle-under-Lyme|South Staffordshire|Stafford|Staffordshire Moorlands|Stoke-on-Trent|Tamworth
Suffolk Constabulary|Babergh|Forest Heath|Ipswich|Mid Suffolk|St Edmundsbury|Suffolk Coastal|Waveney
Surrey Police|Elmbridge|Epsom and Ewell|Guildford|Mole Valley|Reigate and Banstead|Runnymede|Spelthorne|Surrey Heath|Tandridge|Waverley|Woking
Sussex Police|Adur|Arun|Brighton and Hove|Chichester|Crawley|Eastbourne|Hastings|Horsham|Lewes|Mid Sussex|Rother|Wealden|Worthing
Thames Valley Police|Aylesbury Vale|Bracknell Forest|Cherwell|Chiltern|Milton Keynes|Oxford|Reading|Slough|South Bucks|South Oxfordshire|Vale of White Horse|West Berkshire|West Oxfordshire|Windsor and Maidenhead|Wokingham|Wycombe
Warwickshire Police|North Warwickshire|Nuneaton and Bedworth|Rugby|Stratford-on-Avon|Warwick
West Mercia Police|Bromsgrove|Herefordshire, County of|Malvern Hills|Redditch|Shropshire|Telford and Wrekin|Worcester|Wychavon|Wyre Forest
West Midlands Police|Birmingham|Coventry|Dudley|Sandwell|Solihull|Walsall|Wolverhampton
West Yorkshire Police|Bradford|Calderdale|Kirklees|Leeds|Wakefield
Wiltshire Police|Swindon|Wiltshire
EOF
)
EXPECTED_FORCES=39
EXPECTED_DISTRICTS=326

sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }
{
  echo "CREATE TABLE mapping (district TEXT PRIMARY KEY, force TEXT NOT NULL);"
  while IFS='|' read -r force rest; do
    IFS='|' read -ra ds <<<"$rest"
    for d in "${ds[@]}"; do
      echo "INSERT INTO mapping VALUES ($(sql_quote "$d"), $(sql_quote "$force"));"
    done
  done <<<"$MAPPING"
} > "$TMP/mapping.sql"

echo "== districts and forces: $SHP -> $GPKG (tolerance $TOL m)"
ogr2ogr -f SQLite -dsco SPATIALITE=YES "$DB" "$SHP" -nln lad -nlt MULTIPOLYGON -a_srs EPSG:27700 \
  -lco GEOMETRY_NAME=geom
# A district listed twice fails the PRIMARY KEY here.
sqlite3 -bail "$DB" < "$TMP/mapping.sql" || die "the mapping table lists a district twice"

q() { sqlite3 -bail -batch -noheader -separator '|' "$DB" "SELECT load_extension('mod_spatialite');" "$@" | sed 1d; }

# Every shapefile district is mapped, and every mapped name is in the shapefile.
unmapped="$(q "SELECT name FROM lad WHERE name NOT IN (SELECT district FROM mapping) ORDER BY name;")"
[[ -z "$unmapped" ]] || die "districts with no force in the mapping: $(tr '\n' ';' <<<"$unmapped")"
unknown="$(q "SELECT district FROM mapping WHERE district NOT IN (SELECT name FROM lad) ORDER BY district;")"
[[ -z "$unknown" ]] || die "mapped names not in $SHP (check the spelling): $(tr '\n' ';' <<<"$unknown")"
counts="$(q "SELECT (SELECT count(*) FROM lad), (SELECT count(DISTINCT name) FROM lad), (SELECT count(DISTINCT force) FROM mapping);")"
[[ "$counts" == "$EXPECTED_DISTRICTS|$EXPECTED_DISTRICTS|$EXPECTED_FORCES" ]] ||
  die "expected $EXPECTED_DISTRICTS distinct districts and $EXPECTED_FORCES forces, got $counts"

# ------------------------------------------------------------------ generalisation
# arcs: every boundary once, merged into maximal lines between junctions.
# face: the polygons rebuilt from the simplified arcs (sea and lakes enclosed by arcs
# become faces too; they overlap no district and are dropped).
sqlite3 -bail "$DB" >/dev/null <<SQL
SELECT load_extension('mod_spatialite');
CREATE TABLE arcs AS SELECT ST_LineMerge(ST_Union(ST_Boundary(geom))) AS g FROM lad;
CREATE TABLE faces AS SELECT ST_Polygonize(ST_SimplifyPreserveTopology(g, $TOL)) AS g FROM arcs;
CREATE TABLE face AS
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT ST_NumGeometries(g) FROM faces))
  SELECT i AS id, ST_GeometryN((SELECT g FROM faces), i) AS g FROM n;
-- Polygonize leaves out a face whose ring touches no other arc (an enclave such as
-- Cambridge inside South Cambridgeshire) and keeps it only as a hole of the face around
-- it: add every such hole that no other face fills.
INSERT INTO face
  WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 100),
       hole AS (SELECT MakePolygon(ST_InteriorRingN(f.g, k.i)) AS g FROM face f JOIN k ON k.i <= ST_NumInteriorRing(f.g))
  SELECT (SELECT max(id) FROM face) + row_number() OVER (ORDER BY ST_X(ST_PointOnSurface(h.g)), ST_Y(ST_PointOnSurface(h.g))), h.g
  FROM hole h
  WHERE NOT EXISTS (SELECT 1 FROM face o WHERE MbrIntersects(o.g, h.g) AND ST_Within(ST_PointOnSurface(h.g), o.g));
CREATE TABLE face_overlap AS
  SELECT f.id, l.name, ST_Area(ST_Intersection(f.g, l.geom)) AS a
  FROM face f JOIN lad l ON MbrIntersects(f.g, l.geom) AND ST_Intersects(f.g, l.geom);
CREATE TABLE face_owner AS
  SELECT id, name FROM (SELECT id, name, a, row_number() OVER (PARTITION BY id ORDER BY a DESC, name) AS k
                        FROM face_overlap WHERE a > 0)
  WHERE k = 1;
CREATE TABLE district AS
  SELECT l.name, l.label AS code, m.force,
         CastToMultiPolygon(ST_Union(f.g)) AS geom,
         ST_Area(l.geom) AS source_area
  FROM lad l JOIN mapping m ON m.district = l.name
       JOIN face_owner o ON o.name = l.name JOIN face f ON f.id = o.id
  GROUP BY l.name ORDER BY l.name;
CREATE TABLE force_area AS
  SELECT force, group_concat(name, ', ') AS districts, count(*) AS n_districts,
         CastToMultiPolygon(ST_Union(geom)) AS geom
  FROM (SELECT * FROM district ORDER BY force, name) GROUP BY force ORDER BY force;
SELECT RecoverGeometryColumn('district', 'geom', 27700, 'MULTIPOLYGON', 'XY');
SELECT RecoverGeometryColumn('force_area', 'geom', 27700, 'MULTIPOLYGON', 'XY');
SQL

# ------------------------------------------------------------------ checks
lost="$(q "SELECT name FROM lad WHERE name NOT IN (SELECT name FROM district);")"
[[ -z "$lost" ]] || die "districts that lost every face at $TOL m (use a smaller tolerance): $lost"
check="$(q "SELECT (SELECT count(*) FROM district), (SELECT count(*) FROM force_area),
                   (SELECT min(ST_IsValid(geom)) FROM district), (SELECT min(ST_IsValid(geom)) FROM force_area),
                   (SELECT count(*) FROM face_owner) || '/' || (SELECT count(*) FROM face);")"
IFS='|' read -r n_district n_force valid_district valid_force faces <<<"$check"
[[ "$n_district" == "$EXPECTED_DISTRICTS" && "$n_force" == "$EXPECTED_FORCES" ]] ||
  die "expected $EXPECTED_DISTRICTS districts and $EXPECTED_FORCES forces, made $n_district and $n_force"
[[ "$valid_district" == 1 && "$valid_force" == 1 ]] || die "invalid geometry after generalisation at $TOL m"

# A coverage: the districts' areas add up to their union (no overlaps), and each
# generalised district keeps its area to within 2%.
coverage="$(q "SELECT printf('%.3f|%.3f|%.3f|%.3f',
                     (SELECT sum(ST_Area(geom)) FROM district) / 1e6,
                     (SELECT ST_Area(ST_Union(geom)) FROM district) / 1e6,
                     (SELECT sum(source_area) FROM district) / 1e6,
                     (SELECT max(abs(ST_Area(geom) - source_area) / source_area) * 100 FROM district));")"
IFS='|' read -r sum_km2 union_km2 source_km2 worst_pct <<<"$coverage"
awk -v s="$sum_km2" -v u="$union_km2" 'BEGIN { exit !((s - u) < 0.01 && (u - s) < 0.01) }' ||
  die "the generalised districts overlap: sum of areas $sum_km2 km2, union $union_km2 km2"
awk -v w="$worst_pct" 'BEGIN { exit !(w < 2) }' ||
  die "a district's area changed by $worst_pct% at $TOL m (use a smaller tolerance)"
echo "  $n_district districts ($faces faces kept), $n_force forces; area $sum_km2 km2 (source $source_km2 km2);"
echo "  largest change of one district's area: $worst_pct%"

# Each force with its districts, area and number of parts (to compare with published areas).
echo "  force                                   districts        km2  parts"
q "SELECT printf('  %-40s %9d %10.1f %6d', force, n_districts, ST_Area(geom) / 1e6, ST_NumGeometries(geom))
   FROM force_area ORDER BY force;"

# Detached parts: a part of a force area that shares no boundary with any other force
# must be an island (coast all round); a part bordering another force while not being
# the force's main part means a district was given to the wrong force.
detached="$(q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60),
     part AS (SELECT f.force, i, ST_GeometryN(f.geom, i) AS g, ST_Area(ST_GeometryN(f.geom, i)) AS a
              FROM force_area f JOIN n ON i <= ST_NumGeometries(f.geom)),
     main AS (SELECT force, max(a) AS a FROM part GROUP BY force)
     SELECT p.force || ': a part of ' || printf('%.1f', p.a / 1e6) || ' km2 borders ' || o.force
     FROM part p JOIN main m ON m.force = p.force AND p.a < m.a
          JOIN force_area o ON o.force <> p.force AND MbrIntersects(p.g, o.geom) AND ST_Intersects(p.g, o.geom)
     ORDER BY p.force, p.a DESC;")"
[[ -z "$detached" ]] || die "force areas with a detached mainland part (check the mapping): $detached"
echo "  every part of a force area apart from its largest is an island"

# The bundled Derbyshire force area (tools/make_geodata.sh, ungeneralised) must survive
# the generalisation: area within 0.5%, symmetric difference under 1% of the area.
DERBYSHIRE="$OUT/derbyshire_force_area.gpkg"
if [[ -f "$DERBYSHIRE" ]]; then
  cmp_derby="$(q "ATTACH DATABASE $(sql_quote "$DERBYSHIRE") AS d;" \
    "SELECT printf('%.2f|%.2f|%.2f', ST_Area(a.geom) / 1e6, ST_Area(GeomFromGPB(b.geom)) / 1e6,
                   ST_Area(ST_SymDifference(a.geom, GeomFromGPB(b.geom))) / 1e6)
     FROM force_area a, d.force_area b WHERE a.force = 'Derbyshire Constabulary';" | tail -1)"
  IFS='|' read -r derby_km2 bundled_km2 symdiff_km2 <<<"$cmp_derby"
  awk -v a="$derby_km2" -v b="$bundled_km2" -v s="$symdiff_km2" \
    'BEGIN { d = (a - b) / b; exit !(d < 0.005 && d > -0.005 && s / b < 0.01) }' ||
    die "Derbyshire: $derby_km2 km2 here, $bundled_km2 km2 in $DERBYSHIRE, symmetric difference $symdiff_km2 km2"
  echo "  Derbyshire Constabulary: $derby_km2 km2; $DERBYSHIRE: $bundled_km2 km2; symmetric difference $symdiff_km2 km2"
else
  echo "  (no $DERBYSHIRE to compare Derbyshire with; run tools/make_geodata.sh first)"
fi

# ------------------------------------------------------------------ the GeoPackage
attribution="Contains National Statistics data (c) Crown copyright and database right 2011. Open Government Licence v3.0."
tmp_gpkg="$TMP/england_force_areas.gpkg"
ogr2ogr -f GPKG "$tmp_gpkg" "$DB" \
  -sql "SELECT name, code, force, geom FROM district ORDER BY name" \
  -nln districts -a_srs EPSG:27700 -nlt MULTIPOLYGON \
  -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES \
  -lco IDENTIFIER="English local authority districts by police force" \
  -lco DESCRIPTION="The 326 English local authority districts (2011, generalised, $TOL m coverage simplification), each with its police force (data.police.uk 'Falls within' name). $attribution"
ogr2ogr -update "$tmp_gpkg" "$DB" \
  -sql "SELECT force, districts, n_districts, geom FROM force_area ORDER BY force" \
  -nln force_areas -a_srs EPSG:27700 -nlt MULTIPOLYGON \
  -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=YES \
  -lco IDENTIFIER="English police force areas" \
  -lco DESCRIPTION="The 39 English territorial police force areas as unions of their local authority districts (2011, generalised). $attribution"
errs="$(ogrinfo -ro -al -so "$tmp_gpkg" 2>&1 >/dev/null || true)"
[[ -z "$errs" ]] || die "ogrinfo reported: $errs"
mv -f "$tmp_gpkg" "$GPKG"
printf '  %s: %s bytes\n' "$GPKG" "$(stat -c %s "$GPKG")"
echo "done."
