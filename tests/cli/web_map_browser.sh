#!/usr/bin/env bash
# The web map in a real browser: `hotref serve` on the real Derbyshire run (Gi*), Debian's
# chromium headless driven by puppeteer-core (tests/web/map_browser.cjs): the page loads
# with a patrol planner's token, the hotspots layer renders, a click inside the top hotspot
# opens its card with the name, count, referrals and evaluated change the API gives, the
# bulletin opens. Then curl reads
# the f=html pages, a style and the significant cells as QGIS over OAPIF would (720 synthetic
# referrals are linked and the run evaluated, so that the card has KPIs and a change). The
# screenshot is kept in $HOTREF_TEST_OUT (default: a temp dir) as web_map.png.
set -euo pipefail
hotref="$1"
root="$2"
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
out="${HOTREF_TEST_OUT:-$work}"
mkdir -p "$out"
export HOTREF_NO_PROGRESS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$root/web/node_modules/puppeteer-core" ] || fail "puppeteer-core is not installed: run tools/setup.sh"
[ -x /usr/bin/chromium ] || fail "chromium is not installed: run tools/setup.sh"

store="$work/s.sqlite"
area="$root/geodata/derbyshire_force_area.gpkg"
"$hotref" ingest -q --store "$store" --area "$area" "$root/geodata/police-uk/derbyshire-2025" 2>/dev/null
"$hotref" hotspots --method gistar --store "$store" --area "$area" --cell-size 500 --top 0 >/dev/null 2>&1
# Referrals linked to the hotspots and an evaluation, so that the card has KPIs and a change to show.
export HOTREF_REFERRAL_SECRET=test-secret-for-the-web-map-run
/usr/bin/python3 "$root/tools/gen/gen_referrals.py" --count 720 --seed 7 --as-of 2026-12-31 --out "$work/r.csv" 2>/dev/null
"$hotref" referral import --store "$store" "$work/r.csv" >/dev/null
"$hotref" referral link --store "$store" >/dev/null
"$hotref" evaluate --store "$store" --date 2025-07 --months 6 >/dev/null 2>&1
planner="$("$hotref" token create --store "$store" --role patrol-planner --name "Test planner" 2>/dev/null)"
caseworker="$("$hotref" token create --store "$store" --role caseworker --name "Test caseworker" 2>/dev/null)"
# A second run (the first half year) for the run selector; the served run stays the whole year's.
"$hotref" hotspots --method gistar --store "$store" --area "$area" --cell-size 500 --from 2025-01 --to 2025-06 \
  --top 0 >/dev/null 2>&1

"$hotref" serve --store "$store" --port 0 --port-file "$work/port" --access-log "$work/access" 2> "$work/err" &
pid=$!
for _ in $(seq 1 600); do
  if [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$(cat "$work/port")/readyz" >/dev/null || { cat "$work/err" >&2; fail "serve did not become ready"; }
url="http://127.0.0.1:$(cat "$work/port")"
auth="Authorization: Bearer $planner"

# What the API says of the top hotspot, and how many there are.
curl -sf -H "$auth" "$url/collections/hotspots/items/H-0001" > "$work/h1.json"
name="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["properties"]["name"])' "$work/h1.json")"
incidents="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["properties"]["incidents"])' "$work/h1.json")"
count="$(curl -sf -H "$auth" "$url/collections/hotspots/items?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')"
[ -n "$name" ] && [ "$count" -gt 0 ] || fail "the API gives no top hotspot"

node "$root/tests/web/map_browser.cjs" "$root" "$url" "$planner" H-0001 "$out/web_map.png" "$caseworker"
[ -s "$out/web_map.png" ] && [ -s "$out/web_map_referral.png" ] || fail "no screenshot"

# The page and its scripts answer without a token (they hold no data); the data does not.
code="$(curl -s -o /dev/null -w '%{http_code}' "$url/map")"
[ "$code" = 200 ] || fail "/map without a token: $code"
code="$(curl -s -o /dev/null -w '%{http_code}' "$url/collections/hotspots/items")"
[ "$code" = 401 ] || fail "items without a token: expected 401, got $code"

# f=html, as a browser asks for it: the collections page links each collection's page.
curl -sf -H "$auth" -H "Accept: text/html" "$url/collections" > "$work/collections.html"
grep -q '<a href="http://127.0.0.1:[0-9]*/collections/hotspots?f=html">Hotspots</a>' "$work/collections.html" \
  || fail "the collections page does not link the hotspots page"
curl -sf -H "$auth" "$url/collections/hotspots/items?f=html&limit=5" > "$work/items.html"
escaped="$(python3 -c 'import html,sys; print(html.escape(sys.argv[1]))' "$name")"
grep -qF "<td>$escaped</td>" "$work/items.html" || fail "the items page does not show '$escaped'"

# QGIS over OAPIF: the QML linked from the collection, and the significant cells only.
qml="$(curl -sf -H "$auth" "$url/collections/cells" | python3 -c '
import json,sys
print([l["href"] for l in json.load(sys.stdin)["links"] if l["type"] == "application/vnd.qgis.qml"][0])')"
curl -sf -H "$auth" "$qml" | grep -q 'attr="bin"' || fail "the cells' QML ($qml) is not the Gi* style"
ogrinfo -so --config GDAL_HTTP_HEADERS "$auth" "OAPIF:$url" cells-significant > "$work/sig.txt"
significant="$(sed -n 's/^Feature Count: //p' "$work/sig.txt")"
bins="$(curl -sf -H "$auth" "$url/collections/cells-significant/items?limit=1000" | python3 -c '
import json,sys
print(sorted({f["properties"]["bin"] for f in json.load(sys.stdin)["features"]}))')"
[ "${significant:-0}" -gt 0 ] || fail "GDAL reads no significant cell"
case "$bins" in *" 0,"*|*"[0,"*|*" 0]"*) fail "a not-significant cell in cells-significant: $bins";; esac
echo "web map: $count hotspots, card of H-0001 ($name, $incidents), $significant significant cells ($bins)"
