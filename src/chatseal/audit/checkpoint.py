"""C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) and the rule for signing them.

The body is three lines: origin, tree size (decimal, no leading zeroes) and the base64 root hash.
ChatSeal writes no extension lines. A log must never sign a checkpoint inconsistent with one it
signed before (tlog-checkpoint §Signatures): `CheckpointSigner.sign` checks the new tree against
the last signed checkpoint and raises instead of signing a fork.
"""

from __future__ import annotations

import base64
import binascii
import re
import socket
from dataclasses import dataclass

from chatseal.audit import merkle
from chatseal.audit.note import Signer, Verifier, check_name, open_note, parse_note, sign_note
from chatseal.audit.tree import AuditTree
from chatseal.errors import IntegrityError, InvalidRequest

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


def default_origin() -> str:
    """Return `<hostname>/chatseal`, the default origin (issue 4)."""
    return f"{socket.gethostname() or 'localhost'}/chatseal"


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size and root hash."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """Return the note text: three lines, each newline-terminated."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body; extension lines are refused (ChatSeal writes none)."""
        lines = text.split("\n")
        if len(lines) != 4 or lines[3] != "":
            raise InvalidRequest("a checkpoint has exactly three lines", param="checkpoint")
        origin, size, root = lines[:3]
        if not origin or not _SIZE.match(size):
            raise InvalidRequest("malformed checkpoint", param="checkpoint")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise InvalidRequest("malformed checkpoint root", param="checkpoint") from None
        if len(raw) != merkle.HASH_SIZE or base64.b64encode(raw).decode() != root:
            raise InvalidRequest("malformed checkpoint root", param="checkpoint")
        return cls(origin, int(size), raw)


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """Verify a signed checkpoint with the log's key; its origin must be the key name."""
    checkpoint = Checkpoint.parse(open_note(note, verifier).text)
    if checkpoint.origin != verifier.name:
        raise IntegrityError("checkpoint origin does not match the log's key name")
    return checkpoint


def checkpoint_of(note: str) -> Checkpoint:
    """Parse a signed checkpoint *without* verifying it (for reading sizes; verify before trust)."""
    return Checkpoint.parse(parse_note(note).text)


class CheckpointSigner:
    """Signs checkpoints of one tree under the log's key (key name = origin)."""

    def __init__(self, tree: AuditTree, signer: Signer) -> None:
        self.tree = tree
        self.signer = signer
        self.origin = check_name(signer.name)

    @property
    def verifier(self) -> Verifier:
        """Return the log's verifier key."""
        return self.signer.verifier

    def check_consistent(self, checkpoint: Checkpoint) -> None:
        """Raise IntegrityError unless the tree extends the last checkpoint this log signed."""
        latest = self.tree.storage.latest_checkpoint()
        if latest is None:
            return
        previous = open_checkpoint(latest[1], self.verifier)
        if previous.size > checkpoint.size:
            raise IntegrityError("refusing to sign: the log is shorter than its last checkpoint")
        # The stored nodes are immutable, so the root the tree gives for the old size is what any
        # consistency proof from the old checkpoint would be checked against.
        old_root = self.tree.root(previous.size)
        proof = self.tree.consistency_proof(previous.size, checkpoint.size)
        if (
            not merkle.verify_consistency(
                previous.size, checkpoint.size, previous.root, checkpoint.root, proof
            )
            or old_root != previous.root
        ):
            raise IntegrityError(
                "refusing to sign: the log is inconsistent with its last checkpoint"
            )

    def prepare(self, size: int | None = None) -> tuple[Checkpoint, str]:
        """Check and sign the checkpoint at `size` (default: now), without keeping it."""
        size = self.tree.size if size is None else size
        checkpoint = Checkpoint(self.origin, size, self.tree.root(size))
        self.check_consistent(checkpoint)
        return checkpoint, sign_note(checkpoint.body(), self.signer)

    def keep(self, size: int, note: str) -> None:
        """Store a signed checkpoint note (with any cosignatures appended)."""
        with self.tree.storage.transaction():
            self.tree.storage.add_checkpoint(size, note)

    def sign(self, size: int | None = None) -> str:
        """Sign and keep the checkpoint of the tree at `size` (default: now); return the note."""
        checkpoint, note = self.prepare(size)
        self.keep(checkpoint.size, note)
        return note
