"""PostgreSQL store benchmark: appends and reads of sealed-size items with 1, 4 and 16 writers.

The store path (PostgresStore as chatseal_app: pooled connections, row-level security, the
tenant set per transaction, `open_for_append` then `insert_items`) is compared with a plaintext
baseline measured in the same run, on the same server and database, as the same role: tables
of the same shape without row-level security, written with plain psycopg (a pool, one
transaction per append that locks the conversation, reads the next position and inserts).
Each writer appends to its own conversation, as many chats at once do; rounds alternate store
and baseline, and the median round counts.

A third path, `chatseal_*`, goes through the whole service (`ChatSeal` on the same database:
sealing, the policy decision, the audit event in the append's transaction, the background
sequencer), and is held to the same target against the same baseline.

A ChatSeal read commits its audit event before it returns data (fail closed), so it waits for one
WAL flush that the plaintext read, which commits nothing, never does. `plain_read_with_log_r*`
measures that part alone, for information: the baseline read plus a one-row insert of an
event-sized log row in the same transaction. The targets stay against the plain read.

Items are 1 KiB of content. The store receives `seal(...)` of it: by default a stand-in of the
sealed size (1 KiB + 33 bytes of envelope), until the service's sealing is plugged in through
`run(seal=...)`. Without CHATSEAL_TEST_PG_URL and CHATSEAL_TEST_PG_ADMIN_URL, it starts its own
server with scripts/services/postgres.sh.
"""

from __future__ import annotations

import itertools
import os
import secrets
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool

from benchmarks.harness import scenario, target
from chatseal.store.base import ConversationRow, DataKeyRow, ItemRow, TenantRow
from chatseal.store.postgres import PostgresStore

# (tenant_id, conversation_id, position, plaintext) -> sealed bytes
Seal = Callable[[str, str, int, bytes], bytes]

CONTENT = 1024
ENVELOPE = 33  # the sealed size of 1 KiB in ChatSeal's envelope is 1 KiB + 33 bytes
LOG_ROW = 512  # the size of ChatSeal's item.read audit event
PAGE = 20
WRITERS = (1, 4, 16)
ROOT = Path(__file__).resolve().parent.parent

PLAIN_SCHEMA = """
CREATE SCHEMA plain;
CREATE TABLE plain.conversations (
    tenant_id text NOT NULL, conversation_id text NOT NULL, created_at bigint NOT NULL,
    classification text NOT NULL, owner text NOT NULL, metadata bytea NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id));
CREATE TABLE plain.items (
    tenant_id text NOT NULL, conversation_id text NOT NULL, position bigint NOT NULL,
    item_id text NOT NULL, item_type text NOT NULL, role text, created_at bigint NOT NULL,
    content bytea NOT NULL, PRIMARY KEY (tenant_id, conversation_id, position));
CREATE UNIQUE INDEX plain_items_by_id ON plain.items (tenant_id, item_id);
CREATE TABLE plain.read_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, data bytea NOT NULL);
GRANT USAGE ON SCHEMA plain TO chatseal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plain.conversations, plain.items TO chatseal_app;
GRANT INSERT ON plain.read_log TO chatseal_app;
"""
PLAIN_PAGE = (
    "SELECT tenant_id, conversation_id, position, item_id, item_type, role, "
    "created_at, content FROM plain.items "
    "WHERE tenant_id = %s AND conversation_id = %s "
    "AND position < %s ORDER BY position DESC LIMIT %s"
)


class Backend(Protocol):
    """What a measured path offers."""

    def create(self, tenant_id: str, conversation_id: str) -> None: ...
    def append(self, tenant_id: str, conversation_id: str, content: bytes) -> None: ...
    def read(self, tenant_id: str, conversation_id: str) -> int: ...
    def close(self) -> None: ...


def stand_in_seal(tenant_id: str, conversation_id: str, position: int, plaintext: bytes) -> bytes:
    """Bytes of the sealed size, until the service's sealing is plugged in."""
    return os.urandom(ENVELOPE) + plaintext


