"""SQLite implementations of `TreeStorage` and `AuditQueue`, on a caller's connection.

The tables, all named `audit_*`, are created by the store's migration 0002 (and by `create_tables`
for a standalone log), so the store can enqueue an event in the same transaction as the change it
records.
Level-0 nodes are the leaf hashes in `audit_leaves`; `audit_nodes` holds levels 1 and up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from chatseal.audit.merkle import NodeKey
from chatseal.audit.storage import QueuedEvent
from chatseal.errors import IntegrityError


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the audit tables if they are missing (idempotent), from the store's own migration,
    so a standalone log and a store's database have one schema."""
    migration = resources.files("chatseal.store") / "migrations" / "sqlite" / "0002_audit.sql"
    conn.executescript(migration.read_text("utf-8"))


def open_readonly(path: str) -> SqliteTreeStorage:
    """Open an audit database read-only (for verification workers in other processes)."""
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    return SqliteTreeStorage(conn)


class SqliteTreeStorage:
    """`TreeStorage` on a sqlite3 connection.

    With `autocommit=True` (the default) `transaction()` commits; with `False` the caller owns the
    transaction, e.g. the store's own.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        autocommit: bool = True,
        writer_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._db = conn
        self._autocommit = autocommit
        # The store's in-process writer lock: the sequencer queues behind request writers on it
        # instead of meeting them in SQLite's busy handler, which sleeps (chatseal.store.sqlite).
        self._writer_lock = writer_lock or nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit on success, roll back on any error."""
        if not self._autocommit:
            yield
            return
        with self._writer_lock:
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    def size(self) -> int:
        """Return max(idx) + 1: a deleted tail row shows as a shorter log."""
        row = self._db.execute("SELECT max(idx) FROM audit_leaves").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Return node hashes, one indexed lookup each (O(log n) keys per proof)."""
        out: list[bytes] = []
        cur = self._db.cursor()
        for level, index in keys:
            if level == 0:
                row = cur.execute(
                    "SELECT leaf_hash FROM audit_leaves WHERE idx = ?", (index,)
                ).fetchone()
            else:
                row = cur.execute(
                    "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", (level, index)
                ).fetchone()
            if row is None:
                raise IntegrityError("audit tree node missing")
            out.append(bytes(row[0]))
        return out

    def get_level(self, level: int, start: int, end: int) -> list[bytes]:
        """Return a run of node hashes at one level, in index order."""
        if level == 0:
            sql = "SELECT leaf_hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"
            rows = self._db.execute(sql, (start, end)).fetchall()
        else:
            sql = (
                "SELECT hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"
            )
            rows = self._db.execute(sql, (level, start, end)).fetchall()
        return [r[0] for r in rows]

    def get_leaves(self, start: int, end: int) -> list[bytes]:
        """Return leaf data [start, end)."""
        sql = "SELECT data FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"
        return [bytes(r[0]) for r in self._db.execute(sql, (start, end))]

    def leaf_rows(self, start: int, end: int) -> list[tuple[bytes, bytes]]:
        """Return (data, leaf_hash) rows present in [start, end), by index."""
        sql = "SELECT data, leaf_hash FROM audit_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"
        # sqlite3 already returns bytes for BLOB columns: no per-row conversion.
        rows: list[tuple[bytes, bytes]] = self._db.execute(sql, (start, end)).fetchall()
        return rows

    def node_counts(self) -> dict[int, int]:
        """Return stored node counts per level."""
        counts = {0: int(self._db.execute("SELECT count(*) FROM audit_leaves").fetchone()[0])}
        for level, count in self._db.execute(
            "SELECT level, count(*) FROM audit_nodes GROUP BY level"
        ):
            counts[int(level)] = int(count)
        return {k: v for k, v in counts.items() if v}

    def write(
        self,
        start: int,
        leaves: Sequence[tuple[bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Insert leaves and nodes; a duplicate index means another writer raced us."""
        try:
            self._db.executemany(
                "INSERT INTO audit_leaves (idx, data, leaf_hash) VALUES (?, ?, ?)",
                [(start + i, d, h) for i, (d, h) in enumerate(leaves)],
            )
            self._db.executemany(
                "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes
            )
        except sqlite3.IntegrityError:
            raise IntegrityError("audit append does not continue the tree") from None

    def add_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint (re-signing a size replaces it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO audit_checkpoints (size, note) VALUES (?, ?)", (size, note)
        )

    def checkpoints(self) -> list[tuple[int, str]]:
        """Return every checkpoint, smallest first."""
        rows = self._db.execute("SELECT size, note FROM audit_checkpoints ORDER BY size")
        return [(int(s), str(n)) for s, n in rows]

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """Return the largest checkpoint."""
        row = self._db.execute(
            "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))


class SqliteQueue:
    """`AuditQueue` on a sqlite3 connection; `enqueue` joins the caller's open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._db = conn

    def enqueue(self, data: bytes) -> None:
        """Queue an event's bytes (no commit: the caller's change commits it)."""
        self._db.execute("INSERT INTO audit_queue (data) VALUES (?)", (data,))

    def pending(self, limit: int) -> list[QueuedEvent]:
        """Return the oldest queued events."""
        rows = self._db.execute("SELECT seq, data FROM audit_queue ORDER BY seq LIMIT ?", (limit,))
        return [QueuedEvent(int(s), bytes(d)) for s, d in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        """Delete exactly the integrated events, by primary key."""
        self._db.executemany("DELETE FROM audit_queue WHERE seq = ?", [(s,) for s in seqs])
