#!/usr/bin/env bash
# A two-node PostgreSQL cluster under Patroni, with a one-member etcd as its DCS, on 127.0.0.1
# only, for the failover test (tests/store/test_failover.py) and for trying HA by hand.
# Debian 12 packages: patroni, etcd-server (scripts/apt-packages.txt). Not under
# scripts/services/: the test harness starts those for every session, this one starts on demand.
#
#   start DIR         etcd, then node1 (bootstraps the cluster), then node2 (replica by
#                     pg_basebackup); waits for a leader and a streaming synchronous standby;
#                     creates the roles chatseal_owner / chatseal_app and the database chatseal;
#                     prints `export CHATSEAL_HA_…=…` lines on stdout (nothing else there).
#   primary DIR       print the name of the node that is primary now (node1 or node2).
#   kill-primary DIR  SIGKILL the primary's Patroni and then its postmaster (a crashed machine):
#                     the leader key expires after ttl and Patroni promotes the standby.
#   stop DIR          stop every process this script started (by the pids it recorded).
#
# Patroni and PostgreSQL run as the `postgres` OS user when started as root (initdb refuses root).
# synchronous_mode: a commit is acknowledged only once the standby has it, and only a synchronous
# standby is promoted, so an acknowledged commit survives the loss of the primary.
set -euo pipefail
cmd=${1:?usage: ha.sh start|primary|kill-primary|stop DIR}
dir=${2:?usage: ha.sh start|primary|kill-primary|stop DIR}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
random_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  echo "ha.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
}
# Run a daemon as `postgres`, recording the daemon's own pid (not runuser's: SIGKILL of runuser
# would leave the daemon running).
spawn() { # pidfile command...
  local pidfile=$1; shift
  as_pg bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
}
need() { command -v "$1" >/dev/null || { echo "ha.sh: $1 not found (apt-get install $2)" >&2; exit 1; }; }

primary() {
  local n
  for n in node1 node2; do
    [ -f "$dir/$n.api" ] || continue
    # Patroni's REST API answers 200 on /primary only on the leader (Patroni docs, "REST API").
    if curl -fsS -o /dev/null "http://127.0.0.1:$(cat "$dir/$n.api")/primary" 2>/dev/null; then
      echo "$n"
      return 0
    fi
  done
  return 1
}

node_config() { # name api_port pg_port
  local name=$1 api=$2 port=$3
  cat <<YAML
scope: chatseal-ha
namespace: /chatseal/
name: $name
log:
  dir: $dir/log/$name
  level: WARNING
restapi:
  listen: 127.0.0.1:$api
  connect_address: 127.0.0.1:$api
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 100
        wal_keep_size: 128MB
  initdb:
    - encoding: UTF8
    - no-locale
    - auth-local: peer
    - auth-host: scram-sha-256
  pg_hba:
    - local all postgres peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $dir/$name/data
  bin_dir: $bin
  pgpass: $dir/$name/pgpass
  use_unix_socket: true
  parameters:
    unix_socket_directories: $dir/$name/run
  authentication:
    superuser:
      username: postgres
      password: "$super_pw"
    replication:
      username: replicator
      password: "$repl_pw"
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
YAML
}

