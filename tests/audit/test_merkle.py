"""RFC 9162 §2.1 hashing, roots and proofs for every tree size 0..70, tampering, properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chatseal.audit import merkle
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree

from .conftest import leaves

MAX = 70

# RFC 6962 reference test data (certificate-transparency's merkle tree tests): leaf inputs and
# the roots of the trees of their first 1..8 leaves.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _tree(n: int) -> AuditTree:
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(leaves(n))
    return tree


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_empty_root_is_hash_of_nothing() -> None:
    """MTH({}) is SHA-256 of the empty string."""
    assert (
        _tree(0).root().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_known_rfc6962_roots() -> None:
    """The roots of the CT reference leaves match the published values."""
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(CT_LEAVES)
    assert [tree.root(n).hex() for n in range(1, 9)] == CT_ROOTS


def test_roots_every_size() -> None:
    """The stored-node root equals the recursive MTH at every size 0..70, now and later."""
    full = _tree(MAX)
    hashes = [merkle.leaf_hash(d) for d in leaves(MAX)]
    for n in range(MAX + 1):
        expected = merkle.root_from_leaf_hashes(hashes[:n])
        assert _tree(n).root() == expected
        assert full.root(n) == expected


def test_inclusion_every_size_and_index() -> None:
    """Every inclusion proof verifies; a flipped sibling, index or size fails."""
    full = _tree(MAX)
    for n in range(1, MAX + 1):
        root = full.root(n)
        for i in range(n):
            proof = full.inclusion_proof(i, n)
            leaf = merkle.leaf_hash(f"leaf-{i}".encode())
            assert merkle.verify_inclusion(leaf, i, n, proof, root)
            for k in range(len(proof)):
                bad = [*proof[:k], _flip(proof[k]), *proof[k + 1 :]]
                assert not merkle.verify_inclusion(leaf, i, n, bad, root)
            assert not merkle.verify_inclusion(
                leaf, i, n, [*proof, proof[0] if proof else root], root
            )
            if proof:
                assert not merkle.verify_inclusion(leaf, i, n, proof[:-1], root)
            if n > 1:
                assert not merkle.verify_inclusion(leaf, (i + 1) % n, n, proof, root)
            # A wrong size, with the root of that size, fails; so does an index outside it.
            if n < MAX:
                assert not merkle.verify_inclusion(leaf, i, n + 1, proof, full.root(n + 1))
            if n > 1:
                assert not merkle.verify_inclusion(leaf, i, n - 1, proof, full.root(n - 1))
            assert not merkle.verify_inclusion(leaf, i, i, proof, root)


def test_consistency_every_pair() -> None:
    """Every consistency proof verifies; a flipped hash, size or root fails."""
    full = _tree(MAX)
    roots = [full.root(n) for n in range(MAX + 1)]
    for second in range(MAX + 1):
        for first in range(second + 1):
            proof = full.consistency_proof(first, second)
            assert merkle.verify_consistency(first, second, roots[first], roots[second], proof)
            for k in range(len(proof)):
                bad = [*proof[:k], _flip(proof[k]), *proof[k + 1 :]]
                assert not merkle.verify_consistency(
                    first, second, roots[first], roots[second], bad
                )
            if 0 < first < second:
                assert not merkle.verify_consistency(
                    first, second, _flip(roots[first]), roots[second], proof
                )
                assert not merkle.verify_consistency(
                    first, second, roots[first], _flip(roots[second]), proof
                )
                assert not merkle.verify_consistency(
                    first - 1, second, roots[first - 1], roots[second], proof
                )
                assert not merkle.verify_consistency(
                    first, second - 1, roots[first], roots[second - 1], proof
                )
                assert not merkle.verify_consistency(first, second, roots[first], roots[second], [])


def test_proof_sizes_are_logarithmic() -> None:
    """Proofs at every size have at most ceil(log2 n) (inclusion) or +1 (consistency) hashes."""
    full = _tree(MAX)
    for n in range(1, MAX + 1):
        bound = (n - 1).bit_length()
        assert all(len(full.inclusion_proof(i, n)) <= bound for i in range(n))
        assert all(len(full.consistency_proof(m, n)) <= bound + 1 for m in range(n + 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=300), st.data())
def test_property_inclusion_and_consistency(items: list[bytes], data: st.DataObject) -> None:
    """For random leaves, sizes and indices, proofs verify and a changed leaf does not."""
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(items)
    n = data.draw(st.integers(1, len(items)))
    i = data.draw(st.integers(0, n - 1))
    m = data.draw(st.integers(0, n))
    root = tree.root(n)
    assert root == merkle.root_from_leaf_hashes([merkle.leaf_hash(x) for x in items[:n]])
    proof = tree.inclusion_proof(i, n)
    assert merkle.verify_inclusion(merkle.leaf_hash(items[i]), i, n, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(items[i] + b"x"), i, n, proof, root)
    assert merkle.verify_consistency(m, n, tree.root(m), root, tree.consistency_proof(m, n))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=12))
def test_property_batches_equal_single_appends(batches: list[int]) -> None:
    """Appending in any batch split gives the same nodes as appending one at a time."""
    batched = AuditTree(MemoryTreeStorage())
    single = AuditTree(MemoryTreeStorage())
    total = 0
    for count in batches:
        batched.append_many([str(total + j).encode() for j in range(count)])
        total += count
    for j in range(total):
        single.append(str(j).encode())
    assert batched.root() == single.root()
    assert batched.storage.node_counts() == single.storage.node_counts()
