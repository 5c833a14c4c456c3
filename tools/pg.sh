#!/usr/bin/env bash
# A private PostgreSQL 15 + PostGIS server for the tests and benchmarks: its own data folder
# and Unix socket, no TCP port, stopped and removed by 'stop'. Never touches a system cluster.
#   tools/pg.sh start DIR   initdb into DIR/data, start on DIR/socket, create database hotref;
#                           prints the store URL (postgresql://...)
#   tools/pg.sh url DIR     prints the URL again
#   tools/pg.sh stop DIR    stops the server and removes DIR
set -euo pipefail
cmd="${1:?usage: tools/pg.sh start|url|stop DIR}"
dir="${2:?usage: tools/pg.sh start|url|stop DIR}"
bin="${HOTREF_PG_BIN:-/usr/lib/postgresql/15/bin}"
port="${HOTREF_PG_PORT:-54329}"
url() { echo "postgresql:///hotref?host=$dir/socket&port=$port&user=hotref"; }
# initdb and postgres refuse to run as root: run them as the postgres system user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
fi
case "$cmd" in
  start)
    [ -x "$bin/initdb" ] || { echo "pg.sh: no PostgreSQL 15 server in $bin: apt-get install postgresql-15 postgresql-15-postgis-3 (tools/setup.sh)" >&2; exit 1; }
    mkdir -p "$dir/socket"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$dir"; chmod 755 "$dir"; fi
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -A trust -U hotref -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir/socket -p $port -c listen_addresses='' -c fsync=off -c max_connections=200 -c shared_buffers=256MB" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    "${as_pg[@]}" "$bin/createdb" -h "$dir/socket" -p "$port" -U hotref hotref
    url
    ;;
  url) dir="$(cd "$dir" && pwd)"; url ;;
  stop)
    if [ -d "$dir/data" ]; then
      "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "pg.sh: unknown command $cmd (start, url, stop)" >&2; exit 2 ;;
esac
