"""Serving the app with uvicorn: our own TLS context, the peer certificate handed to the app, and
one send per response.

uvicorn builds no TLS 1.3-only context and never passes the client certificate to the app, so:
- `ssl_context_factory` returns `chatseal.auth.mtls.server_context(...)` (TLS 1.3 minimum,
  CERT_REQUIRED against the configured client CA only);
- our protocol classes (uvicorn's `http=`) read the verified certificate from the TLS transport
  when the connection is made, and wrap the app for that connection so every request's scope
  carries it as the ASGI TLS extension (`scope["extensions"]["tls"]`). A client cannot forge that
  key: only the server builds the scope.
They also hand uvicorn a `CoalescingTransport`, so a response's headers and body leave in one
write. `http_protocol()` picks uvicorn's httptools parser when the `httptools` package is
installed (the `server` extra brings it), else its pure-Python h11 parser; both behave alike.
With `--workers N`, uvicorn spawns N processes; each calls `app_factory`, which opens the home
named by `CHATSEAL_HOME` once for that process.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
from typing import Any, cast

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import Config as UvicornConfig
from uvicorn.protocols.http.h11_impl import H11Protocol

from chatseal.api.app import create_app
from chatseal.api.coalescing import CoalescingTransport
from chatseal.auth.mtls import server_context
from chatseal.observability.logs import configure_logging


def _tls_extension(ssl_object: ssl.SSLObject) -> dict[str, Any] | None:
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
    }


class _PeerCertProtocol:
    """What both protocol classes add to uvicorn's: the peer certificate, and one write per turn.

    A mixin ahead of uvicorn's protocol class in the MRO: `connection_made` wraps the transport
    before uvicorn sees it, and wraps this connection's app when a client certificate is there.
    """

    app: Any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Read the peer certificate where the TLS session is, once per connection."""
        wrapped = CoalescingTransport(
            cast(asyncio.Transport, transport), asyncio.get_running_loop()
        )
        super().connection_made(wrapped)  # type: ignore[misc]
        ssl_object = transport.get_extra_info("ssl_object")
        tls = _tls_extension(ssl_object) if ssl_object is not None else None
        if tls is None:
            return
        inner = self.app

        async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] in ("http", "websocket"):
                scope = {**scope, "extensions": {**scope.get("extensions", {}), "tls": tls}}
            await inner(scope, receive, send)

        self.app = with_certificate


class PeerCertH11Protocol(_PeerCertProtocol, H11Protocol):
    """uvicorn's h11 (pure-Python) protocol with the peer certificate and coalesced writes."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # the httptools package is missing: the pure-Python parser serves
    _PROTOCOL: type[asyncio.Protocol] = PeerCertH11Protocol
else:
    # At module level, not built on demand: `--workers N` pickles the class by its name.
    class PeerCertHttpToolsProtocol(_PeerCertProtocol, HttpToolsProtocol):
        """uvicorn's httptools protocol with the peer certificate and coalesced writes."""

    _PROTOCOL = PeerCertHttpToolsProtocol


def http_protocol() -> type[asyncio.Protocol]:
    """The protocol class `chatseal serve` uses: httptools' parser (C) when installed, else h11."""
    return _PROTOCOL


def _context_factory(
    cert: str, key: str, client_ca: str | None, _config: UvicornConfig, _default: Any
) -> ssl.SSLContext:
    return server_context(cert, key, client_ca)


def app_factory() -> Starlette:
    """The app of the home named by `CHATSEAL_HOME` (one ChatSeal per worker process).

    Logging is configured here, in each worker, because worker processes start afresh.
    """
    configure_logging(os.environ.get("CHATSEAL_LOG_LEVEL", "info"))
    return create_app(os.environ.get("CHATSEAL_HOME"))


def uvicorn_config(
    home: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    client_ca: str | None = None,
    log_level: str = "info",
    access_log: bool = True,
) -> UvicornConfig:
    """The uvicorn configuration of `chatseal serve`."""
    os.environ["CHATSEAL_HOME"] = str(home)
    os.environ["CHATSEAL_LOG_LEVEL"] = log_level
    factory = None
    if tls_cert and tls_key:
        factory = functools.partial(_context_factory, tls_cert, tls_key, client_ca)
    return UvicornConfig(
        "chatseal.api.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        http=http_protocol(),
        ssl_context_factory=factory,
        log_level=log_level,
        # Our own structured, scrubbed pipeline (chatseal.observability.logs), not uvicorn's.
        log_config=None,
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        timeout_keep_alive=30,
        limit_concurrency=1024,
    )


def serve(config: UvicornConfig) -> None:
    """Run until interrupted (one process, or a supervisor over `workers` processes)."""
    server = uvicorn.Server(config)
    if config.workers and config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run()
