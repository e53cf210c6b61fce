"""Where the audit log keeps its leaves, subtree hashes, checkpoints and pending events.

Two Protocols, in the Trillian/Tessera shape (DESIGN.md "Audit log"):

- `AuditQueue` is what a store transaction implements: `enqueue` writes an event's bytes in the
  *same transaction* as the change it records (no change without its record, no record without its
  change). Many writers enqueue; nothing is hashed there.
- `TreeStorage` is what the one sequencer integrates into: leaves, the hashes of complete subtrees
  (level, index) -> hash, and signed checkpoints. An append writes O(log n) nodes per leaf batch
  and a proof reads O(log n) nodes.

`MemoryTreeStorage` / `MemoryQueue` are the in-memory implementations (tests, embedded use);
`chatseal.audit.sqlite_storage` holds the SQLite ones, `chatseal.audit.postgres_storage` the
PostgreSQL ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from chatseal.audit.merkle import NodeKey
from chatseal.errors import IntegrityError


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An event waiting for the sequencer: its queue position and canonical bytes."""

    seq: int
    data: bytes


@runtime_checkable
class AuditQueue(Protocol):
    """The ordered queue of events not yet in the tree."""

    def enqueue(self, data: bytes) -> None:
        """Append an event's bytes, inside the caller's current transaction."""
        ...

    def pending(self, limit: int) -> list[QueuedEvent]:
        """Return up to `limit` queued events, oldest first."""
        ...

    def remove(self, seqs: Sequence[int]) -> None:
        """Drop exactly these queued events (after integrating them).

        Not "everything up to the last seq": on PostgreSQL a lower seq may commit after a higher
        one was integrated, and must stay queued for the next round.
        """
        ...


@runtime_checkable
class TreeStorage(Protocol):
    """Leaves, complete-subtree hashes and checkpoints of one log."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes (and the queue removal) into one atomic commit."""
        ...

    def size(self) -> int:
        """Return the number of leaves stored."""
        ...

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Return the hash of each complete subtree; level 0 is the leaf hash."""
        ...

    def get_level(self, level: int, start: int, end: int) -> list[bytes]:
        """Return the hashes of nodes [start, end) at `level`, in index order."""
        ...

    def get_leaves(self, start: int, end: int) -> list[bytes]:
        """Return the data of leaves [start, end)."""
        ...

    def leaf_rows(self, start: int, end: int) -> list[tuple[bytes, bytes]]:
        """Return (data, stored leaf hash) of the leaves present in [start, end), by index."""
        ...

    def node_counts(self) -> dict[int, int]:
        """Return how many nodes are stored per level (level 0 counts leaves)."""
        ...

    def write(
        self,
        start: int,
        leaves: Sequence[tuple[bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Store leaves (data, leaf hash) from index `start`, and the new complete-subtree nodes."""
        ...

    def add_checkpoint(self, size: int, note: str) -> None:
        """Keep a signed checkpoint."""
        ...

    def checkpoints(self) -> list[tuple[int, str]]:
        """Return every kept checkpoint (size, signed note), smallest size first."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """Return the checkpoint with the largest size, if any."""
        ...


class MemoryQueue:
    """An in-memory `AuditQueue`."""

    def __init__(self) -> None:
        self._events: list[QueuedEvent] = []
        self._next = 1

    def enqueue(self, data: bytes) -> None:
        """Append an event."""
        self._events.append(QueuedEvent(self._next, bytes(data)))
        self._next += 1

    def pending(self, limit: int) -> list[QueuedEvent]:
        """Return the oldest events."""
        return self._events[:limit]

    def remove(self, seqs: Sequence[int]) -> None:
        """Drop integrated events."""
        gone = set(seqs)
        self._events = [e for e in self._events if e.seq not in gone]


class MemoryTreeStorage:
    """An in-memory `TreeStorage`: lists per level, so every read is O(1)."""

    def __init__(self) -> None:
        self._data: list[bytes] = []
        self._levels: list[list[bytes]] = [[]]
        self._checkpoints: dict[int, str] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nothing to group in memory: writes land whole or not at all."""
        yield

    def size(self) -> int:
        """Return the leaf count."""
        return len(self._data)

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Return node hashes; a missing node is an integrity failure."""
        try:
            return [self._levels[level][index] for level, index in keys]
        except IndexError:
            raise IntegrityError("audit tree node missing") from None

    def get_level(self, level: int, start: int, end: int) -> list[bytes]:
        """Return a run of node hashes at one level."""
        if level >= len(self._levels):
            return []
        return self._levels[level][start:end]

    def get_leaves(self, start: int, end: int) -> list[bytes]:
        """Return leaf data."""
        return self._data[start:end]

    def leaf_rows(self, start: int, end: int) -> list[tuple[bytes, bytes]]:
        """Return stored leaf rows."""
        return list(zip(self._data[start:end], self._levels[0][start:end], strict=True))

    def node_counts(self) -> dict[int, int]:
        """Return node counts per level."""
        return {level: len(nodes) for level, nodes in enumerate(self._levels) if nodes}

    def write(
        self,
        start: int,
        leaves: Sequence[tuple[bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Append leaves and nodes; they must continue the tree exactly."""
        if start != len(self._data):
            raise IntegrityError("audit append does not continue the tree")
        for data, h in leaves:
            self._data.append(data)
            self._levels[0].append(h)
        for level, index, h in nodes:
            while len(self._levels) <= level:
                self._levels.append([])
            if index != len(self._levels[level]):
                raise IntegrityError("audit append does not continue the tree")
            self._levels[level].append(h)

    def add_checkpoint(self, size: int, note: str) -> None:
        """Keep a checkpoint."""
        self._checkpoints[size] = note

    def checkpoints(self) -> list[tuple[int, str]]:
        """Return checkpoints by size."""
        return sorted(self._checkpoints.items())

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """Return the largest checkpoint."""
        if not self._checkpoints:
            return None
        size = max(self._checkpoints)
        return size, self._checkpoints[size]
