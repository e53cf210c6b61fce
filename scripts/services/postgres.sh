#!/usr/bin/env bash
# A private PostgreSQL cluster for the store tests and benchmarks, on 127.0.0.1 only.
#   start DIR  initdb under DIR/data (as the `postgres` OS user when run as root: initdb refuses
#              root), start it on a free port with its socket in DIR/run, create the roles
#                chatseal_owner  NOSUPERUSER CREATEDB: runs migrations, owns the schema
#                chatseal_app    NOSUPERUSER NOBYPASSRLS: the application; owns nothing
#              and the superuser-owned database `chatseal`; print the exports the tests read.
#              Passwords are random per start and never written to a file.
#   stop DIR   stop the cluster (fast shutdown) and remove its data.
set -euo pipefail
cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

find_bindir() {
  local d
  if [ -n "${CHATSEAL_PG_BINDIR:-}" ]; then echo "$CHATSEAL_PG_BINDIR"; return; fi
  # Newest installed major version first (Debian installs each under /usr/lib/postgresql/N/bin).
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
}

# initdb and pg_ctl refuse to run as root: run them as `postgres` then, as ourselves otherwise.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

case "$cmd" in
start)
  bin=$(find_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  rm -rf "$dir/data" "$dir/run"
  mkdir -p "$dir/data" "$dir/run" "$dir/log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir/data" "$dir/run" "$dir/log"
    runuser -u postgres -- test -x "$dir" || {
      echo "postgres.sh: the postgres user cannot reach $dir (make its parents 0755)" >&2
      exit 1
    }
  fi
  chmod 700 "$dir/data"
  # Local socket connections for the OS user that owns the cluster only (peer); TCP needs a
  # SCRAM password (RFC 7677), so the roles below cannot log in as one another.
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >"$dir/log/initdb.log" 2>&1 || {
    cat "$dir/log/initdb.log" >&2
    exit 1
  }
  started=""
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/run -c max_connections=200" \
      start >&2; then
      started=yes
      break
    fi
  done
  [ -n "$started" ] || { echo "postgres.sh: the server did not start" >&2; tail -20 "$dir/log/postgres.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  super_pw=$(random_secret)
  owner_pw=$(random_secret)
  app_pw=$(random_secret)
  # Passwords go through stdin, not argv (visible in ps) nor a file.
  as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres -d postgres >&2 <<SQL
ALTER ROLE postgres PASSWORD '$super_pw';
CREATE ROLE chatseal_owner LOGIN NOSUPERUSER NOCREATEROLE CREATEDB NOBYPASSRLS PASSWORD '$owner_pw';
CREATE ROLE chatseal_app LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD '$app_pw';
CREATE DATABASE chatseal OWNER postgres;
REVOKE ALL ON DATABASE chatseal FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE chatseal TO chatseal_owner;
GRANT CONNECT ON DATABASE chatseal TO chatseal_app;
SQL
  base="127.0.0.1:$port"
  echo "export CHATSEAL_TEST_PG_URL=postgresql://chatseal_app:$app_pw@$base/chatseal"
  echo "export CHATSEAL_TEST_PG_ADMIN_URL=postgresql://chatseal_owner:$owner_pw@$base/chatseal"
  echo "export CHATSEAL_TEST_PG_SUPERUSER_URL=postgresql://postgres:$super_pw@$base/chatseal"
  echo "export CHATSEAL_TEST_PG_BINDIR=$bin"
  ;;
stop)
  [ -d "$dir/data" ] || exit 0
  dir=$(cd "$dir" && pwd)
  bin=$(find_bindir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 || true
  fi
  rm -rf "$dir/data" "$dir/run" "$dir/port"
  ;;
*) echo "usage: postgres.sh start|stop DIR" >&2; exit 2 ;;
esac
