#!/usr/bin/env bash
# SoftHSM2 token for the pkcs11: key backend tests.
#   start DIR  write DIR/softhsm2.conf (tokens under DIR/tokens), initialise token "chatseal",
#              print the exports the tests read; the PINs are random and kept in DIR (0600).
#   stop DIR   nothing runs in the background: remove the token directory.
set -euo pipefail
cmd=${1:?usage: softhsm.sh start|stop DIR}
dir=${2:?usage: softhsm.sh start|stop DIR}
module=${CHATSEAL_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
case "$cmd" in
start)
  command -v softhsm2-util >/dev/null || { echo "softhsm.sh: softhsm2 is not installed (apt-get install softhsm2)" >&2; exit 1; }
  [ -e "$module" ] || { echo "softhsm.sh: no PKCS#11 module at $module" >&2; exit 1; }
  rm -rf "$dir/tokens"
  mkdir -p "$dir/tokens"
  umask 077
  dir=$(cd "$dir" && pwd)
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$dir" >"$dir/softhsm2.conf"
  pin=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  so_pin=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s' "$pin" >"$dir/user.pin"
  SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label chatseal \
    --so-pin "$so_pin" --pin "$pin" >&2
  echo "export SOFTHSM2_CONF=$dir/softhsm2.conf"
  echo "export CHATSEAL_TEST_PKCS11_MODULE=$module"
  echo "export CHATSEAL_TEST_PKCS11_TOKEN=chatseal"
  echo "export CHATSEAL_PKCS11_PIN=$pin"
  echo "export CHATSEAL_TEST_PKCS11_PIN_FILE=$dir/user.pin"
  ;;
stop)
  rm -rf "$dir/tokens" "$dir/user.pin" "$dir/softhsm2.conf"
  ;;
*) echo "usage: softhsm.sh start|stop DIR" >&2; exit 2 ;;
esac
