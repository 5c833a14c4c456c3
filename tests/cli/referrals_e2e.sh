#!/usr/bin/env bash
# End to end: 720 synthetic referrals (tools/gen/gen_referrals.py, the Derbyshire pilot's
# rates) imported without an error, linked to the real Derbyshire hotspots, and the KPIs
# come out at the rates the generator was given.
set -euo pipefail
hotref="$1"
root="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOTREF_NO_PROGRESS=1 HOTREF_REFERRAL_SECRET=test-secret-for-the-e2e-run
/usr/bin/python3 "$root/tools/gen/gen_referrals.py" --count 720 --seed 7 --as-of 2026-12-31 --out "$work/r.csv" 2>/dev/null
"$hotref" ingest -q --store "$work/s.sqlite" --area "$root/geodata/derbyshire_force_area.gpkg" \
  "$root/geodata/police-uk/derbyshire-2025" 2>/dev/null
"$hotref" hotspots --method gistar --store "$work/s.sqlite" --area "$root/geodata/derbyshire_force_area.gpkg" --cell-size 250 \
  --top 0 >/dev/null 2>&1
"$hotref" referral import --store "$work/s.sqlite" "$work/r.csv" | tee "$work/import.txt"
grep -q "720 rows: 720 created, 0 updated, 0 unchanged, 0 rejected" "$work/import.txt"
"$hotref" referral link --store "$work/s.sqlite" | tee "$work/link.txt"
"$hotref" referral kpis --store "$work/s.sqlite" --as-of 2026-12-31 --profile internal | tee "$work/kpis.txt"
scheme="$(grep '^scheme' "$work/kpis.txt")"
echo "$scheme" | grep -q " 720 " || { echo "FAIL: expected 720 referrals"; exit 1; }
echo "$scheme" | grep -q "78% (" || { echo "FAIL: completion is not 78%"; exit 1; }
echo "$scheme" | grep -q "79% (" || { echo "FAIL: not reoffending is not 79%"; exit 1; }
echo "$scheme" | grep -q "100% (" || { echo "FAIL: victim satisfaction is not 100%"; exit 1; }
# Published: nothing below 10 shown.
"$hotref" referral kpis --store "$work/s.sqlite" --as-of 2026-12-31 > "$work/pub.txt"
grep -q "OFFICIAL" "$work/pub.txt"
# The hotspot layer carries the KPIs: shares only, nothing from fewer than 10 referrals.
# The internal profile has the true figures; the published one the same within the cell-key noise (+/-2).
"$hotref" layers --store "$work/s.sqlite" --out "$work/internal" --no-tiles --profile internal >/dev/null
top="$(sqlite3 "$work/internal/hotref.gpkg" "SELECT ij_referrals, round(ij_completed_pct) FROM hotspots WHERE rank = 1")"
echo "top hotspot: $top"
[ "$top" = "268.0|77.0" ] || { echo "FAIL: top hotspot KPIs $top"; exit 1; }
"$hotref" layers --store "$work/s.sqlite" --out "$work/layers" --no-tiles >/dev/null
pub="$(sqlite3 "$work/layers/hotref.gpkg" "SELECT abs(ij_referrals - 268) <= 2 AND abs(ij_completed_pct - 77) < 2 FROM hotspots WHERE rank = 1")"
[ "$pub" = "1" ] || { echo "FAIL: published top hotspot KPIs too far from the truth"; exit 1; }
small="$(sqlite3 "$work/layers/hotref.gpkg" "SELECT count(*) FROM hotspots WHERE ij_referrals > 0 AND ij_referrals < 10")"
[ "$small" = "0" ] || { echo "FAIL: $small hotspots show fewer than 10 referrals"; exit 1; }
withheld="$(sqlite3 "$work/layers/hotref.gpkg" "SELECT count(*) FROM hotspots WHERE ij_referrals IS NULL AND ij_completed_pct IS NOT NULL")"
[ "$withheld" = "0" ] || { echo "FAIL: a share shown where the count is withheld"; exit 1; }
# The evaluation facts (issue 18): the generator's assumed rates come out, and the layer carries them.
facts="$(grep -A2 '^Onward support' "$work/kpis.txt" | grep '^scheme')"
echo "$facts" | grep -q "2% (11/667)" || { echo "FAIL: interpreters are not the generator's 2%: $facts"; exit 1; }
echo "$facts" | grep -q "20% (144/720)" || { echo "FAIL: onward referrals are not 144 of 720: $facts"; exit 1; }
shown="$(sqlite3 "$work/layers/hotref.gpkg" "SELECT ij_onward_pct IS NOT NULL AND ij_learnt_pct IS NOT NULL FROM hotspots WHERE rank = 1")"
[ "$shown" = "1" ] || { echo "FAIL: the top hotspot has no published onward/survey KPIs"; exit 1; }
withheld="$(sqlite3 "$work/layers/hotref.gpkg" "SELECT count(*) FROM hotspots WHERE ij_referrals IS NULL AND (ij_onward_pct IS NOT NULL OR ij_qualified_pct IS NOT NULL OR ij_interpreter_pct IS NOT NULL OR ij_learnt_pct IS NOT NULL)")"
[ "$withheld" = "0" ] || { echo "FAIL: an evaluation share shown where the count is withheld"; exit 1; }
echo "referrals e2e: ok"
