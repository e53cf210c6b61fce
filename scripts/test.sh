#!/usr/bin/env bash
# Start the real services the suite uses under a temporary directory, run pytest, stop them.
# Each scripts/services/NAME.sh answers `start DIR` (printing `export VAR=…` lines) and `stop DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/chatseal-test.XXXXXX)
chmod 755 "$work"
started=()
cleanup() {
  for svc in "${started[@]}"; do bash "scripts/services/$svc.sh" stop "$work/$svc" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for script in scripts/services/*.sh; do
  [ -e "$script" ] || continue
  svc=$(basename "$script" .sh)
  mkdir -p "$work/$svc"
  echo "test: starting $svc"
  exports=$(bash "$script" start "$work/$svc")
  started+=("$svc")
  eval "$exports"
done
export CHATSEAL_TEST_TMP="$work"
.venv/bin/python -m pytest "$@"
