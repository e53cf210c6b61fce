"""An append-only RFC 9162 tree over a `TreeStorage`.

The tree keeps its *frontier* (the complete subtrees that make up the current size, at most one
per level) in memory. Appending a leaf combines it with the frontier, which yields exactly the
complete subtrees the new leaf closes: on average one node per leaf, never more than log2(n), and
nothing is recomputed from the leaves. Proofs and roots read O(log n) stored nodes
(`chatseal.audit.merkle`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chatseal.audit import merkle
from chatseal.audit.storage import TreeStorage
from chatseal.errors import InvalidRequest

# C2SP tlog-tiles entry bundles prefix each entry with a uint16 length, so no leaf may be longer.
MAX_ENTRY_SIZE = 0xFFFF


class AuditTree:
    """Appends leaves and answers roots and proofs at any size."""

    def __init__(self, storage: TreeStorage) -> None:
        self.storage = storage
        self._size = -1
        self._frontier: list[tuple[int, bytes]] = []

    def _load(self) -> None:
        """Read the frontier of the stored tree: O(log n) nodes."""
        size = self.storage.size()
        if size == self._size:
            return
        keys = merkle.range_nodes(0, size)
        self._frontier = list(
            zip((lvl for lvl, _ in keys), self.storage.get_nodes(keys), strict=True)
        )
        self._size = size

    @property
    def size(self) -> int:
        """Return the number of leaves."""
        self._load()
        return self._size

    def append(self, data: bytes) -> int:
        """Append one leaf and return its index."""
        return self.append_many([data])

    def append_many(self, entries: Sequence[bytes]) -> int:
        """Append leaves in one write and return the index of the first.

        The caller owns the transaction (`storage.transaction()`), so a batch and whatever else
        belongs with it (the queue removal) commit together.
        """
        for data in entries:
            if len(data) > MAX_ENTRY_SIZE:
                raise InvalidRequest("an audit entry is larger than 65535 bytes", param="entry")
        self._load()
        start = self._size
        frontier = list(self._frontier)
        sha = hashlib.sha256
        leaves: list[tuple[bytes, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        index = start
        for data in entries:
            h = sha(b"\x00" + data).digest()
            leaves.append((data, h))
            level = 0
            # Each trailing 1-bit of the index closes one complete subtree with the frontier.
            i = index
            while i & 1:
                _, left = frontier.pop()
                h = sha(b"\x01" + left + h).digest()
                level += 1
                i >>= 1
                nodes.append((level, i, h))
            frontier.append((level, h))
            index += 1
        self.storage.write(start, leaves, nodes)
        self._frontier = frontier
        self._size = index
        return start

    def invalidate(self) -> None:
        """Forget the cached frontier (after a rolled-back transaction)."""
        self._size = -1

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree at `size` (default: now)."""
        current = self.size
        if size is None or size == current:
            return merkle.fold([h for _, h in self._frontier])
        if not 0 <= size <= current:
            raise InvalidRequest("tree size is beyond the log", param="tree_size")
        return merkle.root_hash(size, self.storage)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the inclusion proof of leaf `index` at tree size `size` (default: now)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise InvalidRequest("index must be below tree_size, within the log", param="index")
        return merkle.inclusion_proof(index, size, self.storage)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """Return the consistency proof from size `first` to `second` (default: now)."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise InvalidRequest("need 0 <= first <= second <= log size", param="first")
        return merkle.consistency_proof(first, second, self.storage)

    def leaf_hash(self, index: int) -> bytes:
        """Return the stored leaf hash at `index`."""
        if not 0 <= index < self.size:
            raise InvalidRequest("index is beyond the log", param="index")
        return self.storage.get_nodes([(0, index)])[0]

    def entries(self, start: int, end: int) -> list[bytes]:
        """Return leaf data [start, end)."""
        if not 0 <= start <= end <= self.size:
            raise InvalidRequest("need 0 <= start <= end <= log size", param="start")
        return self.storage.get_leaves(start, end)