def _with_database(url: str, dbname: str, query: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", query, ""))


@contextmanager
def _server() -> Iterator[tuple[str, str]]:
    """The (application, owner) URLs of a server: the exported one, or one started here."""
    app, admin = (
        os.environ.get("CHATSEAL_TEST_PG_URL"),
        os.environ.get("CHATSEAL_TEST_PG_ADMIN_URL"),
    )
    if app and admin:
        yield app, admin
        return
    work = Path(tempfile.mkdtemp(prefix="chatseal-bench-pg-"))
    work.chmod(0o755)  # the postgres OS user runs the server under it
    script = str(ROOT / "scripts" / "services" / "postgres.sh")
    try:
        out = subprocess.run(
            ["bash", script, "start", str(work)], check=True, capture_output=True, text=True
        ).stdout
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in out.splitlines()
            if line.startswith("export ")
        )
        yield exports["CHATSEAL_TEST_PG_URL"], exports["CHATSEAL_TEST_PG_ADMIN_URL"]
    finally:
        subprocess.run(["bash", script, "stop", str(work)], check=False, capture_output=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)


@contextmanager
def _database(admin: str) -> Iterator[str]:
    """A fresh database at the newest schema plus the plaintext tables; dropped afterwards."""
    name = f"chatseal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        owner = PostgresStore(_with_database(admin, name))
        owner.migrate()
        owner.close()
        with psycopg.connect(_with_database(admin, name), autocommit=True) as conn:
            conn.execute(PLAIN_SCHEMA.encode())
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


class Plain:
    """The baseline: the same rows in clear, written and read with plain psycopg."""

    def __init__(self, url: str, size: int) -> None:
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url, min_size=size, max_size=size, open=True
        )

    def create(self, tenant_id: str, conversation_id: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO plain.conversations VALUES (%s, %s, 1, 'internal', 'owner', '')",
                (tenant_id, conversation_id),
            )

    def append(self, tenant_id: str, conversation_id: str, content: bytes) -> None:
        args = (tenant_id, conversation_id)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT conversation_id FROM plain.conversations "
                "WHERE tenant_id = %s AND conversation_id = %s FOR UPDATE",
                args,
            )
            row = conn.execute(
                "SELECT coalesce(max(position), -1) + 1 FROM plain.items "
                "WHERE tenant_id = %s AND conversation_id = %s",
                args,
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO plain.items VALUES (%s, %s, %s, %s, 'message', 'user', 1, %s)",
                (*args, row[0], secrets.token_hex(16), content),
            )

    def read(self, tenant_id: str, conversation_id: str) -> int:
        with self.pool.connection() as conn:
            rows = conn.execute(PLAIN_PAGE, (tenant_id, conversation_id, 2**62, PAGE)).fetchall()
        return len(rows)

    def close(self) -> None:
        self.pool.close()


class PlainWithLog:
    """The baseline read that also commits an event-sized log row in its transaction: the
    durable-commit part of an audited read, without anything else of ChatSeal's. Reads only;
    it shares the baseline's pool."""

    def __init__(self, plain: Plain) -> None:
        self.pool = plain.pool
        self.row = os.urandom(LOG_ROW)

    def read(self, tenant_id: str, conversation_id: str) -> int:
        with self.pool.connection() as conn:
            rows = conn.execute(PLAIN_PAGE, (tenant_id, conversation_id, 2**62, PAGE)).fetchall()
            conn.execute("INSERT INTO plain.read_log (data) VALUES (%s)", (self.row,))
        return len(rows)


