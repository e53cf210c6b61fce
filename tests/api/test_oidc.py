"""External OIDC issuers: tokens checked against a JWKS from a file or a bounded HTTPS fetch."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chatseal.auth import OidcIssuer, OidcVerifier
from chatseal.errors import AuthenticationError, ConfigError

from .certs import CertAuthority
from .conftest import MakeServer

ISSUER = "https://idp.example.test"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}


def _token(key: Any, kid: str = "k1", alg: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "chatseal",
        "sub": "alice",
        "org": "acme",
        "realm_access": {"roles": ["user"]},
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **overrides,
    }
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, key, algorithm=alg, headers={"kid": kid}
    )


def _config(jwks_file: Path) -> str:
    return f"""
[oidc]
issuer = "{ISSUER}"
audience = "chatseal"
jwks_file = "{jwks_file}"
algorithms = ["RS256"]
tenant_claim = "org"
roles_claim = "realm_access.roles"
leeway_seconds = 30
"""


def test_oidc_tokens_over_http(tmp_path: Path, make_server: MakeServer) -> None:
    """A valid issuer token maps to its tenant and roles; every bad one is a 401."""
    key = _rsa()
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(_jwks(key, "k1")))
    server = make_server(config_text=_config(jwks_file))
    good = _token(key)
    sdk = server.client(good)
    conv = sdk.conversations.create(items=[{"role": "user", "content": "via oidc"}])
    assert sdk.conversations.retrieve(conv.id).id == conv.id
    # The subject is namespaced by issuer: a local token for "alice" is someone else.
    assert (
        httpx.get(
            f"{server.url}/v1/conversations/{conv.id}",
            headers={"Authorization": f"Bearer {server.token(subject='alice')}"},
        ).status_code
        == 404
    )
    now = int(time.time())
    bad = {
        "other key": _token(_rsa()),
        "unknown kid": _token(key, kid="k2"),
        "wrong audience": _token(key, aud="other"),
        "wrong issuer": _token(key, iss="https://evil.example.test"),
        "expired": _token(key, iat=now - 7200, nbf=now - 7200, exp=now - 3600),
        "not yet valid": _token(key, nbf=now + 3600),
        "alg not allowed": _token(key, alg="RS512"),
        "hmac": _token(b"x" * 32, alg="HS256"),
        "no tenant": _token(key, org=None),
        "roles not a list": _token(key, realm_access={"roles": "admin"}),
    }
    for name, token in bad.items():
        response = httpx.post(
            server.url + "/v1/conversations", json={}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def https_idp(
    tmp_path: Path,
) -> Iterator[tuple[str, CertAuthority, dict[str, tuple[int, dict[str, str], bytes]]]]:
    """A local HTTPS server standing in for an issuer's JWKS endpoint."""
    ca = CertAuthority(tmp_path / "idp-pki")
    cert = ca.issue("idp", server=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert.cert), str(cert.key))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    _Handler.routes = routes
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", ca, routes
    httpd.shutdown()
    httpd.server_close()


def _verifier(url: str, ca: CertAuthority, **kw: Any) -> OidcVerifier:
    return OidcVerifier(
        OidcIssuer.from_config(
            {
                "issuer": ISSUER,
                "audience": "chatseal",
                "jwks_url": url,
                "jwks_ca_file": str(ca.paths.cert),
                "tenant_claim": "org",
                "roles_claim": "realm_access.roles",
                **kw,
            }
        )
    )


def test_jwks_url_fetch_is_bounded(
    https_idp: tuple[str, CertAuthority, dict[str, tuple[int, dict[str, str], bytes]]],
) -> None:
    """The JWKS comes over HTTPS; redirects are not followed and oversized documents are refused."""
    base, ca, routes = https_idp
    key = _rsa()
    routes["/jwks"] = (
        200,
        {"Content-Type": "application/json"},
        json.dumps(_jwks(key, "k1")).encode(),
    )
    routes["/moved"] = (302, {"Location": base + "/jwks"}, b"")
    routes["/huge"] = (200, {}, b"{" + b" " * 100_000 + b"}")
    token = _token(key)
    principal = _verifier(base + "/jwks", ca).verify(token, jwt.get_unverified_header(token))
    assert (principal.tenant, principal.subject, principal.roles) == (
        "acme",
        f"{ISSUER}#alice",
        frozenset({"user"}),
    )
    for path in ("/moved", "/huge", "/missing"):
        with pytest.raises(AuthenticationError):
            _verifier(base + path, ca).verify(token, jwt.get_unverified_header(token))
    # Without the issuer's CA the certificate is not trusted: no keys, no access.
    plain = OidcVerifier(
        OidcIssuer.from_config(
            {"issuer": ISSUER, "audience": "chatseal", "jwks_url": base + "/jwks"}
        )
    )
    with pytest.raises(AuthenticationError):
        plain.verify(token, jwt.get_unverified_header(token))


def test_jwks_rotation_is_picked_up(
    https_idp: tuple[str, CertAuthority, dict[str, tuple[int, dict[str, str], bytes]]],
) -> None:
    """A token with a new kid triggers a refetch (no sooner than jwks_min_refresh_seconds)."""
    base, ca, routes = https_idp
    old, new = _rsa(), _rsa()
    routes["/jwks"] = (200, {}, json.dumps(_jwks(old, "old")).encode())
    verifier = _verifier(base + "/jwks", ca, jwks_min_refresh_seconds=0)
    first = _token(old, kid="old")
    assert verifier.verify(first, jwt.get_unverified_header(first)).tenant == "acme"
    routes["/jwks"] = (200, {}, json.dumps(_jwks(new, "new")).encode())
    second = _token(new, kid="new")
    assert verifier.verify(second, jwt.get_unverified_header(second)).tenant == "acme"


@pytest.mark.parametrize(
    "bad",
    [
        {"jwks_url": "http://idp.example.test/jwks"},
        {"jwks_url": "https://x/jwks", "jwks_file": "/tmp/x"},
        {"jwks_file": "/tmp/x", "algorithms": ["HS256"]},
        {"jwks_file": "/tmp/x", "algorithms": ["none"]},
        {"jwks_file": "/tmp/x", "algorithms": ["RS256", "ES256"]},
        {"jwks_file": "/tmp/x", "surprise": 1},
        {"jwks_file": "/tmp/x", "audience": ""},
    ],
)
def test_issuer_config_is_validated(bad: dict[str, Any]) -> None:
    """Plain-HTTP JWKS URLs, HMAC/none, mixed families and unknown keys are configuration errors."""
    with pytest.raises(ConfigError):
        OidcIssuer.from_config({"issuer": ISSUER, "audience": "chatseal", **bad})
