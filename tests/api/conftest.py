"""A live uvicorn server on a free loopback port, over a real ChatSeal home, for the API tests.

Every log record emitted while the API tests run (ours, uvicorn's, the SDKs') is kept in
`CAPTURED_LOGS`, so `test_zz_logs.py` can scan them for tokens, secrets and message canaries.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openai import OpenAI
from starlette.applications import Starlette

from chatseal.api import build_app
from chatseal.api.server import http_protocol
from chatseal.auth import token_service
from chatseal.config import Config
from chatseal.service import ChatSeal

CAPTURED_LOGS: list[tuple[str, str]] = []  # (logger name, formatted record)
SECRETS_SEEN: set[str] = set()


SERVER_LOGGERS = ("chatseal", "uvicorn", "starlette")


class _Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(SERVER_LOGGERS):
            return
        text = self.format(record)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        CAPTURED_LOGS.append((record.name, text + " " + repr(record.args)))


@pytest.fixture(scope="package", autouse=True)
def keep_logs() -> Iterator[None]:
    """Keep the server side's log records (ours, uvicorn's, Starlette's) at DEBUG level.

    Only those loggers are lowered to DEBUG: client libraries stay at their levels, so the
    capture costs nothing on the client side of many-request tests.
    """
    handler = _Keep(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in SERVER_LOGGERS}
    for name in SERVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@dataclass
class Live:
    """A running server and what the tests need to talk to it."""

    url: str
    home: Path
    seal: ChatSeal
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread

    def token(
        self,
        tenant: str = "acme",
        subject: str = "user:alice",
        roles: tuple[str, ...] = ("user",),
        **kw: Any,
    ) -> str:
        """Mint a ChatSeal token for this home."""
        assert self.seal.config is not None
        token = token_service(self.home, self.seal.config).mint(
            tenant=tenant, subject=subject, roles=roles, **kw
        )
        SECRETS_SEEN.add(token)
        return token

    def client(self, token: str | None = None, **kw: Any) -> OpenAI:
        """An OpenAI SDK client against this server (no retries, so errors surface at once)."""
        return OpenAI(base_url=self.url + "/v1", api_key=token or self.token(), max_retries=0, **kw)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def write_config(home: Path, text: str) -> None:
    """Write the home's chatseal.toml."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    (home / "chatseal.toml").write_text(text, "utf-8")


def start_server(
    home: Path,
    *,
    config_text: str = "",
    ssl_context: ssl.SSLContext | None = None,
    tenants: tuple[str, ...] = ("acme", "globex"),
    protocol: type[asyncio.Protocol] | None = None,
) -> Live:
    """Initialise a home, create tenants, and serve it on a free loopback port in a thread."""
    write_config(home, config_text)
    seal = ChatSeal.open(home, create=True)
    for name in tenants:
        seal.tenants.create(name)
    app = build_app(seal, home=home, config=Config.load(home), close=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    factory = (lambda _cfg, _default: ssl_context) if ssl_context is not None else None
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="debug",
        http=protocol or http_protocol(),
        ssl_context_factory=factory,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    scheme = "https" if ssl_context is not None else "http"
    return Live(f"{scheme}://127.0.0.1:{port}", home, seal, app, server, thread)


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The main server: tenants acme and globex, generous rate limits."""
    server = start_server(
        tmp_path_factory.mktemp("api") / "home",
        config_text="[api]\nrate_limit_per_second = 10000\nrate_limit_burst = 10000\nmax_body_bytes = 262144\n",
    )
    yield server
    server.stop()


@pytest.fixture
def sdk(live: Live) -> OpenAI:
    """An OpenAI client for alice, an end user of acme."""
    return live.client()


MakeServer = Callable[..., Live]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """Start extra servers (own home each), stopped at the end of the test."""
    started: list[Live] = []

    def make(name: str = "extra", **kw: Any) -> Live:
        server = start_server(tmp_path / name, **kw)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
