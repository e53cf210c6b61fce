"""C2SP tlog-tiles export: paths, partial tiles, bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatseal.audit import merkle
from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.note import Signer
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tiles import encode_index, export_tiles, read_bundle, tile_path
from chatseal.audit.tree import AuditTree
from chatseal.errors import IntegrityError

from .conftest import leaves


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(n: int, text: str) -> None:
    """Tile indices are 3-digit groups, all but the last prefixed x (spec example included)."""
    assert encode_index(n) == text


def test_tile_paths() -> None:
    """Full tiles have no suffix; partial tiles end in .p/<W>."""
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(2, 0, 1) == "tile/2/000.p/1"
    assert tile_path("entries", 3, 17) == "tile/entries/003.p/17"


def test_export_layout(tmp_path: Path, log_signer: Signer) -> None:
    """A 70,000-leaf-like layout at small scale: full and partial tiles at every level, bundles."""
    tree = AuditTree(MemoryTreeStorage())
    size = 256 * 256 + 256 * 3 + 5
    tree.append_many(leaves(size))
    note = CheckpointSigner(tree, log_signer).sign()
    export_tiles(tree, note, tmp_path)
    assert (tmp_path / "checkpoint").read_text() == note
    assert len((tmp_path / "tile/0/255").read_bytes()) == 8192
    assert len((tmp_path / "tile/0/259.p/5").read_bytes()) == 5 * 32
    assert len((tmp_path / "tile/1/000").read_bytes()) == 8192
    assert len((tmp_path / "tile/1/001.p/3").read_bytes()) == 3 * 32
    assert len((tmp_path / "tile/2/000.p/1").read_bytes()) == 32
    bundle = read_bundle((tmp_path / "tile/entries/259.p/5").read_bytes())
    assert bundle == leaves(size)[-5:]
    tile = (tmp_path / "tile/0/259.p/5").read_bytes()
    assert tile[:32] == merkle.leaf_hash(bundle[0])
    # The level-2 hash is the root of the first 65,536 leaves.
    assert (tmp_path / "tile/2/000.p/1").read_bytes() == tree.root(65536)


def test_export_refuses_foreign_checkpoint(tmp_path: Path, log_signer: Signer) -> None:
    """A checkpoint that does not match the tree is not exported."""
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(leaves(3))
    other = AuditTree(MemoryTreeStorage())
    other.append_many([b"z"] * 3)
    with pytest.raises(IntegrityError):
        export_tiles(tree, CheckpointSigner(other, log_signer).sign(), tmp_path)
