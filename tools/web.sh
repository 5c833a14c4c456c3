#!/usr/bin/env bash
# Installs the web map's npm packages (web/package-lock.json: MapLibre GL JS, and
# puppeteer-core for the browser test) into web/node_modules, from which the build
# copies MapLibre into build/web (no CDN: the page works offline). Quick when they
# are there already. Needs node and npm (tools/setup.sh installs Debian's).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/web"
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ -f node_modules/maplibre-gl/dist/maplibre-gl.js ] && [ ! package-lock.json -nt "$stamp" ]; then
  exit 0
fi
echo "web: npm ci (web/package-lock.json)" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
