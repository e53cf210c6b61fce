"""AES-256-GCM with the associated data in every signature, so nobody forgets it."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chatseal.errors import IntegrityError

KEY_BYTES = 32
NONCE_BYTES = 12  # 96-bit nonces, NIST SP 800-38D §8.2.2 (random construction)
TAG_BYTES = 16


class DataKey:
    """An unwrapped AES-256 data key, ready to seal and open.

    Holds the cipher object rather than exposing the key bytes, and never prints them.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    def seal(self, plaintext: bytes, associated_data: bytes, nonce: bytes | None = None) -> bytes:
        """Return nonce ‖ ciphertext ‖ tag; the nonce is fresh from the OS CSPRNG by default."""
        nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
        return nonce + self._aead.encrypt(nonce, plaintext, associated_data)

    def open_many(self, parts: Iterable[tuple[bytes, bytes, bytes]]) -> list[bytes]:
        """Open (nonce, ciphertext ‖ tag, associated data) triples; one failure fails them all."""
        try:
            # starmap: the loop runs in C, the read path's one call per record.
            return list(itertools.starmap(self._aead.decrypt, parts))
        except (InvalidTag, ValueError, TypeError):
            raise IntegrityError from None

    def open(self, sealed: bytes, associated_data: bytes) -> bytes:
        """Return the plaintext, or raise the one opaque IntegrityError."""
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise IntegrityError
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated_data)
        except InvalidTag:
            raise IntegrityError from None


def new_key_bytes() -> bytes:
    """Return 32 fresh random bytes for a key."""
    return os.urandom(KEY_BYTES)
