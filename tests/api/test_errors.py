"""The error mapping: OpenAI's shape and status codes, headers where the status calls for them."""

from __future__ import annotations

import json

import httpx

from chatseal.api.conversations import conversation_missing
from chatseal.api.errors import error_response, server_error
from chatseal.errors import (
    AuthenticationError,
    KeyDestroyed,
    KeyUnavailable,
    RateLimited,
    StoreUnavailable,
)

from .conftest import MakeServer


def _body(response: object) -> dict[str, object]:
    return json.loads(bytes(response.body))["error"]  # type: ignore[attr-defined]


def test_statuses_and_headers() -> None:
    """401 names the Bearer scheme, 429 carries Retry-After, 503s hide their reason."""
    unauthorised = error_response(AuthenticationError("invalid access token: expired"))
    assert unauthorised.status_code == 401 and unauthorised.headers["WWW-Authenticate"].startswith(
        "Bearer"
    )
    limited = error_response(RateLimited("slow down", retry_after=0.2))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    for exc in (KeyUnavailable("the HSM at 10.0.0.5 refused"), StoreUnavailable("db host down")):
        response = error_response(exc)
        assert response.status_code == 503 and "10.0.0.5" not in response.body.decode()
        assert "db host" not in response.body.decode()
    assert error_response(KeyDestroyed("gone")).status_code == 410
    missing = _body(error_response(conversation_missing("conv_1")))
    assert missing == {
        "message": "Conversation with id 'conv_1' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": "not_found",
    }


def test_bug_answers_bare_500() -> None:
    """An unexpected exception answers a 500 that says nothing of its message."""
    response = server_error(ValueError("secret content"))
    assert response.status_code == 500 and "secret content" not in response.body.decode()


def test_readyz_reports_a_missing_signing_key(make_server: MakeServer) -> None:
    """Without its signing key the server is not ready (503), yet stays alive (200)."""
    server = make_server()
    (server.home / "token-signing.json").rename(server.home / "moved.json")
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["signing_key"] == "unavailable"
    assert httpx.get(server.url + "/healthz").status_code == 200
