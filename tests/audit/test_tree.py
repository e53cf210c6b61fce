"""The append-only tree over both storages: batching, O(log n) I/O, limits."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chatseal.audit import merkle
from chatseal.audit.merkle import NodeKey
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import MAX_ENTRY_SIZE, AuditTree
from chatseal.errors import InvalidRequest

from .conftest import leaves


class CountingStorage(MemoryTreeStorage):
    """Counts node reads and node writes."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.writes = 0

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        self.reads += len(keys)
        return super().get_nodes(keys)

    def write(
        self,
        start: int,
        leaves: Sequence[tuple[bytes, bytes]],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        self.writes += len(nodes)
        super().write(start, leaves, nodes)


def test_storages_agree(tree: AuditTree) -> None:
    """Each storage gives the recursive MTH root and verifiable proofs after batched appends."""
    data = leaves(300)
    assert tree.append_many(data[:7]) == 0
    assert tree.append_many(data[7:256]) == 7
    assert tree.append(data[256]) == 256
    tree.append_many(data[257:])
    assert tree.size == 300
    hashes = [merkle.leaf_hash(d) for d in data]
    assert tree.root() == merkle.root_from_leaf_hashes(hashes)
    assert tree.root(123) == merkle.root_from_leaf_hashes(hashes[:123])
    proof = tree.inclusion_proof(200, 250)
    assert merkle.verify_inclusion(hashes[200], 200, 250, proof, tree.root(250))
    proof = tree.consistency_proof(100, 300)
    assert merkle.verify_consistency(100, 300, tree.root(100), tree.root(), proof)
    assert tree.entries(5, 8) == data[5:8]
    assert tree.leaf_hash(9) == hashes[9]


def test_reopened_tree_continues(tree: AuditTree) -> None:
    """A new AuditTree over the same storage reloads its frontier and continues the same tree."""
    tree.append_many(leaves(37))
    again = AuditTree(tree.storage)
    again.append_many(leaves(80)[37:])
    whole = AuditTree(MemoryTreeStorage())
    whole.append_many(leaves(80))
    assert again.root() == whole.root()


def test_io_is_logarithmic() -> None:
    """Appends write at most one node per leaf on average; proofs read O(log n) nodes."""
    storage = CountingStorage()
    tree = AuditTree(storage)
    n = 5000
    tree.append_many(leaves(n))
    assert storage.writes == n - bin(n).count("1")
    bound = 2 * n.bit_length() + 2
    for index, size in [(0, n), (n - 1, n), (1234, 4321)]:
        storage.reads = 0
        tree.inclusion_proof(index, size)
        assert storage.reads <= bound
    storage.reads = 0
    tree.consistency_proof(1000, n)
    assert storage.reads <= bound
    storage.reads = 0
    tree.root(4321)
    assert storage.reads <= n.bit_length()


def test_entry_size_limit(tree: AuditTree) -> None:
    """Entries above 65535 bytes (the tile bundle limit) are refused and nothing is written."""
    with pytest.raises(InvalidRequest):
        tree.append_many([b"ok", b"x" * (MAX_ENTRY_SIZE + 1)])
    assert tree.size == 0


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 99)])
def test_bad_proof_requests_refused(tree: AuditTree, index: int, size: int) -> None:
    """Indices and sizes outside the log are refused with InvalidRequest."""
    tree.append_many(leaves(5))
    with pytest.raises(InvalidRequest):
        tree.inclusion_proof(index, size)
    with pytest.raises(InvalidRequest):
        tree.consistency_proof(6, 5)
