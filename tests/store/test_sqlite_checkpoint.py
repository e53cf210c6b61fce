"""WAL checkpoints off the request path (chatseal.store.sqlite_checkpoint): the WAL stays
bounded under steady writes, with the checkpoint thread and without it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.store.sqlite import SqliteStore
from chatseal.store.sqlite_checkpoint import Checkpointer
from store.contract import append, run_threads, seed

APPENDS = 6000
# One append writes about five WAL frames (item, two index pages, their parents) of 4 KiB:
# without checkpoints that restart the WAL it would pass 100 MB here.
BOUND = 48 * 1024 * 1024


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(f"sqlite:///{tmp_path}/chatseal.db")
    s.migrate()
    seed(s, "t1")
    yield s
    s.close()


def wal_size(store: SqliteStore) -> int:
    return Path(f"{store.path}-wal").stat().st_size


def test_request_connections_leave_checkpoints_to_the_thread(store: SqliteStore) -> None:
    with store.transaction() as tx:
        assert tx is not None
    db = store._connect()
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_the_sequencer_connection_leaves_checkpoints_to_the_thread(store: SqliteStore) -> None:
    """The audit sequencer commits under the writer lock: a checkpoint there would stall every
    writer (it did: half of each integration's time), so its connection never checkpoints."""
    db = store.audit_connection()
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for _ in range(300):  # about 1,500 WAL frames: past SQLite's default threshold of 1,000
        with store.transaction(write=True) as tx:
            append(tx, "t1", "c1", 1)
    database = Path(store.path)
    before = database.stat().st_size
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO audit_queue (data) VALUES (?)", (b"{}",))
    db.execute("COMMIT")
    # A checkpoint would have copied the appended pages into the database file.
    assert database.stat().st_size == before


def test_wal_stays_bounded_under_steady_writes(store: SqliteStore) -> None:
    for _ in range(APPENDS):
        with store.transaction(write=True) as tx:
            append(tx, "t1", "c1", 1)
    assert wal_size(store) < BOUND
    with store.transaction() as tx:
        rows = tx.list_items("t1", "c1", after_position=None, limit=1, descending=True)
    assert rows[0].position == APPENDS - 1


def test_concurrent_writers_keep_positions_dense(store: SqliteStore) -> None:
    def work(_: int) -> None:
        for _ in range(150):
            with store.transaction(write=True) as tx:
                append(tx, "t1", "c1", 1)

    assert run_threads(4, work) == []
    with store.transaction() as tx:
        rows = tx.list_items("t1", "c1", after_position=None, limit=1000, descending=False)
    assert [r.position for r in rows] == list(range(600))


def test_writers_checkpoint_inline_when_the_thread_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute("CREATE TABLE t (v BLOB)")

    def broken() -> sqlite3.Connection:
        raise sqlite3.OperationalError("cannot open")

    checkpointer = Checkpointer(broken, threading.RLock(), wake_every=16, inline_after=64)
    for _ in range(2000):
        db.execute("INSERT INTO t VALUES (randomblob(3000))")
        checkpointer.committed(db)
    checkpointer.close()
    # 64 commits of one or two pages between rewinds: well under a megabyte.
    assert Path(f"{path}-wal").stat().st_size < 1024 * 1024
    db.close()
