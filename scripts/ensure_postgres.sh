#!/bin/sh
# Start a throw-away PostgreSQL cluster for the tests and print its SQLAlchemy URL.
#
#   scripts/ensure_postgres.sh [start] [DIR]   → prints postgresql+psycopg://postgres@127.0.0.1:PORT/valuation_test
#   scripts/ensure_postgres.sh stop DIR        → stops the cluster in DIR and removes DIR
#
# Idempotent: a cluster already running in DIR is reused (its URL is printed again).
# If PostgreSQL is not installed and we may install it (CI=true, or root with apt-get), it is
# installed from the distribution's packages. The server runs as the `postgres` user when we are
# root (initdb refuses root), listens on 127.0.0.1 only, trusts local connections, and keeps its
# socket in DIR. Durability is switched off (fsync=off): the data is thrown away.
# Environment: PG_TEST_PORT (port to use; default: a free one), PG_TEST_DB (default valuation_test).
# Messages go to stderr; stdout carries only the URL. Exit status ≠ 0 when no server could start.
set -eu

say() { echo "ensure_postgres: $*" >&2; }

cmd=start
case "${1:-}" in
  start) shift ;;
  stop) cmd=stop; shift ;;
esac
DIR="${1:-}"
DB="${PG_TEST_DB:-valuation_test}"

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/initdb" ]; then
    pg_config --bindir; return 0
  fi
  # newest version first
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"; return 0
  fi
  return 1
}

# as_pg CMD...: run as the postgres user when we are root (initdb/postgres refuse root)
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      # su needs one command string; our arguments contain no quotes
      su postgres -s /bin/sh -c "$*"
    fi
  else
    "$@"
  fi
}

if [ "$cmd" = stop ]; then
  [ -n "$DIR" ] || { say "stop needs the cluster directory"; exit 2; }
  if BIN=$(find_bindir) && [ -f "$DIR/data/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  case "$DIR" in
    /tmp/*|"${TMPDIR:-/tmp}"/*) rm -rf "$DIR" ;;
    *) say "not removing $DIR (outside the temporary directory)" ;;
  esac
  exit 0
fi

if ! BIN=$(find_bindir); then
  if [ "${CI:-}" = "true" ] || { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }; then
    say "PostgreSQL not found: installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq postgresql >/dev/null
    BIN=$(find_bindir) || { say "PostgreSQL still missing after apt-get install"; exit 1; }
  else
    say "PostgreSQL (initdb, pg_ctl) not found and not allowed to install it (not root/CI)"
    exit 1
  fi
fi

if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
  say "creating the system user postgres"
  useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
fi

if [ -z "$DIR" ]; then
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/valuation-pg.XXXXXX")
fi
mkdir -p "$DIR"

# Reuse a cluster already running in DIR.
if [ -f "$DIR/url" ] && [ -f "$DIR/data/postmaster.pid" ] \
   && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  cat "$DIR/url"
  exit 0
fi

free_port() {
  if [ -n "${PG_TEST_PORT:-}" ]; then echo "$PG_TEST_PORT"; return; fi
  for py in python3 python; do
    if command -v "$py" >/dev/null 2>&1; then
      "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' \
        2>/dev/null && return
    fi
  done
  echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
}
PORT=$(free_port)

if [ "$(id -u)" = "0" ]; then chown postgres "$DIR"; fi
chmod 700 "$DIR"

if [ ! -f "$DIR/data/PG_VERSION" ]; then
  as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$DIR/initdb.log" 2>&1 \
    || as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$DIR/initdb.log" 2>&1 \
    || { say "initdb failed:"; tail -n 20 "$DIR/initdb.log" >&2; exit 1; }
fi

if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
     -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
     start >/dev/null 2>&1; then
  say "the server did not start:"; tail -n 20 "$DIR/server.log" >&2 || true
  exit 1
fi

if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi

URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
echo "$URL" >"$DIR/url"
say "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, cluster in $DIR"
echo "$URL"
