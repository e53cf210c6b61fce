"""Export the log as C2SP tlog-tiles on disk (c2sp.org/tlog-tiles), readable without our code.

    <out>/checkpoint                      the signed checkpoint the tiles are exported at
    <out>/tile/<L>/<N>[.p/<W>]            256 hashes per full tile; hash i of tile (L, N) is
                                          MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L])
    <out>/tile/entries/<N>[.p/<W>]        entry bundles: big-endian uint16 length-prefixed entries

A tile hash at level L is our complete-subtree node at Merkle level 8·L, so tiles are read
straight from storage, 256 nodes at a time.
"""

from __future__ import annotations

import struct
from pathlib import Path

from chatseal.audit.checkpoint import checkpoint_of
from chatseal.audit.tree import AuditTree
from chatseal.errors import IntegrityError, InvalidRequest
from chatseal.files import replace_file

TILE_WIDTH = 256
TILE_HEIGHT = 8


def encode_index(n: int) -> str:
    """Return N as zero-padded 3-digit path elements, all but the last prefixed `x`."""
    if n < 0:
        raise ValueError("tile index must not be negative")
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, n: int, width: int = TILE_WIDTH) -> str:
    """Return `tile/<L>/<N>` or `tile/<L>/<N>.p/<W>` for a partial tile."""
    path = f"tile/{level}/{encode_index(n)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def _write(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_file(target, data, mode=0o644, fsync=False)


def _tiles_at(size: int) -> list[tuple[int, int, int]]:
    """Return every (level, index, width) tile a tree of `size` is served as."""
    tiles: list[tuple[int, int, int]] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)  # complete nodes at Merkle level 8·L
        full, partial = divmod(hashes, TILE_WIDTH)
        tiles.extend((level, n, TILE_WIDTH) for n in range(full))
        if partial:
            tiles.append((level, full, partial))
        level += 1
    return tiles


def export_tiles(tree: AuditTree, checkpoint_note: str, out: Path) -> int:
    """Write the tiles, entry bundles and checkpoint of the tree at the checkpoint's size.

    Returns the number of files written. The checkpoint must match the tree (its root is checked),
    so an export is always self-consistent.
    """
    checkpoint = checkpoint_of(checkpoint_note)
    if checkpoint.size > tree.size:
        raise InvalidRequest("checkpoint is beyond the log", param="checkpoint")
    if tree.root(checkpoint.size) != checkpoint.root:
        raise IntegrityError("checkpoint does not match the log")
    root = Path(out)
    written = 0
    for level, n, width in _tiles_at(checkpoint.size):
        start = n * TILE_WIDTH
        hashes = tree.storage.get_level(TILE_HEIGHT * level, start, start + width)
        if len(hashes) != width:
            raise IntegrityError("audit tree node missing")
        _write(root, tile_path(level, n, width), b"".join(hashes))
        written += 1
        if level == 0:
            entries = tree.entries(start, start + width)
            bundle = b"".join(struct.pack(">H", len(e)) + e for e in entries)
            _write(root, tile_path("entries", n, width), bundle)
            written += 1
    _write(root, "checkpoint", checkpoint_note.encode())
    return written + 1


def read_bundle(data: bytes) -> list[bytes]:
    """Split an entry bundle into entries."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise InvalidRequest("truncated entry bundle", param="bundle")
        (length,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + length > len(data):
            raise InvalidRequest("truncated entry bundle", param="bundle")
        entries.append(data[pos : pos + length])
        pos += length
    return entries
