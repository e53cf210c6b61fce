"""RFC 9162 §2.1 Merkle tree hashing, proofs and their verification.

Hashes are SHA-256 with the leaf prefix 0x00 and the node prefix 0x01 (RFC 9162 §2.1.1). A tree
is read through a `NodeReader`: the hashes of *complete* subtrees, keyed (level, index), where the
node (l, i) covers the leaves [i·2^l, (i+1)·2^l). Every hash a proof or a root needs is a fold of
O(log n) such nodes, so no request ever walks all the leaves.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = HASH()

NodeKey = tuple[int, int]


class NodeReader(Protocol):
    """Reads hashes of complete subtrees."""

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        """Return the hash of each complete subtree (level, index), in order."""
        ...


def leaf_hash(data: bytes) -> bytes:
    """Return MTH({d}) = SHA-256(0x00 || d) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n (n > 1), as RFC 9162 §2.1.1 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[NodeKey]:
    """Return the complete subtrees that make up the leaves [lo, hi), left to right.

    For the ranges RFC 9162's recursion produces (lo a multiple of a power of two ≥ hi - lo),
    MTH(D[lo:hi]) is these nodes folded from the right.
    """
    nodes: list[NodeKey] = []
    pos = lo
    while pos < hi:
        level = (hi - pos).bit_length() - 1
        if pos:
            level = min(level, (pos & -pos).bit_length() - 1)
        nodes.append((level, pos >> level))
        pos += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Fold complete-subtree hashes from the right into the hash of their range."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _resolve(ranges: Sequence[tuple[int, int]], reader: NodeReader) -> list[bytes]:
    """Read every node the ranges need in one batch, then fold each range."""
    per_range = [range_nodes(lo, hi) for lo, hi in ranges]
    keys = [k for nodes in per_range for k in nodes]
    hashes = reader.get_nodes(keys)
    out: list[bytes] = []
    pos = 0
    for nodes in per_range:
        out.append(fold(hashes[pos : pos + len(nodes)]))
        pos += len(nodes)
    return out


def root_hash(size: int, reader: NodeReader) -> bytes:
    """Return MTH(D[0:size]) from O(log size) stored nodes."""
    if size < 0:
        raise ValueError("tree size must not be negative")
    return fold(reader.get_nodes(range_nodes(0, size))) if size else EMPTY_ROOT


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PATH(index, D[0:size]) (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError("leaf index must be inside the tree")
    top_down: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
    # PATH(m, D[0:k]) : MTH(D[k:n]) puts the deepest sibling first.
    return top_down[::-1]


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1)."""
    if not 0 <= first <= second:
        raise ValueError("consistency needs 0 <= first <= second")
    if first in (0, second):
        return []
    top_down: list[tuple[int, int]] = []
    lo, hi, whole = 0, second, True
    while True:
        size = hi - lo
        if first - lo == size:
            # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            if not whole:
                top_down.append((lo, hi))
            break
        k = _split(size)
        if first - lo <= k:
            top_down.append((lo + k, hi))
            hi = lo + k
        else:
            top_down.append((lo, lo + k))
            lo += k
            whole = False
    return top_down[::-1]


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Return the inclusion proof of leaf `index` in the tree of `size` leaves."""
    return _resolve(inclusion_ranges(index, size), reader)


def consistency_proof(first: int, second: int, reader: NodeReader) -> list[bytes]:
    """Return the consistency proof between the trees of `first` and `second` leaves."""
    return _resolve(consistency_ranges(first, second), reader)


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Run RFC 9162 §2.1.3.2 and return the computed root, or None if the proof is malformed."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether `proof` shows leaf hash `leaf` at `index` in the tree `root` of `size`."""
    computed = root_from_inclusion(leaf, index, size, proof)
    return computed is not None and hmac.compare_digest(computed, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether `proof` shows the tree (first, first_root) is a prefix of (second, ...).

    Implements RFC 9162 §2.1.4.2 for 0 < first < second; first == second needs an empty proof and
    equal roots, and first == 0 an empty proof (every tree extends the empty one).
    """
    if not 0 <= first <= second or any(len(p) != HASH_SIZE for p in proof):
        return False
    if first == 0:
        return not proof and hmac.compare_digest(first_root, EMPTY_ROOT)
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # first is an exact power of 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """Return MTH over the given leaf hashes by the RFC's recursive definition (for checking)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_from_leaf_hashes(leaves[:k]), root_from_leaf_hashes(leaves[k:]))
