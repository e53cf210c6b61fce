#!/usr/bin/env bash
# `make run`: initialise the home if needed, create a demo tenant, print a one-hour token and a
# copy-paste snippet for the `openai` SDK, then serve the API on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${1:-$PWD/.chatseal}
host=${CHATSEAL_HOST:-127.0.0.1}
port=${CHATSEAL_PORT:-8080}
cs() { .venv/bin/chatseal --home "$home" "$@"; }

cs init >&2
if ! cs tenant show demo >/dev/null 2>&1; then
  cs tenant create demo >/dev/null
  echo "created tenant 'demo'" >&2
fi
token=$(cs token issue --tenant demo --subject user:demo --role user --ttl 1h)

cat <<SNIPPET

ChatSeal serves the OpenAI Conversations API on http://$host:$port/v1
A token for tenant 'demo' (subject user:demo, role user), valid for one hour:

$token

Paste this into python (pip install openai) while the server runs:

from openai import OpenAI
client = OpenAI(base_url="http://$host:$port/v1", api_key="$token")
conv = client.conversations.create(items=[{"role": "user", "content": "Hello, ChatSeal!"}])
client.conversations.items.create(conv.id, items=[{"role": "assistant", "content": "Sealed and stored."}])
for item in client.conversations.items.list(conv.id, order="asc"):
    print(item.role, item.content[0].text)

SNIPPET

exec .venv/bin/chatseal --home "$home" serve --host "$host" --port "$port"
