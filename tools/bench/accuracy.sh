#!/usr/bin/env bash
# Out-of-sample accuracy of the hotspot methods on the bundled Derbyshire 2025 data,
# rolling origin: for each month t from 2025-07 to 2025-10, every method is trained on
# the months before t and tested on t..t+2. Reports, side by side for the same K, the
# share of the test months' ASB caught and the PAI of: patrol hotspots; the top K cells
# of 150, 250 and 500 m grids; Gi* hotspots, KDE top cells and DBSCAN clusters trimmed to
# patrol's total area (tools/bench/accuracy.cpp says how each is scored).
#
# Usage: tools/bench/accuracy.sh [--count K] [--max-area KM2] [--out docs/benchmarks.md]
#   --out FILE  append the result (machine, command, date, table) to FILE and write
#               the chart to docs/img/accuracy.png
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source tools/bench/common.sh
count=20 max_area=0.25 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --max-area) max_area="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "accuracy.sh: unknown argument $1 (try -h)" >&2; exit 2 ;;
  esac
done
tools/build.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
store="$work/acc.sqlite"
build/hotref ingest -q --store "$store" geodata/police-uk/derbyshire-2025 > /dev/null
mkdir -p docs/img
cmd=(build/hotref-accuracy --store "$store" --area geodata/derbyshire_force_area.gpkg --count "$count"
     --max-area "$max_area" --csv "$work/accuracy.csv" --chart "$work/accuracy.png")
start=$(date +%s.%N)
"${cmd[@]}" | tee "$work/result.txt"
end=$(date +%s.%N)
if [ -n "$out" ]; then
  cp "$work/accuracy.png" docs/img/accuracy.png
  {
    echo
    echo "## Hotspot accuracy out of sample — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "- machine: $(nproc) CPU(s), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
    echo "- command: \`tools/bench/accuracy.sh --count $count --max-area $max_area --out $out\` ($(q "${cmd[@]}"))"
    awk -v s="$start" -v e="$end" 'BEGIN { printf "- wall time: %.1f s (4 origins, 3 stored runs each)\n", e - s }'
    echo
    sed -n '/^mean over/,$p' "$work/result.txt"
    echo
    echo "Per origin:"
    echo
    echo '```'
    grep -v '^mean over\|^|\|^patrol /' "$work/result.txt" | sed '/^$/d'
    echo '```'
    echo
    echo "![capture per origin](img/accuracy.png)"
  } >> "$out"
fi
