"""Logs kept while the API tests ran hold no token, client secret, signing key, message canary
or personal-data canary.

Named to run last in this directory, so it scans what every other API test made the server log.
"""

from __future__ import annotations

import json

import httpx

from .conftest import CAPTURED_LOGS, SECRETS_SEEN, SERVER_LOGGERS, Live

CANARIES = ("CANARY-7f3a-message-content", "secret plan", "LOG-CANARY-91c2")
# Personal data a chat carries: none of it may reach a log line either (issue 7).
PII_CANARIES = ("pii.canary.7731@example.org", "+44 20 7946 0958", "4111 1111 1111 1111")


def test_server_logs_hold_no_secrets(live: Live) -> None:
    """Server-side log records never contain tokens, secrets, keys or message content."""
    token = live.token()
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        live.url + "/v1/conversations",
        json={"items": [{"role": "user", "content": CANARIES[2]}]},
        headers=headers,
    )
    assert created.status_code == 200
    bad = httpx.post(
        live.url + "/v1/conversations",
        json={"items": [{"role": CANARIES[2], "content": "x"}]},
        headers=headers,
    )
    assert bad.status_code == 400 and CANARIES[2] not in bad.text
    pii_text = "Hi, I'm Jane, mail " + PII_CANARIES[0] + ", call " + PII_CANARIES[1]
    for body in (
        {"items": [{"role": "user", "content": pii_text}], "metadata": {"card": PII_CANARIES[2]}},
        {"items": [{"role": PII_CANARIES[0], "content": pii_text}]},
        {"metadata": {PII_CANARIES[1] * 5: PII_CANARIES[2]}},
    ):
        answer = httpx.post(live.url + "/v1/conversations", json=body, headers=headers)
        assert answer.status_code in (200, 400)
        assert not any(pii in answer.text for pii in PII_CANARIES) or answer.status_code == 200
    httpx.post(
        live.url + "/v1/conversations", json={}, headers={"Authorization": f"Bearer {token}x"}
    )
    private = [
        k["private"] for k in json.loads((live.home / "token-signing.json").read_text())["keys"]
    ]
    server_lines = [text for name, text in CAPTURED_LOGS if name.startswith(SERVER_LOGGERS)]
    assert any(
        '"POST /v1/conversations HTTP/1.1" 401' in line for line in server_lines
    )  # access log kept
    forbidden = [*CANARIES, *PII_CANARIES, *SECRETS_SEEN, *private, token]
    leaks = [
        (needle[:12], line[:80])
        for line in server_lines
        for needle in forbidden
        if needle and needle in line
    ]
    assert leaks == []
