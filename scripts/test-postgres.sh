#!/usr/bin/env bash
# A throw-away PostgreSQL server on a loopback port, for the test suite.
#   test-postgres.sh start DIR PORT   -> prints the database URL
#   test-postgres.sh stop DIR
# PostgreSQL refuses to run as root, so as root it runs as the unprivileged 'postgres' user.
set -euo pipefail
action=$1 dir=$2 port=${3:-54329}
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && { id postgres >/dev/null 2>&1 || as_owner true; chown postgres "$dir"; }
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log"
  # Durability is pointless for a throw-away database; speed is not.
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres staffbank_test
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/staffbank_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
esac
