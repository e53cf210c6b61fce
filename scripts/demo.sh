#!/usr/bin/env bash
# A short, readable tour of the library through the CLI (`make demo`).
set -euo pipefail
home=${1:-.chatseal-demo}
cs() { .venv/bin/chatseal --home "$home" "$@"; }
step() { printf '\n\033[1m$ chatseal %s\033[0m\n' "$*"; }
step init; cs init
if ! cs tenant show demo >/dev/null 2>&1; then step tenant create demo; cs tenant create demo; fi
step conversations create --tenant demo --role user --message "Hi, I need help with my order" --metadata channel=web
conv=$(cs conversations create --tenant demo --role user --message "Hi, I need help with my order" --metadata channel=web)
echo "$conv"
id=$(printf '%s' "$conv" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])')
step items add "$id" --tenant demo --role assistant --message "Of course: what is the order number?"
cs items add "$id" --tenant demo --role assistant --message "Of course: what is the order number?" >/dev/null
step items list "$id" --tenant demo --order asc
cs items list "$id" --tenant demo --order asc
printf '\nOn disk, the messages are sealed: '
if grep -rqa "help with my order" "$home"; then echo "FOUND IN CLEAR (bug)"; exit 1; else echo "no plaintext under $home."; fi
step conversations delete "$id" --tenant demo
cs conversations delete "$id" --tenant demo
