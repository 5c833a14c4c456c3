#!/usr/bin/env bash
# Installs what hotref needs to build, run and test, from Debian 12 packages
# (QGIS is for the real-client tests of the map layers, poppler-utils and QtWebKit for the
# tests that read, render and print the bulletins; clang with its libFuzzer and sanitizer
# runtimes and llvm-symbolizer for tools/fuzz.sh; chromium for the web map's browser test;
# node and npm for the web map's packages, installed by tools/web.sh; R's survival package
# for the Kaplan-Meier cross-check of hotref referral compare).
# Idempotent and quick when everything is already there. Run as root (or with sudo).
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libgeos-dev libproj-dev proj-data libgdal-dev gdal-bin
  libsqlite3-dev libsqlite3-mod-spatialite sqlite3
  libpq-dev postgresql-15 postgresql-15-postgis-3
  libboost-dev libboost-program-options-dev
  libprotobuf-dev protobuf-compiler
  libssl-dev nlohmann-json3-dev doctest-dev libcairo2-dev fonts-dejavu-core libglpk-dev
  libxlsxwriter-dev
  poppler-utils python3-pyqt5.qtwebkit
  qgis python3-qgis qgis-providers
  curl openssl
  clang libclang-rt-14-dev llvm
  chromium
  r-base-core r-cran-survival
)
# Debian's node and npm, unless the machine has them already (from any source).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  "$root/tools/web.sh"
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
"$root/tools/web.sh"
