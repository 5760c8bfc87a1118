#!/usr/bin/env bash
# Run a command (the test suite) with a PostgreSQL server it can create databases on.
#
#   1. ANITRAKT_TEST_PG_URL already set            → use it as is;
#   2. a server answers at 127.0.0.1:5432 as postgres → use it;
#   3. the machine's own cluster is installed but stopped → start it (pg_ctlcluster);
#   4. PostgreSQL binaries exist                   → run a throwaway server in .pg-test/;
#   5. otherwise say so loudly: the PostgreSQL tests will be reported as skipped.
set -uo pipefail

PYTHON=${PYTHON:-python3}
DEFAULT_URL="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

answers() {  # answers URL → exit 0 when a server accepts a connection
  "$PYTHON" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1]).set(drivername="postgresql").render_as_string(hide_password=False)
psycopg.connect(url, connect_timeout=3).close()
PY
}

if [ -n "${ANITRAKT_TEST_PG_URL:-}" ]; then
  exec "$@"
fi

if answers "$DEFAULT_URL"; then
  export ANITRAKT_TEST_PG_URL="$DEFAULT_URL"
  exec "$@"
fi

if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ "$(id -u)" = 0 ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "with-postgres: starting the local PostgreSQL $version cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do
    if answers "$DEFAULT_URL"; then
      export ANITRAKT_TEST_PG_URL="$DEFAULT_URL"
      exec "$@"
    fi
    sleep 0.5
  done
fi

bindir=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi

if [ -n "$bindir" ] && [ -x "$bindir/initdb" ]; then
  root=$(mktemp -d "${TMPDIR:-/tmp}/anitrakt-pg.XXXXXX")
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_owner=()
  if [ "$(id -u)" = 0 ]; then  # initdb refuses to run as root
    chown postgres "$root" 2>/dev/null && as_owner=(runuser -u postgres --)
  fi
  echo "with-postgres: starting a throwaway PostgreSQL on port $port ($root)" >&2
  "${as_owner[@]}" "$bindir/initdb" -D "$root/data" -U postgres -A trust >/dev/null &&
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$root/data" -l "$root/log" -w \
      -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  if [ $? -eq 0 ]; then
    export ANITRAKT_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    "$@"
    status=$?
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$root/data" -m fast stop >/dev/null 2>&1
    rm -rf "$root"
    exit $status
  fi
  echo "with-postgres: could not start a throwaway server (see $root/log)" >&2
fi

echo "with-postgres: NO PostgreSQL available; the PostgreSQL tests will be SKIPPED" >&2
exec "$@"
