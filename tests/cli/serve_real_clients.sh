#!/usr/bin/env bash
# Real clients against `hotref serve` on the real Derbyshire run: GDAL's OAPIF driver
# (with a bearer token), QGIS headless (OGC API - Features and XYZ vector tiles), curl
# (JSON and protobuf, decoded by protoc), HTTPS with a self-signed certificate, and a
# graceful SIGTERM. PNGs are kept in $HOTREF_TEST_OUT (default: a temp dir).
set -euo pipefail
hotref="$1"
root="$2"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
out="${HOTREF_TEST_OUT:-$work}"
mkdir -p "$out"
export HOTREF_NO_PROGRESS=1
fail() { echo "FAIL: $*" >&2; exit 1; }

store="$work/s.sqlite"
"$hotref" ingest -q --store "$store" --area "$root/geodata/derbyshire_force_area.gpkg" \
  "$root/geodata/police-uk/derbyshire-2025" 2>/dev/null
"$hotref" hotspots --method gistar --store "$store" --area "$root/geodata/derbyshire_force_area.gpkg" --cell-size 500 \
  --top 0 >/dev/null 2>&1
admin="$("$hotref" token create --store "$store" --role admin --name "Test admin" 2>/dev/null)"
planner="$("$hotref" token create --store "$store" --role patrol-planner --name "Test planner" 2>/dev/null)"
hotspots="$(sqlite3 "$store" "SELECT count(*) FROM hotspot WHERE run_id = (SELECT max(id) FROM run)")"

# start NAME ARGS...: a server on a free port; sets $port.
start() {
  local name="$1"; shift
  rm -f "$work/$name.port"
  "$hotref" serve --store "$store" --port 0 --port-file "$work/$name.port" \
    --access-log "$work/$name.access" "$@" 2> "$work/$name.err" &
  pids+=($!)
  eval "${name}_pid=$!"
  for _ in $(seq 1 600); do
    if [ -s "$work/$name.port" ]; then
      port="$(cat "$work/$name.port")"
      local scheme=http; [[ " $* " == *" --tls-cert "* ]] && scheme=https
      if curl -ksf "$scheme://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return 0; fi
    fi
    sleep 0.2
  done
  cat "$work/$name.err" >&2
  fail "$name did not become ready"
}

# --- tokens required -------------------------------------------------------------------
start main
main_port=$port
url="http://127.0.0.1:$main_port"
code="$(curl -s -o /dev/null -w '%{http_code}' "$url/collections")"
[ "$code" = 401 ] || fail "no token: expected 401, got $code"

# GDAL's OAPIF driver, with the admin's token: every collection, and the feature count of the hotspots.
ogrinfo --config GDAL_HTTP_HEADERS "Authorization: Bearer $admin" "OAPIF:$url" > "$work/ogrinfo.txt"
for c in hotspots cells incidents study-area hotspots-internal referrals; do
  grep -q "^[0-9]*: $c " "$work/ogrinfo.txt" || fail "ogrinfo OAPIF: no collection $c"
done
# The internal collection holds every hotspot of the store; the published one those of at least
# 5 locations and 5 incidents (docs/disclosure.md).
count="$(ogrinfo -so --config GDAL_HTTP_HEADERS "Authorization: Bearer $admin" "OAPIF:$url" hotspots-internal \
         | sed -n 's/^Feature Count: //p')"
[ "$count" = "$hotspots" ] || fail "ogrinfo OAPIF: $count internal hotspots, the store holds $hotspots"
published="$(ogrinfo -so --config GDAL_HTTP_HEADERS "Authorization: Bearer $admin" "OAPIF:$url" hotspots \
         | sed -n 's/^Feature Count: //p')"
{ [ "$published" -gt 0 ] && [ "$published" -le "$hotspots" ]; } || fail "ogrinfo OAPIF: $published published hotspots of $hotspots"
# ... and with the planner's: no internal layers, no referrals.
ogrinfo --config GDAL_HTTP_HEADERS "Authorization: Bearer $planner" "OAPIF:$url" > "$work/ogrinfo-planner.txt"
if grep -q "internal\|referrals" "$work/ogrinfo-planner.txt"; then fail "a patrol planner sees internal layers"; fi
# A bbox through GDAL's spatial filter: the features it fetched all intersect the box.
ogr2ogr -f GeoJSON "$work/derby.geojson" --config GDAL_HTTP_HEADERS "Authorization: Bearer $planner" \
  "OAPIF:$url" hotspots -spat -1.50 52.90 -1.45 52.94