class Sealed:
    """The store path: PostgresStore as the application role."""

    def __init__(self, url: str, seal: Seal) -> None:
        self.store = PostgresStore(url)
        self.seal = seal

    def create(self, tenant_id: str, conversation_id: str) -> None:
        with self.store.transaction(write=True) as tx:
            tx.insert_tenant(TenantRow(tenant_id, tenant_id, 1, "{}", os.urandom(60), 1))
            tx.insert_conversation(
                ConversationRow(
                    tenant_id, conversation_id, 1, "internal", os.urandom(32), os.urandom(60)
                ),
                [DataKeyRow(tenant_id, conversation_id, "content", 1, os.urandom(60), 1)],
            )

    def append(self, tenant_id: str, conversation_id: str, content: bytes) -> None:
        with self.store.transaction(write=True) as tx:
            opened = tx.open_for_append(tenant_id, conversation_id)
            assert opened is not None
            position = opened[1]
            sealed = self.seal(tenant_id, conversation_id, position, content)
            item_id = secrets.token_hex(16)
            tx.insert_items(
                [
                    ItemRow(
                        tenant_id, conversation_id, position, item_id, "message", "user", 1, sealed
                    )
                ]
            )

    def read(self, tenant_id: str, conversation_id: str) -> int:
        with self.store.transaction() as tx:
            rows = tx.list_items(
                tenant_id, conversation_id, after_position=None, limit=PAGE, descending=True
            )
        return len(rows)

    def close(self) -> None:
        self.store.close()


class Service:
    """The sealed path end to end: ChatSeal on the same database (sealing with per-conversation
    data keys, the policy decision, the audit event queued in the same transaction, and the
    sequencer integrating in the background), one tenant and principal per writer."""

    def __init__(self, url: str) -> None:
        from chatseal.service import ChatSeal

        self.home = Path(tempfile.mkdtemp(prefix="chatseal-bench-pgsvc-"))
        self.seal = ChatSeal.open(self.home / "home", store_url=url, create=True)
        assert self.seal.audit is not None
        self.seal.audit.start(interval=0.05)
        self.conversations: dict[str, str] = {}

    def _session(self, tenant_id: str) -> Any:
        from chatseal.model import Principal

        name = tenant_id.replace("_", "-")
        return self.seal.session(Principal.of(name, f"user@{name}", "user"))

    def create(self, tenant_id: str, conversation_id: str) -> None:
        self.seal.tenants.create(tenant_id.replace("_", "-"))
        conv = self._session(tenant_id).conversations.create(items=[])
        self.conversations[conversation_id] = conv.id

    def append(self, tenant_id: str, conversation_id: str, content: bytes) -> None:
        self._session(tenant_id).conversations.items.create(
            self.conversations[conversation_id],
            items=[{"role": "user", "content": content.hex()[:CONTENT]}],
        )

    def read(self, tenant_id: str, conversation_id: str) -> int:
        page = self._session(tenant_id).conversations.items.list(
            self.conversations[conversation_id], limit=PAGE
        )
        return len(page.data)

    def close(self) -> None:
        self.seal.close()
        subprocess.run(["rm", "-rf", str(self.home)], check=False)


