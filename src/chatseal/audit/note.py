"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and vkeys.

A note is text ending in a newline, a blank line, then signature lines
`— <key name> base64(key ID || signature)`. The key ID is
SHA-256(key name || 0x0A || signature type || public key)[:4]; Ed25519 note signatures use type
0x01 (c2sp.org/signed-note §Ed25519 signatures). A verifier key is `name+hex(key ID)+base64(type ||
public key)`, the form Go's golang.org/x/mod/sumdb/note reads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chatseal.errors import IntegrityError, InvalidRequest

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04  # c2sp.org/tlog-cosignature: timestamped Ed25519
SIG_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
MAX_NOTE_SIZE = 1 << 20

_NAME = re.compile(r"^[^\s+]+$")


def check_name(name: str) -> str:
    """Refuse key names that are empty or contain Unicode spaces or '+' (signed-note §Format)."""
    if not name or not _NAME.match(name) or any(ord(c) < 0x20 for c in name):
        raise InvalidRequest("a key name must be non-empty, with no spaces or '+'", param="name")
    return name


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """Return SHA-256(name || 0x0A || alg || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def raw_public(key: Ed25519PublicKey) -> bytes:
    """Return the 32-byte RFC 8032 encoding of a public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A trusted (name, key ID, public key) for one signature type."""

    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey
    alg: int = ALG_ED25519

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        """Parse `name+hex8+base64(alg || key)`; the key ID must match what the key computes."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise InvalidRequest("a vkey looks like name+hash+base64", param="vkey")
        name = check_name(parts[0])
        try:
            kid = bytes.fromhex(parts[1])
            blob = base64.b64decode(parts[2], validate=True)
        except (ValueError, binascii.Error):
            raise InvalidRequest("a vkey looks like name+hash+base64", param="vkey") from None
        if len(blob) != 33 or blob[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise InvalidRequest("only Ed25519 vkeys are supported", param="vkey")
        if key_id(name, blob[0], blob[1:]) != kid:
            raise InvalidRequest("the vkey's key ID does not match its key", param="vkey")
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(blob[1:]), blob[0])

    def vkey(self) -> str:
        """Return the C2SP vkey text."""
        blob = bytes([self.alg]) + raw_public(self.public_key)
        return f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(blob).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Return whether `signature` (without the key ID) signs `message`."""
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """Signs note text with an Ed25519 key under a key name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey, alg: int = ALG_ED25519) -> None:
        self.name = check_name(name)
        self._key = private_key
        self.alg = alg
        self.verifier = Verifier(
            name,
            key_id(name, alg, raw_public(private_key.public_key())),
            private_key.public_key(),
            alg,
        )

    @classmethod
    def generate(cls, name: str, alg: int = ALG_ED25519) -> Signer:
        """Return a signer with a fresh key."""
        return cls(name, Ed25519PrivateKey.generate(), alg)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, alg: int = ALG_ED25519) -> Signer:
        """Return a signer from a 32-byte Ed25519 seed."""
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed), alg)

    def sign(self, message: bytes) -> bytes:
        """Return the raw Ed25519 signature of `message`."""
        return self._key.sign(message)

    def signature_line(self, text: str) -> str:
        """Return `— name base64(key ID || sig)` + newline over note text (alg 0x01 only)."""
        sig = self.verifier.key_hash + self.sign(text.encode())
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(sig).decode()}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One parsed signature line."""

    name: str
    key_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (with the final newline) and signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]


def check_text(text: str) -> None:
    """Refuse note text that is not newline-terminated or holds control characters."""
    if not text.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise InvalidRequest("note text must end in a newline, with no control characters")


def sign_note(text: str, *signers: Signer) -> str:
    """Return the signed note: text, a blank line, one signature line per signer."""
    check_text(text)
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


def parse_note(message: str) -> Note:
    """Split a note at its last blank line and parse its signature lines (signed-note §Format)."""
    if len(message.encode()) > MAX_NOTE_SIZE or any(ord(c) < 0x20 and c != "\n" for c in message):
        raise InvalidRequest("malformed signed note", param="note")
    cut = message.rfind("\n\n")
    if cut < 0 or not message.endswith("\n"):
        raise InvalidRequest("malformed signed note", param="note")
    text, sig_block = message[: cut + 1], message[cut + 2 :]
    lines = sig_block[:-1].split("\n")
    if not lines or len(lines) > MAX_SIGNATURES:
        raise InvalidRequest("malformed signed note", param="note")
    sigs: list[NoteSignature] = []
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise InvalidRequest("malformed signature line", param="note")
        name, sep, b64 = line[len(SIG_PREFIX) :].rpartition(" ")
        try:
            check_name(name)
            blob = base64.b64decode(b64, validate=True)
        except (InvalidRequest, binascii.Error):
            raise InvalidRequest("malformed signature line", param="note") from None
        if not sep or len(blob) < 5:
            raise InvalidRequest("malformed signature line", param="note")
        sigs.append(NoteSignature(name, blob[:4], blob[4:]))
    return Note(text, tuple(sigs))


def open_note(message: str, *verifiers: Verifier) -> Note:
    """Parse a note and check it: every signature from a known key must verify, and one must.

    Signatures from unknown keys are ignored (signed-note §Signatures). Raises IntegrityError when
    no known key signed it or a known key's signature fails.
    """
    note = parse_note(message)
    known = {(v.name, v.key_hash): v for v in verifiers if v.alg == ALG_ED25519}
    verified = 0
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_hash))
        if verifier is None:
            continue
        if not verifier.verify(note.text.encode(), sig.signature):
            raise IntegrityError("note signature does not verify")
        verified += 1
    if not verified:
        raise IntegrityError("note is not signed by a trusted key")
    return note
