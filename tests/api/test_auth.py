"""Authentication over HTTP: every bad credential is a 401, tenants never see each other."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import openai
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chatseal.auth import Clients, TokenService, TokenSettings, token_service

from .conftest import SECRETS_SEEN, Live, MakeServer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _status(live: Live, token: str | None, path: str = "/v1/conversations") -> httpx.Response:
    headers = {"Authorization": token} if token is not None else {}
    return httpx.post(live.url + path, headers=headers, json={})


def _service(live: Live) -> TokenService:
    assert live.seal.config is not None
    return token_service(live.home, live.seal.config)


def _forged(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def test_bad_credentials_are_401(live: Live) -> None:
    """No token, malformed, forged, alg none, HMAC confusion, expired, future, wrong aud/iss/typ: 401."""
    service = _service(live)
    good = live.token()
    header = jwt.get_unverified_header(good)
    claims = jwt.decode(good, options={"verify_signature": False})
    now = time.time()
    other_key = Ed25519PrivateKey.generate()
    public_raw = service.keys.current().public.public_bytes_raw()
    confusion_input = f"{_b64(json.dumps({**header, 'alg': 'HS256'}).encode())}.{_b64(json.dumps(claims).encode())}"
    wrong = {
        "missing": None,
        "empty bearer": "Bearer",
        "not bearer": "Basic dXNlcjpwYXNz",
        "garbage": "Bearer not-a-jwt",
        "three dots": "Bearer a.b.c",
        "bad signature": "Bearer "
        + jwt.encode(
            claims, other_key, algorithm="EdDSA", headers={"kid": header["kid"], "typ": "at+jwt"}
        ),
        "tampered": "Bearer "
        + good.rsplit(".", 2)[0]
        + "."
        + _b64(json.dumps({**claims, "tenant": "globex"}).encode())
        + "."
        + good.rsplit(".", 1)[1],
        "alg none": "Bearer " + _forged({**header, "alg": "none"}, claims),
        "alg None": "Bearer " + _forged({**header, "alg": "None"}, claims),
        "hmac confusion": "Bearer "
        + confusion_input
        + "."
        + _b64(hmac.new(public_raw, confusion_input.encode(), hashlib.sha256).digest()),
        "expired": "Bearer "
        + service.mint(
            tenant="acme", subject="user:alice", roles=["user"], now=now - 3600, ttl_seconds=60
        ),
        "not yet valid": "Bearer "
        + service.mint(tenant="acme", subject="user:alice", roles=["user"], not_before=now + 3600),
        "issued in the future": "Bearer "
        + service.mint(tenant="acme", subject="user:alice", roles=["user"], now=now + 3600),
        "wrong audience": "Bearer "
        + TokenService(service.keys, TokenSettings(audience="someone-else")).mint(
            tenant="acme", subject="u", roles=["user"]
        ),
        "wrong issuer": "Bearer "
        + TokenService(service.keys, TokenSettings(issuer="someone-else")).mint(
            tenant="acme", subject="u", roles=["user"]
        ),
        "wrong typ": "Bearer "
        + jwt.encode(
            claims,
            service.keys.current().private,
            algorithm="EdDSA",
            headers={"kid": header["kid"], "typ": "JWT"},
        ),
        "unknown kid": "Bearer "
        + jwt.encode(
            claims,
            service.keys.current().private,
            algorithm="EdDSA",
            headers={"kid": "../../etc/passwd", "typ": "at+jwt"},
        ),
        "huge": "Bearer " + "a" * 10_000,
    }
    for name, credential in wrong.items():
        if credential:
            SECRETS_SEEN.add(credential.removeprefix("Bearer "))
        response = _status(live, credential)
        assert response.status_code == 401, name
        error = response.json()["error"]
        assert error["type"] == "authentication_error", name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
        assert credential is None or credential.removeprefix("Bearer ") not in response.text, name
    assert _status(live, "Bearer " + good).status_code == 200


def test_sdk_raises_authentication_error(live: Live) -> None:
    """The openai SDK sees a 401 as AuthenticationError."""
    with pytest.raises(openai.AuthenticationError):
        live.client("not-a-token").conversations.create()


def test_other_tenant_is_404_like_missing(live: Live) -> None:
    """Another tenant's (or another user's) conversation answers exactly as a missing one."""
    alice = live.client()
    conv = alice.conversations.create(items=[{"role": "user", "content": "secret plan"}])
    item = alice.conversations.items.list(conv.id).data[0]
    missing = "conv_" + "f" * 48
    intruders = [
        live.client(live.token(tenant="globex", subject="user:alice", roles=("tenant-admin",))),
        live.client(live.token(tenant="acme", subject="user:mallory", roles=("user",))),
    ]
    for intruder in intruders:
        for call, target in (
            (lambda c, i: c.conversations.retrieve(i), "conv"),
            (lambda c, i: c.conversations.update(i, metadata={"x": "y"}), "conv"),
            (lambda c, i: c.conversations.delete(i), "conv"),
            (lambda c, i: c.conversations.items.list(i), "conv"),
            (
                lambda c, i: c.conversations.items.create(
                    i, items=[{"role": "user", "content": "x"}]
                ),
                "conv",
            ),
            (lambda c, i: c.conversations.items.retrieve(item.id, conversation_id=i), "item"),
            (lambda c, i: c.conversations.items.delete(item.id, conversation_id=i), "item"),
        ):
            answers = []
            for conversation_id in (conv.id, missing):
                with pytest.raises(openai.NotFoundError) as caught:
                    call(intruder, conversation_id)
                body = caught.value.response.json()
                answers.append(json.dumps(body).replace(conversation_id, "ID"))
            assert answers[0] == answers[1], target
    assert alice.conversations.retrieve(conv.id).id == conv.id  # nothing was changed or deleted


def _token_request(
    live: Live, data: dict[str, str] | str, auth: tuple[str, str] | None = None, **kw: Any
) -> httpx.Response:
    return httpx.post(
        live.url + "/oauth/token",
        data=data if isinstance(data, dict) else None,
        content=data if isinstance(data, str) else None,
        auth=auth,
        **kw,
    )


def test_client_credentials_and_revocation(live: Live) -> None:
    """A client gets tokens with Basic or body credentials; after revocation both stop at once."""
    clients = Clients(live.seal, live.home)
    info, secret = clients.create("acme", ["agent"], purpose="billing")
    SECRETS_SEEN.add(secret)
    basic = _token_request(
        live, {"grant_type": "client_credentials"}, auth=(info.client_id, secret)
    )
    assert basic.status_code == 200 and basic.headers["Cache-Control"] == "no-store"
    answer = basic.json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 900
    token = answer["access_token"]
    SECRETS_SEEN.add(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["tenant"], claims["roles"], claims["purpose"], claims["client_id"]) == (
        "acme",
        ["agent"],
        "billing",
        info.client_id,
    )
    in_body = _token_request(
        live,
        {"grant_type": "client_credentials", "client_id": info.client_id, "client_secret": secret},
    )
    assert in_body.status_code == 200
    sdk = live.client(token)
    conv = sdk.conversations.create()
    clients.revoke(info.client_id)
    with pytest.raises(openai.AuthenticationError):
        sdk.conversations.retrieve(conv.id)
    again = _token_request(
        live, {"grant_type": "client_credentials"}, auth=(info.client_id, secret)
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def test_token_endpoint_errors(live: Live) -> None:
    """RFC 6749 §5.2 errors: wrong secret, unknown client, bad grant, bad encoding, two methods."""
    info, secret = Clients(live.seal, live.home).create("acme", ["user"])
    SECRETS_SEEN.add(secret)
    grant = {"grant_type": "client_credentials"}
    cases = [
        (_token_request(live, grant, auth=(info.client_id, secret + "x")), 401, "invalid_client"),
        (_token_request(live, grant, auth=("csc_unknown", secret)), 401, "invalid_client"),
        (_token_request(live, grant), 401, "invalid_client"),
        (
            _token_request(live, {"grant_type": "password"}, auth=(info.client_id, secret)),
            400,
            "unsupported_grant_type",
        ),
        (_token_request(live, {}, auth=(info.client_id, secret)), 400, "invalid_request"),
        (
            _token_request(
                live,
                "grant_type=client_credentials&grant_type=client_credentials",
                auth=(info.client_id, secret),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            400,
            "invalid_request",
        ),
        (
            httpx.post(live.url + "/oauth/token", json=grant, auth=(info.client_id, secret)),
            400,
            "invalid_request",
        ),
        (
            _token_request(
                live,
                {**grant, "client_id": info.client_id, "client_secret": secret},
                auth=(info.client_id, secret),
            ),
            400,
            "invalid_request",
        ),
        (
            httpx.post(
                live.url + "/oauth/token", data=grant, headers={"Authorization": "Basic !!!"}
            ),
            401,
            "invalid_client",
        ),
    ]
    for response, status, error in cases:
        assert (response.status_code, response.json()["error"]) == (status, error)
        assert response.headers["Cache-Control"] == "no-store"
        assert secret not in response.text


def test_signing_key_rollover(make_server: MakeServer) -> None:
    """After a rotation old and new tokens both work and the JWKS lists both; a second drops the oldest."""
    server = make_server()
    service = _service(server)
    old = server.token()
    service.keys.rotate()
    new = server.token()
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    assert server.client(old).conversations.create().object == "conversation"
    assert server.client(new).conversations.create().object == "conversation"
    kids = [k["kid"] for k in httpx.get(server.url + "/.well-known/jwks.json").json()["keys"]]
    assert kids == [jwt.get_unverified_header(new)["kid"], jwt.get_unverified_header(old)["kid"]]
    service.keys.rotate()
    time.sleep(1.1)  # the server re-reads the key file at most once a second
    with pytest.raises(openai.AuthenticationError):
        server.client(old).conversations.create()
    assert server.client(new).conversations.create().object == "conversation"


def test_failed_logins_are_rate_limited(make_server: MakeServer) -> None:
    """Repeated bad tokens from one address turn into 429 with Retry-After."""
    server = make_server(config_text="[api]\nrate_limit_per_second = 0.1\nrate_limit_burst = 3\n")
    codes = [_status(server, "Bearer nope").status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[-1] == 429