def _parallel(threads: int, per_thread: int, op: Callable[[int, int], object]) -> float:
    """Wall seconds for `threads` threads each calling op(thread, i) `per_thread` times."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def body(t: int) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                op(t, i)
        except BaseException as exc:  # reported below, a benchmark must not hide failures
            errors.append(exc)

    workers = [threading.Thread(target=body, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def _appender(backend: Backend, content: bytes) -> Callable[[int, int], object]:
    def op(t: int, i: int) -> object:
        backend.append(f"ten_{t}", f"conv_{t}", content)
        return None

    return op


def _reader(backend: Backend | PlainWithLog) -> Callable[[int, int], object]:
    def op(t: int, i: int) -> object:
        return backend.read(f"ten_{t}", f"conv_{t}")

    return op


def run(quick: bool = False, *, seal: Seal | None = None) -> dict[str, Any]:
    """Measure appends and reads through the store against the plaintext baseline."""
    appends = 48 if quick else 240  # per scenario, spread over the writers
    reads = 48 if quick else 240  # pages of PAGE items, spread over the readers
    rounds = 1 if quick else 5
    content = os.urandom(CONTENT)
    results: dict[str, list[float]] = {}
    with _server() as (app, admin), _database(admin) as name:
        url = _with_database(
            app, name, f"pool_min_size={max(WRITERS)}&pool_max_size={max(WRITERS)}"
        )
        plain = Plain(_with_database(app, name), max(WRITERS))
        backends: dict[str, Backend] = {
            "store": Sealed(url, seal or stand_in_seal),
            "plain": plain,
            "chatseal": Service(url),
        }
        # Scenario name of each reader's pages, "{n}" the readers.
        readers: dict[str, Backend | PlainWithLog] = {
            f"{kind}_read_r{{n}}": backend for kind, backend in backends.items()
        }
        readers["plain_read_with_log_r{n}"] = PlainWithLog(plain)
        try:
            for backend in backends.values():
                for t in range(max(WRITERS)):
                    backend.create(f"ten_{t}", f"conv_{t}")
            for _ in range(rounds):
                for n in WRITERS:
                    for kind, backend in backends.items():
                        per = appends // n
                        wall = _parallel(
                            n,
                            per,
                            _appender(backend, content),
                        )
                        results.setdefault(f"{kind}_append_w{n}", []).append(wall / (per * n) * 1e6)
                for n in WRITERS:
                    for key, reader in readers.items():
                        per = reads // n
                        wall = _parallel(n, per, _reader(reader))
                        results.setdefault(key.format(n=n), []).append(
                            wall / (per * n * PAGE) * 1e6
                        )
        finally:
            for backend in backends.values():
                backend.close()
    us = {key: statistics.median(values) for key, values in results.items()}
    scenarios = {key: scenario(value) for key, value in us.items()}
    ratios: dict[str, float] = {}
    targets: dict[str, Any] = {}
    for path, prefix in (("store", ""), ("chatseal", "chatseal_")):
        for n in WRITERS:
            for op, tag in (("append", f"w{n}"), ("read", f"r{n}")):
                ratio = us[f"{path}_{op}_{tag}"] / us[f"plain_{op}_{tag}"]
                ratios[f"{prefix}{op}_{tag}_vs_plaintext"] = round(ratio, 3)
                targets[f"{prefix}{op}_{tag}_time_per_message"] = target(
                    ratio, "<= 1.5x plaintext", ratio <= 1.5
                )
        for low, high in itertools.pairwise(WRITERS):
            growth = us[f"{path}_append_w{low}"] / us[f"{path}_append_w{high}"]
            ratios[f"{prefix}append_throughput_w{high}_over_w{low}"] = round(growth, 3)
            targets[f"{prefix}append_throughput_grows_w{low}_to_w{high}"] = target(
                growth, "> 1", growth > 1.0
            )
    for n in WRITERS:
        # Informational, no target: the audited read against a plaintext read that also commits.
        with_log = us[f"plain_read_with_log_r{n}"]
        ratios[f"plain_read_with_log_r{n}_vs_plaintext"] = round(
            with_log / us[f"plain_read_r{n}"], 3
        )
        ratios[f"chatseal_read_r{n}_vs_plaintext_with_log"] = round(
            us[f"chatseal_read_r{n}"] / with_log, 3
        )
    notes = (
        "Per message: appends per item, reads per item of a page of 20. A ChatSeal read commits "
        "its audit event before it returns data (fail closed): one WAL flush that the plain read "
        "never waits for. plain_read_with_log_r* is the plain read plus a one-row insert and "
        "commit in its transaction, that flush alone; the ratios "
        "chatseal_read_r*_vs_plaintext_with_log compare against it (information only: the "
        "targets stay against the plain read). Client threads (one Python process) and the "
        f"server share {os.cpu_count()} CPUs: once they are busy, more writers add no "
        "throughput on any path, the baseline's included."
    )
    return {"scenarios": scenarios, "ratios": ratios, "targets": targets, "notes": notes}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
