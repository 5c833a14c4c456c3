#!/usr/bin/env bash
# The main job on the bundled real data (data.police.uk, Derbyshire, 2025):
# installs what is missing, builds, and runs the pipeline into out/hotref.sqlite.
# Idempotent: a second run finds every feed unchanged.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools/setup.sh
tools/build.sh
mkdir -p out
hotref="build/hotref"
store="${HOTREF_DEMO_STORE:-out/hotref.sqlite}" # or a postgresql:// URL (docs/deployment.md)

echo "== ingest: data.police.uk street-level crime, Derbyshire 2025 (12 months)"
"$hotref" ingest --store "$store" --area geodata/derbyshire_force_area.gpkg geodata/police-uk/derbyshire-2025
echo
echo "== status"
"$hotref" status --store "$store" --limit 12

echo
echo "== analytical hotspots: Gi* with FDR on 250 m cells in the force area, ASB, all of 2025, with monthly trends"
"$hotref" hotspots --method gistar --store "$store" --area geodata/derbyshire_force_area.gpkg --cell-size 250 \
  --trends --top 5 | tee out/hotspots-gistar.txt
gi_run="$(sed -n 's/.*\(stored as\|unchanged:\) run \([0-9]*\) .*/\2/p' out/hotspots-gistar.txt | tail -1)"
"$hotref" layers --store "$store" --run "$gi_run" --out out/layers-gistar --overwrite > /dev/null
echo "(out/layers-gistar: the Gi* cells and hotspots as map layers for the hotspot manager)"

echo
echo "== patrol hotspots: the 20 micro-places (at most 0.25 km2 each) to patrol in January 2026"
"$hotref" hotspots --store "$store" --area geodata/derbyshire_force_area.gpkg --top 20 | tee out/hotspots.txt
run_id="$(sed -n 's/.*\(stored as\|unchanged:\) run \([0-9]*\) .*/\2/p' out/hotspots.txt | tail -1)"

echo
echo "== layers for QGIS: styled GeoPackage + project, GeoJSON, FlatGeobuf, CSV, vector tiles (published profile)"
"$hotref" layers --store "$store" --run "$run_id" --out out/layers --overwrite
echo
echo "Open out/layers/hotref.qgs in QGIS (or out/layers/hotref.gpkg: every layer opens styled)."

echo
echo "== Immediate Justice referrals (SYNTHETIC: 720 generated at the Derbyshire pilot's rates)"
secret_file=out/referral.secret
if [ ! -s "$secret_file" ]; then
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$secret_file"
  chmod 600 "$secret_file"
fi
/usr/bin/python3 tools/gen/gen_referrals.py --count 720 --seed 7 --as-of 2026-12-31 --out out/referrals-synthetic.csv 2>/dev/null
"$hotref" referral import --store "$store" --secret-file "$secret_file" --actor demo out/referrals-synthetic.csv
"$hotref" referral link --store "$store" --run "$run_id"
"$hotref" referral kpis --store "$store" --run "$run_id" --as-of 2026-12-31
"$hotref" layers --store "$store" --run "$run_id" --out out/layers --overwrite > /dev/null
echo "(out/layers/hotref.gpkg: the hotspots layer now carries the referral KPIs, shares only)"

echo
echo "== Immediate Justice against the other routes (SYNTHETIC comparison cohort: 400 people per route)"
/usr/bin/python3 tools/gen/gen_cohort.py --per-route 400 --seed 11 --as-of 2026-12-31 \
  --out out/cohort-synthetic.csv 2>/dev/null
"$hotref" referral cohort-import --store "$store" --secret-file "$secret_file" out/cohort-synthetic.csv
"$hotref" referral compare --store "$store" --as-of 2026-12-31 --label "SYNTHETIC referrals and cohort" \
  --csv out/compare-synthetic.csv

echo
echo "== the scheme's costs and outcomes (SYNTHETIC outcomes; inputs docs/examples/scheme-costs.conf)"
"$hotref" referral costs --store "$store" --config docs/examples/scheme-costs.conf --as-of 2026-12-31 \
  --label "SYNTHETIC referrals and cohort; illustrative cost inputs" --csv out/scheme-costs.csv \
  --chart out/scheme-costs.png --html out/scheme-costs.html

echo
echo "== evaluation: patrol hotspots chosen from January-June 2025, before (Jan-Jun) and after (Jul-Dec)"
"$hotref" hotspots --store "$store" --area geodata/derbyshire_force_area.gpkg \
  --from 2025-01 --to 2025-06 --top 0 > out/hotspots-h1.txt 2>/dev/null
rm -f out/evaluation.gpkg
h1_run="$(sed -n 's/.*\(stored as\|unchanged:\) run \([0-9]*\) .*/\2/p' out/hotspots-h1.txt | tail -1)"
"$hotref" evaluate --store "$store" --run "$h1_run" --date 2025-07 --months 6 --csv out/evaluation.csv \
  --charts out/charts --gpkg out/evaluation.gpkg

echo
echo "== patrol bulletin: December 2025, top 5 hotspots (A4 PDF and printable HTML, published profile)"
"$hotref" bulletin --store "$store" --run "$run_id" --month 2025-12 --top 5 --out out --name bulletin
echo "(open out/bulletin.pdf, or out/bulletin.html in a browser)"

echo
echo "== the service: hotref serve on the store, asked by GDAL's OGC API - Features client, then stopped"
token_name="demo-$(date -u +%Y%m%dT%H%M%S)"
token="$("$hotref" token create --store "$store" --role hotspot-manager --name "$token_name" 2>/dev/null)"
rm -f out/serve.port
"$hotref" serve --store "$store" --port 0 --port-file out/serve.port --access-log out/serve-access.log \
  2> out/serve.log &
serve_pid=$!
for _ in $(seq 1 300); do
  if [ -s out/serve.port ] && curl -sf "http://127.0.0.1:$(cat out/serve.port)/readyz" > /dev/null; then break; fi
  sleep 0.2
done
ogrinfo -q --config GDAL_HTTP_HEADERS "Authorization: Bearer $token" "OAPIF:http://127.0.0.1:$(cat out/serve.port)"
kill -TERM "$serve_pid"
wait "$serve_pid"
"$hotref" token revoke --store "$store" --name "$token_name" > /dev/null
echo "(start it yourself: hotref token create --role hotspot-manager --name NAME; hotref serve --store $store; docs/serve.md)"
