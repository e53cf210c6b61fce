"""Signed deletion receipts: what was destroyed, provable to someone who trusts only our key.

A receipt is a C2SP signed note (c2sp.org/signed-note) whose text is one header line and one
line of JSON:

    chatseal deletion receipt v1
    {"conversations":[{"data_keys":[...],"id":"sh1:…","items":3}],"kind":"retention",…}

The JSON is canonical (sorted keys, no spaces, ASCII only: for the strings and integers it holds,
this is RFC 8785's form). Conversation ids appear only as salted hashes,
`sh1:` + hex(SHA-256(salt ‖ id)), with a fresh per-receipt salt printed in the receipt: whoever
knows an id (the data subject, the tenant) can check it is listed; nobody else learns ids. Data
keys are named by `kid` = SHA-256 of the wrapped key blob, so a holder of an old backup can check
that exactly those wrapped keys were destroyed.

The signing key is an Ed25519 seed in `<home>/receipt-signing.key` (0600), made on first use.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatseal.audit.note import Signer, Verifier, open_note, sign_note
from chatseal.errors import ConfigError, IntegrityError
from chatseal.store import DataKeyRow

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal

HEADER = "chatseal deletion receipt v1"
KEY_FILE = "receipt-signing.key"
KEY_NAME = "chatseal/deletion-receipts"
SALT_BYTES = 16


def canonical(value: Any) -> str:
    """Canonical JSON for receipts (sorted keys, no whitespace, ASCII)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def salted_hash(salt: bytes, identifier: str) -> str:
    """`sh1:` + hex(SHA-256(salt ‖ identifier)): checkable by whoever knows the identifier."""
    return "sh1:" + hashlib.sha256(salt + identifier.encode("utf-8")).hexdigest()


def key_ids(rows: list[DataKeyRow]) -> list[dict[str, Any]]:
    """Name each destroyed data key by namespace, KEK version and a hash of its wrapped blob."""
    return [
        {
            "namespace": row.namespace,
            "kek_version": row.kek_version,
            "kid": hashlib.sha256(row.wrapped).hexdigest()[:32],
        }
        for row in sorted(rows, key=lambda r: r.namespace)
    ]


@dataclass(frozen=True)
class Receipt:
    """A signed receipt: its id, the parsed body and the signed note text."""

    receipt_id: str
    body: dict[str, Any]
    note: str
    audit_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints: the body, the signed note and the audit leaf's index."""
        out = {"receipt_id": self.receipt_id, **self.body, "signed_note": self.note}
        if self.audit_index is not None:
            out["audit_index"] = self.audit_index
        return out

    @property
    def digest(self) -> str:
        """SHA-256 of the signed note, as the audit leaf names it."""
        return hashlib.sha256(self.note.encode("utf-8")).hexdigest()


class ReceiptSigner:
    """Builds and signs receipts with the deployment's receipt key."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    @classmethod
    def for_seal(cls, seal: ChatSeal) -> ReceiptSigner:
        """The receipt signer of a ChatSeal home (created on first use)."""
        if seal.config is None:
            raise ConfigError("deletion receipts need a ChatSeal home for their signing key")
        return cls(Signer.from_seed(KEY_NAME, _load_or_create_seed(seal.config.home)))

    @property
    def verifier(self) -> Verifier:
        """The public half, to publish for receipt holders."""
        return self.signer.verifier

    def new_salt(self) -> bytes:
        """A fresh per-receipt salt."""
        return secrets.token_bytes(SALT_BYTES)

    def sign(self, receipt_id: str, body: dict[str, Any]) -> Receipt:
        """Sign a receipt body (the caller built it from salted hashes and counts only)."""
        full = {"receipt_id": receipt_id, **body}
        note = sign_note(f"{HEADER}\n{canonical(full)}\n", self.signer)
        return Receipt(receipt_id, body, note)


def verify_receipt(note: str, verifier: Verifier) -> dict[str, Any]:
    """Check a receipt's signature and return its body; IntegrityError if it does not verify."""
    opened = open_note(note, verifier)
    lines = opened.text.split("\n")
    if len(lines) != 3 or lines[0] != HEADER:
        raise IntegrityError("not a ChatSeal deletion receipt")
    body = json.loads(lines[1])
    if not isinstance(body, dict):
        raise IntegrityError("not a ChatSeal deletion receipt")
    return body


def _load_or_create_seed(home: Path) -> bytes:
    from chatseal.files import write_secret_file

    path = home / KEY_FILE
    if not path.exists():
        # Another process may make it first: then use theirs.
        with contextlib.suppress(FileExistsError):
            write_secret_file(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    try:
        seed = base64.b64decode(path.read_text("ascii").strip(), validate=True)
    except (OSError, ValueError):
        raise ConfigError(f"{path} is not a valid receipt signing key") from None
    if len(seed) != 32:
        raise ConfigError(f"{path} is not a valid receipt signing key")
    return seed
