"""Anti-rollback: every signed checkpoint is also kept in a directory outside the database.

Someone who can rewrite or restore the database cannot rewrite this directory too (put it on
another volume, an object-store mount, a WORM share). On start the service compares its tree with
the newest checkpoint here: a shorter tree means the database was rolled back or truncated, a
different root means history was rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chatseal.audit.checkpoint import Checkpoint, open_checkpoint
from chatseal.audit.note import Verifier
from chatseal.audit.tree import AuditTree
from chatseal.errors import ChatSealError, IntegrityError, InvalidRequest
from chatseal.files import replace_file

_FILE = re.compile(r"^checkpoint-([0-9]{20})$")


@dataclass(frozen=True)
class ConsistencyResult:
    """The outcome of comparing a tree with the newest external checkpoint."""

    ok: bool
    reason: str
    tree_size: int
    external_size: int | None

    def __bool__(self) -> bool:
        return self.ok


class ExternalCheckpoints:
    """A directory of signed checkpoints, one file per size, written atomically."""

    def __init__(self, directory: Path, *, mode: int = 0o644) -> None:
        if mode not in (0o600, 0o644):
            raise InvalidRequest("external checkpoint files are 0600 or 0644", param="mode")
        self.directory = Path(directory)
        self.mode = mode

    def write(self, note: str, size: int) -> Path:
        """Write a checkpoint note as `checkpoint-<size>` (write, fsync, rename, fsync dir)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"checkpoint-{size:020d}"
        replace_file(target, note.encode(), mode=self.mode, fsync_dir=True)
        return target

    def sizes(self) -> list[int]:
        """Return the sizes of every checkpoint kept, smallest first."""
        if not self.directory.is_dir():
            return []
        found = (_FILE.match(p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def read(self, size: int) -> str:
        """Return the note kept for `size`."""
        return (self.directory / f"checkpoint-{size:020d}").read_text("utf-8")

    def newest(self) -> tuple[int, str] | None:
        """Return (size, note) of the largest checkpoint kept, if any."""
        sizes = self.sizes()
        return None if not sizes else (sizes[-1], self.read(sizes[-1]))

    def check(self, tree: AuditTree, verifier: Verifier) -> ConsistencyResult:
        """Compare the tree with the newest external checkpoint; say what is wrong, if anything."""
        size = tree.size
        newest = self.newest()
        if newest is None:
            return ConsistencyResult(True, "no external checkpoint yet", size, None)
        try:
            checkpoint = open_checkpoint(newest[1], verifier)
        except ChatSealError:
            return ConsistencyResult(
                False,
                "the newest external checkpoint is not validly signed by this log",
                size,
                newest[0],
            )
        return compare(tree, checkpoint)


def compare(tree: AuditTree, checkpoint: Checkpoint) -> ConsistencyResult:
    """Check the tree contains the checkpoint's tree (same root at its size)."""
    size = tree.size
    if checkpoint.size > size:
        return ConsistencyResult(
            False,
            f"the log has {size} entries but a signed checkpoint has {checkpoint.size}: "
            "the database was rolled back or truncated",
            size,
            checkpoint.size,
        )
    try:
        root = tree.root(checkpoint.size)
    except IntegrityError:
        return ConsistencyResult(False, "the log is missing tree nodes", size, checkpoint.size)
    if root != checkpoint.root:
        return ConsistencyResult(
            False,
            f"the log's root at size {checkpoint.size} differs from the signed checkpoint: "
            "history was rewritten",
            size,
            checkpoint.size,
        )
    return ConsistencyResult(
        True, "consistent with the newest external checkpoint", size, checkpoint.size
    )
