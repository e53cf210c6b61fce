"""C2SP tlog-proof receipts (c2sp.org/tlog-proof): offline proof that an entry is in the log.

c2sp.org/tlog-proof@v1
[extra <base64>]
index <decimal>
<base64 inclusion proof hash, leaf's sibling first, one a line>
<empty line>
<the signed checkpoint, verbatim>
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from chatseal.audit import merkle
from chatseal.audit.checkpoint import Checkpoint, open_checkpoint
from chatseal.audit.note import Verifier
from chatseal.audit.witness import verify_cosignature
from chatseal.errors import IntegrityError, InvalidRequest

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"^index (0|[1-9][0-9]{0,19})$")


@dataclass(frozen=True)
class Receipt:
    """A parsed receipt: entry index, inclusion proof, the signed checkpoint and extra data."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def encode(self) -> str:
        """Return the receipt text."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode() for h in self.proof)
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def make_receipt(
    index: int, proof: Sequence[bytes], checkpoint_note: str, extra: bytes | None = None
) -> str:
    """Return a tlog-proof receipt for entry `index` under a signed checkpoint."""
    return Receipt(index, tuple(proof), checkpoint_note, extra).encode()


def parse_receipt(text: str) -> Receipt:
    """Parse receipt text (without checking any signature or proof)."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines or lines[0] != HEADER:
        raise InvalidRequest("not a c2sp.org/tlog-proof@v1 receipt", param="receipt")
    pos = 1
    extra = None
    try:
        if pos < len(lines) and lines[pos].startswith("extra "):
            extra = base64.b64decode(lines[pos][6:], validate=True)
            pos += 1
        match = _INDEX.match(lines[pos]) if pos < len(lines) else None
        if match is None:
            raise InvalidRequest("receipt has no index line", param="receipt")
        proof = tuple(base64.b64decode(line, validate=True) for line in lines[pos + 1 :])
    except binascii.Error:
        raise InvalidRequest("malformed receipt", param="receipt") from None
    if any(len(h) != merkle.HASH_SIZE for h in proof):
        raise InvalidRequest("malformed receipt proof", param="receipt")
    return Receipt(int(match.group(1)), proof, note, extra)


def verify_receipt(
    text: str,
    data: bytes,
    log: Verifier,
    *,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
) -> Checkpoint:
    """Check a receipt proves `data` is in the log and return the checkpoint it is proven under.

    The checkpoint must verify with the log's key and, when `quorum` > 0, carry valid
    cosignatures from at least that many of `witnesses`. Raises IntegrityError otherwise.
    """
    receipt = parse_receipt(text)
    checkpoint = open_checkpoint(receipt.checkpoint_note, log)
    cosigned = 0
    for witness in witnesses:
        try:
            verify_cosignature(receipt.checkpoint_note, witness)
        except IntegrityError:
            continue
        cosigned += 1
    if cosigned < quorum:
        raise IntegrityError("receipt checkpoint lacks the witness cosignatures required")
    if not merkle.verify_inclusion(
        merkle.leaf_hash(data), receipt.index, checkpoint.size, receipt.proof, checkpoint.root
    ):
        raise IntegrityError("receipt does not prove the entry")
    return checkpoint
