"""HTTP benchmark: appends and 50-item lists against a trivial endpoint of the same app.

A `chatseal serve` process (one uvicorn worker) is started on a free loopback port over a fresh
home; 16 client threads each hold one keep-alive connection (http.client, Nagle off) and send
requests for a fixed time. Scenarios:
- `healthz`: GET /healthz, no auth and no store: the HTTP stack's ceiling on this machine;
- `append`: POST /v1/conversations/{id}/items with one 1 KiB message (auth, seal, write);
- `list50`: GET /v1/conversations/{id}/items?limit=50 (auth, read, open 50 items);
- `append_threadpool`: `append` with `[api] threadpool = true` (the default, `auto`, runs the
  library inline on the event loop for SQLite; this shows what the threadpool would cost).
Target (issue 3): append >= 50% of healthz requests/s, measured in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CLIENTS = 16
MESSAGE = "x" * 1024
ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from chatseal.cli.main import main; main()"]
Step = Callable[[http.client.HTTPConnection], None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [*CLI, "--home", str(home), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@contextmanager
def _server(threadpool: str) -> Iterator[tuple[int, str]]:
    """A fresh home with tenant `bench`, served by `chatseal serve`; yields (port, token)."""
    home = Path(tempfile.mkdtemp(prefix="chatseal-bench-http-"))
    try:
        (home / "chatseal.toml").write_text(
            "[api]\nrate_limit_per_second = 1000000\nrate_limit_burst = 1000000\n"
            f'threadpool = "{threadpool}"\n'
        )
        _cli(home, "init")
        _cli(home, "tenant", "create", "bench")
        token = _cli(
            home,
            "token",
            "issue",
            "--tenant",
            "bench",
            "--subject",
            "user:bench",
            "--role",
            "user",
            "--ttl",
            "1h",
        )
        port = _free_port()
        proc = subprocess.Popen(
            [*CLI, "--home", str(home), "serve", "--port", str(port), "--log-level", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("the benchmark server did not start") from None
                    time.sleep(0.05)
            yield port, token
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _connect(port: int) -> http.client.HTTPConnection:
    """A keep-alive connection with Nagle off: http.client writes headers and body separately,
    and Nagle plus delayed ACKs would otherwise stall every POST on the client side."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, token: str | None, body: bytes | None
) -> bytes:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}")
    return data


def _load(port: int, seconds: float, make: Callable[[int], Step]) -> float:
    """Run CLIENTS keep-alive clients for `seconds`; return requests per second."""
    counts = [0] * CLIENTS
    errors: list[BaseException] = []
    stop = threading.Event()
    start = threading.Barrier(CLIENTS + 1)

    def worker(index: int) -> None:
        conn = _connect(port)
        step = make(index)
        try:
            step(conn)  # warm the connection and the caches
            start.wait()
            while not stop.is_set():
                step(conn)
                counts[index] += 1
        except BaseException as exc:  # reported after the run
            errors.append(exc)
            stop.set()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - began
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"benchmark client failed: {errors[0]}")
    return sum(counts) / elapsed


def _conversations(port: int, token: str, count: int, items: int) -> list[str]:
    conn = _connect(port)
    ids = []
    for _ in range(count):
        conv = json.loads(_request(conn, "POST", "/v1/conversations", token, b"{}"))
        for _ in range(0, items, 20):
            batch = json.dumps({"items": [{"role": "user", "content": MESSAGE}] * 20}).encode()
            _request(conn, "POST", f"/v1/conversations/{conv['id']}/items", token, batch)
        ids.append(conv["id"])
    conn.close()
    return ids


def _step(method: str, path: str, token: str | None, body: bytes | None) -> Step:
    def step(conn: http.client.HTTPConnection) -> None:
        _request(conn, method, path, token, body)

    return step


def _healthz(_index: int) -> Step:
    return _step("GET", "/healthz", None, None)


def _appender(port: int, token: str) -> Callable[[int], Step]:
    """Each client appends to its own conversation (one 1 KiB message per request)."""
    convs = _conversations(port, token, CLIENTS, 0)
    body = json.dumps({"items": [{"role": "user", "content": MESSAGE}]}).encode()

    def make(index: int) -> Step:
        return _step("POST", f"/v1/conversations/{convs[index]}/items", token, body)

    return make


def _scenario(rps: float) -> dict[str, float]:
    return {"ops_per_s": rps, "us_per_op": 1e6 / rps if rps else float("inf")}


def _decision_us() -> float:
    """µs per Cedar decision of an append by an end user on their own conversation."""
    from chatseal.model import Principal
    from chatseal.service.access import Resource
    from chatseal.service.cedar import CedarAuthorizer

    authorizer = CedarAuthorizer()
    principal = Principal.of("bench", "user:bench", "user")
    resource = Resource("conversation", "bench", "conv_bench", owned=True)
    for _ in range(100):
        authorizer.decide(principal, "item.append", resource)
    count = 20_000
    start = time.perf_counter()
    for _ in range(count):
        authorizer.decide(principal, "item.append", resource)
    return (time.perf_counter() - start) / count * 1e6


def run(quick: bool = False) -> dict[str, object]:
    """Measure the scenarios; appends are compared with /healthz of the same app."""
    seconds = 2.0 if quick else 6.0
    scenarios: dict[str, dict[str, float]] = {}
    with _server("auto") as (port, token):
        scenarios["healthz"] = _scenario(_load(port, seconds, _healthz))
        scenarios["append"] = _scenario(_load(port, seconds, _appender(port, token)))
        listed = _conversations(port, token, 1, 60)[0]
        path = f"/v1/conversations/{listed}/items?limit=50"
        scenarios["list50"] = _scenario(
            _load(port, seconds, lambda _i: _step("GET", path, token, None))
        )
    with _server("true") as (port, token):
        healthz_pool = _load(port, seconds, _healthz)
        scenarios["append_threadpool"] = _scenario(_load(port, seconds, _appender(port, token)))
    ratio = scenarios["append"]["ops_per_s"] / scenarios["healthz"]["ops_per_s"]
    decide_us = _decision_us()
    scenarios["authorize_append_in_process"] = {
        "ops_per_s": round(1e6 / decide_us, 1),
        "us_per_op": round(decide_us, 2),
    }
    share = decide_us / scenarios["append"]["us_per_op"]
    return {
        "scenarios": scenarios,
        "ratios": {
            "append_vs_healthz": ratio,
            "list50_vs_healthz": scenarios["list50"]["ops_per_s"]
            / scenarios["healthz"]["ops_per_s"],
            "append_threadpool_vs_its_healthz": scenarios["append_threadpool"]["ops_per_s"]
            / healthz_pool,
        },
        "targets": {
            "append_vs_healthz": {
                "value": round(ratio, 3),
                "target": ">= 0.5",
                "met": ratio >= 0.5,
            },
            # Issue 5: authorization adds at most 10% to an HTTP append. The server makes one Cedar
            # decision per append; its cost, measured here in-process with the same principal,
            # action and resource, is compared with the HTTP append measured above.
            "authorization_share_of_append": {
                "value": round(share, 4),
                "target": "<= 0.10",
                "met": share <= 0.10,
            },
        },
        "notes": f"{CLIENTS} keep-alive clients (threads), one uvicorn worker (h11), 1 KiB items.",
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