grep -q '"H-0001"' "$work/derby.geojson" || fail "the bbox around Derby centre lost the top hotspot"

# curl: protobuf, decoded by protoc.
curl -sf -H "Authorization: Bearer $planner" -H "Accept: application/x-protobuf" "$url/v1/hotspots" -o "$work/h.pb"
protoc --decode=hotref.v1.HotspotList -I "$root/proto" hotref/v1/api.proto < "$work/h.pb" > "$work/h.txt"
[ "$(grep -c '^hotspots {' "$work/h.txt")" = "$published" ] || fail "protobuf /v1/hotspots: wrong count"

# QGIS with its own authentication configuration (the built-in ESRI token method carries the token).
/usr/bin/python3 "$root/tools/qgis_auth_check.py" --url "$url" --token "$planner" \
  --collection hotspots --expect-features "$published" --forbidden hotspots-internal --forbidden referrals \
  --tiles hotspots --png "$out/qgis_oapif_token.png"
grep -q 'Test planner "GET /collections/hotspots/items' "$work/main.access" || fail "QGIS's requests were not signed"

# Graceful stop: SIGTERM, exit code 0.
kill -TERM "$main_pid"
set +e; wait "$main_pid"; rc=$?; set -e
[ "$rc" = 0 ] || fail "SIGTERM: exit code $rc"
grep -q "stopped" "$work/main.err" || fail "SIGTERM: no 'stopped' message"

# --- anonymous reads of the published layers, for QGIS ----------------------------------
start anon --anonymous
anon_url="http://127.0.0.1:$port"
/usr/bin/python3 "$root/tools/qgis_check.py" --oapif "$anon_url" --collection hotspots --collection cells \
  --png "$out/qgis_oapif.png" --json "$work/qgis_oapif.json"
python3 - "$work/qgis_oapif.json" "$published" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hot = [x for x in r if x.get("kind") == "oapif" and x.get("name") == "hotspots"]
assert hot and hot[0]["ok"] and str(hot[0]["features_fetched"]) == sys.argv[2], hot
PY
/usr/bin/python3 "$root/tools/qgis_check.py" \
  --xyz "type=xyz&url=$anon_url/tiles/hotspots/{z}/{x}/{y}.pbf&zmin=6&zmax=14" \
  --xyz "type=xyz&url=$anon_url/tiles/cells/{z}/{x}/{y}.pbf&zmin=6&zmax=14" \
  --crs EPSG:3857 --extent=-185000,6960000,-150000,6995000 --png "$out/qgis_xyz.png"
grep -q '"GET /tiles/hotspots/[0-9]*/[0-9]*/[0-9]*.pbf" 200 ' "$work/anon.access" || fail "QGIS fetched no tile"
# Referrals are never anonymous.
code="$(curl -s -o /dev/null -w '%{http_code}' "$anon_url/collections/referrals/items")"
[ "$code" = 401 ] || fail "anonymous referrals: expected 401, got $code"
kill -TERM "$anon_pid"; wait "$anon_pid" || true

# --- HTTPS ------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
start tls --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
curl -sf --cacert "$work/cert.pem" -H "Authorization: Bearer $planner" "https://127.0.0.1:$port/collections/hotspots" \
  | grep -q '"id":"hotspots"' || fail "HTTPS: no collection"
code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)"
[ "$code" != 200 ] || fail "plain HTTP answered on the HTTPS port"
kill -TERM "$tls_pid"; wait "$tls_pid" || true
echo "serve: real clients OK ($hotspots hotspots)"
