#!/usr/bin/env bash
# The PostgreSQL 15 + PostGIS server the store suites run on a second time (tests/CMakeLists.txt:
# the ctest fixture "pg"). start: a private server (tools/pg.sh) with the template database
# hotref_template, PostGIS already in it, from which each test's fresh database is copied.
#   tests/pg_server.sh start|stop DIR
set -euo pipefail
cmd="${1:?usage: tests/pg_server.sh start|stop DIR}"
dir="${2:?usage: tests/pg_server.sh start|stop DIR}"
here="$(cd "$(dirname "$0")/.." && pwd)"
case "$cmd" in
  start)
    "$here/tools/pg.sh" stop "$dir"
    url="$("$here/tools/pg.sh" start "$dir")"
    psql "$url" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE hotref_template"
    psql "${url/\/\/\/hotref?//\/\/hotref_template?}" -v ON_ERROR_STOP=1 -q -c "CREATE EXTENSION postgis"
    echo "PostgreSQL for the store suites: $url"
    ;;
  stop) "$here/tools/pg.sh" stop "$dir" ;;
  *) echo "pg_server.sh: unknown command $cmd (start, stop)" >&2; exit 2 ;;
esac
