"""TLS 1.3 as the minimum, and mTLS with client certificates mapped to principals."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from chatseal.api.server import PeerCertH11Protocol, http_protocol
from chatseal.auth import server_context

from .certs import CertAuthority
from .conftest import MakeServer

MAPPED = "CN=billing,O=ChatSeal Test"
CONFIG = f"""
[mtls.subjects."{MAPPED}"]
tenant = "acme"
roles = ["agent"]
purpose = "billing"
subject = "svc:billing"
"""
# Both parsers `chatseal serve` can run: the one it picks here, and the pure-Python fallback.
PROTOCOLS = [http_protocol(), PeerCertH11Protocol]
TLS_ERRORS = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)


def _client_context(
    ca: CertAuthority, cert: tuple[Path, Path] | None = None, *, max_tls12: bool = False
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca.paths.cert))
    if max_tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_tls12_client_is_refused(tmp_path: Path, make_server: MakeServer) -> None:
    """A client limited to TLS 1.2 cannot complete a handshake; a TLS 1.3 client can."""
    ca = CertAuthority(tmp_path / "pki")
    server_cert = ca.issue("server", server=True)
    server = make_server(ssl_context=server_context(str(server_cert.cert), str(server_cert.key)))
    old = _client_context(ca, max_tls12=True)
    with (
        socket.create_connection(("127.0.0.1", _port(server.url)), timeout=5) as raw,
        pytest.raises(ssl.SSLError),
    ):
        old.wrap_socket(raw, server_hostname="127.0.0.1")
    with httpx.Client(verify=_client_context(ca)) as http:
        response = http.get(server.url + "/healthz")
        assert response.status_code == 200 and response.http_version == "HTTP/1.1"
    with (
        socket.create_connection(("127.0.0.1", _port(server.url)), timeout=5) as raw,
        _client_context(ca).wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.3"


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.__name__)
def test_mtls_requires_a_trusted_certificate(
    tmp_path: Path, make_server: MakeServer, protocol: type[asyncio.Protocol]
) -> None:
    """With a client CA, no certificate or one from another CA is refused; a mapped one is a
    principal: with either HTTP parser (httptools when installed, h11 otherwise)."""
    ca = CertAuthority(tmp_path / "pki")
    rogue = CertAuthority(tmp_path / "rogue", name="Rogue CA")
    server_cert = ca.issue("server", server=True)
    billing = ca.issue("billing", server=False)
    stranger = ca.issue("stranger", server=False)
    impostor = rogue.issue("billing", server=False)
    server = make_server(
        config_text=CONFIG,
        ssl_context=server_context(str(server_cert.cert), str(server_cert.key), str(ca.paths.cert)),
        protocol=protocol,
    )
    url = server.url + "/v1/conversations"
    for context in (_client_context(ca), _client_context(ca, (impostor.cert, impostor.key))):
        with httpx.Client(verify=context) as http, pytest.raises(TLS_ERRORS):
            http.post(url, json={})
    with httpx.Client(verify=_client_context(ca, (billing.cert, billing.key))) as http:
        created = http.post(url, json={"items": [{"role": "user", "content": "hi"}]})
        assert created.status_code == 200
        conv_id = created.json()["id"]
        assert http.get(f"{url}/{conv_id}/items").json()["data"][0]["content"][0]["text"] == "hi"
        # A bearer token, when given, is the credential (the certificate only opened the door).
        token = server.token(subject="user:alice")
        other = http.get(f"{url}/{conv_id}", headers={"Authorization": f"Bearer {token}"})
        assert other.status_code == 404
    with httpx.Client(verify=_client_context(ca, (stranger.cert, stranger.key))) as http:
        refused = http.post(url, json={})
        assert (
            refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
        )
