"""`chatseal serve` as operators run it: a real process, with several workers (uvicorn spawns them
and pickles its configuration, protocol class included, into each)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from openai import OpenAI

from chatseal.api.server import http_protocol

CLI = [sys.executable, "-c", "from chatseal.cli.main import main; main()"]


def _cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [*CLI, "--home", str(home), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_c_parser_serves_when_installed() -> None:
    """The server extra brings httptools, so `serve` runs uvicorn's C parser, not h11."""
    assert http_protocol().__name__ == "PeerCertHttpToolsProtocol"


def test_serve_with_two_workers(tmp_path: Path) -> None:
    """Two worker processes start and answer the OpenAI SDK over one port."""
    home = tmp_path / "home"
    _cli(home, "init")
    _cli(home, "tenant", "create", "acme")
    token = _cli(
        home, "token", "issue", "--tenant", "acme", "--subject", "user:a", "--role", "user"
    )
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*CLI, "--home", str(home), "serve", "--port", str(port), "--workers", "2"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None, log.read_text("utf-8", "replace")
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=token)
            conv = client.conversations.create(items=[{"role": "user", "content": "hello"}])
            for _ in range(8):  # new connections: either worker may answer each
                fresh = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=token)
                texts = [i.content[0].text for i in fresh.conversations.items.list(conv.id)]
                assert texts == ["hello"]
            started = log.read_text("utf-8", "replace").count("Started server process")
            assert started == 2
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