wait_for() { # seconds description command...
  local limit=$1 what=$2; shift 2
  local i
  for ((i = 0; i < limit * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "ha.sh: timed out waiting for $what" >&2
  tail -n 30 "$dir"/log/*.log "$dir"/log/*/* 2>/dev/null >&2 || true
  return 1
}

case "$cmd" in
start)
  need patroni patroni
  need etcd etcd-server
  need curl curl
  bin=$(bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/etcd" "$dir/log/node1" "$dir/log/node2" "$dir/node1/run" "$dir/node2/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  chmod 700 "$dir/etcd"
  etcd_port=$(free_port)
  peer_port=$(free_port)
  # etcd 3.4 (Debian 12); Patroni's etcd3 driver talks to its gRPC JSON gateway (/v3/).
  spawn "$dir/etcd.pid" etcd --name ha --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "ha=http://127.0.0.1:$peer_port" \
    >"$dir/log/etcd.log" 2>&1 &
  wait_for 20 etcd curl -fsS "http://127.0.0.1:$etcd_port/health"
  super_pw=$(random_secret)
  repl_pw=$(random_secret)
  owner_pw=$(random_secret)
  app_pw=$(random_secret)
  for n in 1 2; do
    api=$(free_port)
    port=$(free_port)
    echo "$api" >"$dir/node$n.api"
    echo "$port" >"$dir/node$n.port"
    node_config "node$n" "$api" "$port" >"$dir/node$n.yml"
    chmod 600 "$dir/node$n.yml"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/node$n.yml" "$dir/node$n.api" "$dir/node$n.port"
  done
  spawn "$dir/node1.pid" patroni "$dir/node1.yml" >"$dir/log/patroni-node1.log" 2>&1 &
  wait_for 60 "node1 to lead" primary
  spawn "$dir/node2.pid" patroni "$dir/node2.yml" >"$dir/log/patroni-node2.log" 2>&1 &
  # The standby is ready when Patroni reports it streaming as the synchronous standby.
  sync_ready() {
    curl -fsS "http://127.0.0.1:$(cat "$dir/node1.api")/cluster" \
      | python3 -c 'import json, sys; m = json.load(sys.stdin)["members"]; sys.exit(0 if any(x["role"] in ("sync_standby", "synchronous_standby") and x["state"] in ("streaming", "running") for x in m) else 1)'
  }
  wait_for 90 "a synchronous standby" sync_ready
  leader=$(primary)
  lport=$(cat "$dir/$leader.port")
  as_pg "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/$leader/run" -p "$lport" -U postgres \
    -d postgres >&2 <<SQL
CREATE ROLE chatseal_owner LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD '$owner_pw';
CREATE ROLE chatseal_app LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS PASSWORD '$app_pw';
CREATE DATABASE chatseal OWNER postgres;
REVOKE ALL ON DATABASE chatseal FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE chatseal TO chatseal_owner;
GRANT CONNECT ON DATABASE chatseal TO chatseal_app;
SQL
  hosts="127.0.0.1:$(cat "$dir/node1.port"),127.0.0.1:$(cat "$dir/node2.port")"
  # libpq tries each host in turn and keeps the one that accepts writes (libpq docs §34.1.1).
  q="target_session_attrs=read-write&connect_timeout=3"
  echo "export CHATSEAL_HA_URL=postgresql://chatseal_app:$app_pw@$hosts/chatseal?$q"
  echo "export CHATSEAL_HA_ADMIN_URL=postgresql://chatseal_owner:$owner_pw@$hosts/chatseal?$q"
  echo "export CHATSEAL_HA_SUPERUSER_URL=postgresql://postgres:$super_pw@$hosts/chatseal?$q"
  ;;
primary)
  primary
  ;;
kill-primary)
  leader=$(primary) || { echo "ha.sh: no primary" >&2; exit 1; }
  kill -KILL "$(cat "$dir/$leader.pid")" 2>/dev/null || true
  pm=$(head -n 1 "$dir/$leader/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pm" ] && kill -KILL "$pm" 2>/dev/null || true
  echo "$leader"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  for n in node1 node2; do
    [ -f "$dir/$n.pid" ] && kill -TERM "$(cat "$dir/$n.pid")" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    alive=""
    for n in node1 node2; do
      [ -f "$dir/$n.pid" ] && kill -0 "$(cat "$dir/$n.pid")" 2>/dev/null && alive=yes
    done
    [ -z "$alive" ] && break
    sleep 0.2
  done
  for n in node1 node2; do
    [ -f "$dir/$n.pid" ] && kill -KILL "$(cat "$dir/$n.pid")" 2>/dev/null || true
    pm=$(head -n 1 "$dir/$n/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$pm" ] && kill -KILL "$pm" 2>/dev/null || true
  done
  [ -f "$dir/etcd.pid" ] && kill -TERM "$(cat "$dir/etcd.pid")" 2>/dev/null || true
  sleep 0.3
  [ -f "$dir/etcd.pid" ] && kill -KILL "$(cat "$dir/etcd.pid")" 2>/dev/null || true
  rm -rf "$dir"
  ;;
*) echo "usage: ha.sh start|primary|kill-primary|stop DIR" >&2; exit 2 ;;
esac
