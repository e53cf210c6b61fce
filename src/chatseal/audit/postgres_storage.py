"""PostgreSQL implementations of `TreeStorage` and `AuditQueue` (tables of migration
`store/migrations/postgres/0002_audit.sql`, schema `chatseal`).

Two things differ from SQLite:

- Several processes (server workers) may each run a sequencer on one database. Every tree
  transaction takes a transaction-level advisory lock first (`pg_advisory_xact_lock`,
  PostgreSQL 15 docs §9.27.10), so one integrator at a time appends; after the lock, READ
  COMMITTED statements see what the previous holder committed, and `AuditTree` reloads its
  frontier when the stored size moved.
- Identity values are handed out when a row is inserted, not when its transaction commits, so a
  lower `seq` can become visible after a higher one (PostgreSQL 15 docs §9.17, "sequence
  operations are never rolled back" and are not ordered with commits). The queue therefore
  removes exactly the rows it integrated (`remove(seqs)`), never "everything up to seq": an event
  that commits late is integrated by the next round instead of being dropped.

The connection is the store's dedicated audit connection (`PostgresStore.audit_connection`),
re-opened after a failure (e.g. a failover: the URL names every host with
`target_session_attrs=read-write`, so the new connection reaches the new primary).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from chatseal.audit.merkle import NodeKey
from chatseal.audit.storage import QueuedEvent
from chatseal.errors import IntegrityError
from chatseal.store.postgres_tx import mapped

# pg_advisory_xact_lock key of the sequencer: the bytes "csaudit!" as a big-endian int64
# (distinct from the migration lock, b"chatseal").
SEQUENCER_LOCK = int.from_bytes(b"csaudit!", "big")

Connect = Callable[[], "psycopg.Connection[Any]"]


class _Link:
    """One connection shared by the tree storage and the queue, re-opened when it broke."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._conn: psycopg.Connection[Any] | None = None
        self.lock = threading.RLock()
        self.depth = 0

    def conn(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self.depth:
                # Never reconnect in the middle of a transaction: its first half is gone.
                raise psycopg.OperationalError("the audit connection was lost")
            with mapped():
                conn = self._connect()
                conn.autocommit = True
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class PostgresTreeStorage:
    """`TreeStorage` on PostgreSQL; `transaction()` serialises integrators by advisory lock."""

    def __init__(self, connect: Connect) -> None:
        self.link = _Link(connect)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # Binary results: leaf data and hashes come as their bytes, not hex text to encode and
        # parse (the sequencer reads every queued event once).
        with mapped(), self.link.lock:
            return self.link.conn().execute(sql, args, binary=True).fetchall()

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        """Run a statement that returns no rows."""
        with mapped(), self.link.lock:
            self.link.conn().execute(sql, args)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN, take the sequencer lock, COMMIT on success; roll back on any error."""
        with self.link.lock, mapped():
            conn = self.link.conn()
            with conn.transaction():
                self.link.depth += 1
                try:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (SEQUENCER_LOCK,))
                    yield
                finally:
                    self.link.depth -= 1

    def size(self) -> int:
        """Return max(idx) + 1: a deleted tail row shows as a shorter log."""
        row = self._query("SELECT max(idx) FROM chatseal.audit_leaves")[0]
        return 0 if row[0] is None else int(row[0]) + 1

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Return node hashes for O(log n) keys in one round trip."""
        if not keys:
            return []
        levels = [level for level, _ in keys]
        indexes = [index for _, index in keys]
        rows = self._query(
            "SELECT k.ord, coalesce(l.leaf_hash, n.hash) "
            "FROM unnest(%b::int[], %b::bigint[]) WITH ORDINALITY AS k(level, idx, ord) "
            "LEFT JOIN chatseal.audit_leaves AS l ON k.level = 0 AND l.idx = k.idx "
            "LEFT JOIN chatseal.audit_nodes AS n ON k.level > 0 AND n.level = k.level "
            "AND n.idx = k.idx ORDER BY k.ord",
            (levels, indexes),
        )
        out = [bytes(h) for _, h in rows if h is not None]
        if len(out) != len(keys):
            raise IntegrityError("audit tree node missing")
        return out

    def get_level(self, level: int, start: int, end: int) -> list[bytes]:
        """Return a run of node hashes at one level, in index order."""
        if level == 0:
            rows = self._query(
                "SELECT leaf_hash FROM chatseal.audit_leaves WHERE idx >= %s AND idx < %s "
                "ORDER BY idx",
                (start, end),
            )
        else:
            rows = self._query(
                "SELECT hash FROM chatseal.audit_nodes WHERE level = %s AND idx >= %s "
                "AND idx < %s ORDER BY idx",
                (level, start, end),
            )
        return [bytes(r[0]) for r in rows]

    def get_leaves(self, start: int, end: int) -> list[bytes]:
        """Return leaf data [start, end)."""
        rows = self._query(
            "SELECT data FROM chatseal.audit_leaves WHERE idx >= %s AND idx < %s ORDER BY idx",
            (start, end),
        )
        return [bytes(r[0]) for r in rows]

    def leaf_rows(self, start: int, end: int) -> list[tuple[bytes, bytes]]:
        """Return (data, leaf_hash) rows present in [start, end), by index."""
        rows = self._query(
            "SELECT data, leaf_hash FROM chatseal.audit_leaves WHERE idx >= %s AND idx < %s "
            "ORDER BY idx",
            (start, end),
        )
        return [(bytes(d), bytes(h)) for d, h in rows]

    def node_counts(self) -> dict[int, int]:
        """Return stored node counts per level."""
        counts = {0: int(self._query("SELECT count(*) FROM chatseal.audit_leaves")[0][0])}
        for level, count in self._query(
            "SELECT level, count(*) FROM chatseal.audit_nodes GROUP BY level"
        ):
            counts[int(level)] = int(count)
        return {k: v for k, v in counts.items() if v}

    def write(
        self,
        start: int,
        leaves: Sequence[tuple[bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Insert leaves and nodes (COPY-free multi-row inserts); a duplicate index is a race.

        The arrays go in binary (%b): as text, every bytea element would be hex-escaped here and
        parsed by the server, several times the cost of the insert itself.
        """
        if not leaves and not nodes:
            return
        with self.link.lock:
            conn = self.link.conn()
            try:
                with conn.transaction():  # a savepoint inside the caller's transaction
                    if leaves:
                        conn.execute(
                            "INSERT INTO chatseal.audit_leaves (idx, data, leaf_hash) "
                            "SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bytea[])",
                            (
                                list(range(start, start + len(leaves))),
                                [d for d, _ in leaves],
                                [h for _, h in leaves],
                            ),
                        )
                    if nodes:
                        conn.execute(
                            "INSERT INTO chatseal.audit_nodes (level, idx, hash) "
                            "SELECT * FROM unnest(%b::int[], %b::bigint[], %b::bytea[])",
                            ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
                        )
            except psycopg.errors.UniqueViolation:
                raise IntegrityError("audit append does not continue the tree") from None
            except psycopg.Error:
                with mapped():
                    raise

    def add_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint (re-signing a size replaces it)."""
        self._execute(
            "INSERT INTO chatseal.audit_checkpoints (size, note) VALUES (%s, %s) "
            "ON CONFLICT (size) DO UPDATE SET note = excluded.note",
            (size, note),
        )

    def checkpoints(self) -> list[tuple[int, str]]:
        """Return every checkpoint, smallest first."""
        rows = self._query("SELECT size, note FROM chatseal.audit_checkpoints ORDER BY size")
        return [(int(s), str(n)) for s, n in rows]

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """Return the largest checkpoint."""
        rows = self._query(
            "SELECT size, note FROM chatseal.audit_checkpoints ORDER BY size DESC LIMIT 1"
        )
        return None if not rows else (int(rows[0][0]), str(rows[0][1]))

    def close(self) -> None:
        """Close the audit connection."""
        self.link.close()


class PostgresQueue:
    """`AuditQueue` on the tree storage's connection (so pending + remove join its transaction).

    Writers enqueue through `StoreTx.enqueue_audit`, in their own transaction; `enqueue` here is
    for tools and tests and commits by itself when no tree transaction is open.
    """

    def __init__(self, storage: PostgresTreeStorage) -> None:
        self._storage = storage

    def enqueue(self, data: bytes) -> None:
        """Queue an event's bytes."""
        self._storage._execute("INSERT INTO chatseal.audit_queue (data) VALUES (%s)", (data,))

    def pending(self, limit: int) -> list[QueuedEvent]:
        """Return up to `limit` committed events, lowest seq first."""
        rows = self._storage._query(
            "SELECT seq, data FROM chatseal.audit_queue ORDER BY seq LIMIT %s", (limit,)
        )
        return [QueuedEvent(int(s), bytes(d)) for s, d in rows]

    def remove(self, seqs: Sequence[int]) -> None:
        """Delete exactly the integrated events (see the module docstring)."""
        if seqs:
            self._storage._execute(
                "DELETE FROM chatseal.audit_queue WHERE seq = ANY(%b::bigint[])", (list(seqs),)
            )
