#!/usr/bin/env bash
# Real-client check: QGIS itself (headless) opens the layers of the real Derbyshire run:
# every GeoPackage layer valid, in EPSG:27700, with its stored style applied, and the
# QGIS project opens and renders. PNGs are kept in $HOTREF_TEST_OUT (default: a temp dir).
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
"$hotref" layers --store "$work/s.sqlite" --out "$work/layers" --max-zoom 10 >/dev/null
/usr/bin/python3 "$root/tools/qgis_check.py" --gpkg "$work/layers/hotref.gpkg" \
  --require-style hotspots --require-style hotspot_cells --require-style incidents --require-style study_area \
  --png "$out/qgis_gpkg.png"
/usr/bin/python3 "$root/tools/qgis_project_check.py" "$work/layers/hotref.qgs" --png "$out/qgis_project.png"
/usr/bin/python3 "$root/tools/qgis_check.py" \
  --xyz "type=xyz&url=file://$work/layers/tiles/{z}/{x}/{y}.pbf&zmin=8&zmax=10" \
  --crs EPSG:3857 --extent=-185000,6950000,-145000,6990000 --png "$out/qgis_tiles.png"
"$hotref" evaluate --store "$work/s.sqlite" --date 2025-07 --months 6 --gpkg "$work/evaluation.gpkg" >/dev/null 2>&1
/usr/bin/python3 "$root/tools/qgis_check.py" --gpkg "$work/evaluation.gpkg" --require-style evaluation_hotspots \
  --require-style evaluation_buffers --require-style evaluation_control --png "$out/qgis_evaluation.png"
