"""ChatSeal's sealed record format, version 1.

    record  = header ‖ nonce (12) ‖ ciphertext ‖ tag (16)
    header  = format version (1 byte, 0x01) ‖ KEK version (4 bytes, big-endian)

The associated data binds the record to where it belongs (DESIGN.md, "Keys and records"):

    AD = "chatseal.record" ‖ header ‖ lp(tenant) ‖ lp(conversation) ‖ lp(item) ‖ lp(field)
         ‖ position (8 bytes, big-endian)

where lp(x) is a 2-byte big-endian length and the UTF-8 bytes. Length prefixes make the encoding
injective, so no two addresses share an AD. The header is inside the AD, so editing the version or
the KEK version is detected like any other change. The KEK version is the one that wrapped the data
key when the record was sealed; rewrapping the data key later does not touch records.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chatseal.crypto.aead import NONCE_BYTES, TAG_BYTES, DataKey
from chatseal.errors import IntegrityError

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BI")
_POSITION = struct.Struct(">Q")
_DOMAIN = b"chatseal.record"
MIN_RECORD_BYTES = _HEADER.size + NONCE_BYTES + TAG_BYTES


@dataclass(frozen=True, slots=True)
class RecordAddress:
    """Where a record lives: every field is bound into its associated data."""

    tenant: str
    conversation: str
    item: str
    position: int
    field: str = "item"


def _lp(value: str) -> bytes:
    raw = value.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


def associated_data(header: bytes, address: RecordAddress) -> bytes:
    """Return the AD for a record header at an address."""
    return b"".join(
        (
            _DOMAIN,
            header,
            _lp(address.tenant),
            _lp(address.conversation),
            _lp(address.item),
            _lp(address.field),
            _POSITION.pack(address.position),
        )
    )


def seal_record(key: DataKey, kek_version: int, address: RecordAddress, plaintext: bytes) -> bytes:
    """Seal plaintext for one address under a data key wrapped by `kek_version`."""
    header = _HEADER.pack(FORMAT_VERSION, kek_version)
    return header + key.seal(plaintext, associated_data(header, address))


def record_kek_version(record: bytes) -> int:
    """Return the KEK version written in a record's header (authenticated when opened)."""
    if not isinstance(record, bytes) or len(record) < MIN_RECORD_BYTES:
        raise IntegrityError
    version, kek_version = _HEADER.unpack_from(record)
    if version != FORMAT_VERSION:
        raise IntegrityError
    return int(kek_version)


def open_record(key: DataKey, address: RecordAddress, record: bytes) -> bytes:
    """Open a record sealed for `address`, or raise the one opaque IntegrityError."""
    record_kek_version(record)
    header = record[: _HEADER.size]
    try:
        ad = associated_data(header, address)
    except (struct.error, TypeError, AttributeError, OverflowError):
        # An address read back from a tampered row (a NULL or text position, say).
        raise IntegrityError from None
    return key.open(record[_HEADER.size :], ad)
