"""ChatSeal's sealed record format, version 1.

    record  = header ‖ nonce (12) ‖ ciphertext ‖ tag (16)
    header  = format version (1 byte, 0x01) ‖ KEK version (4 bytes, big-endian)

The associated data binds the record to where it belongs (DESIGN.md, "Keys and records"):

    AD = "chatseal.record" ‖ lp(tenant) ‖ lp(conversation) ‖ header ‖ lp(item) ‖ lp(field)
         ‖ position (8 bytes, big-endian)

where lp(x) is a 2-byte big-endian length and the UTF-8 bytes. Length prefixes make the encoding
injective, so no two addresses share an AD. The header is inside the AD, so editing the version or
the KEK version is detected like any other change. The KEK version is the one that wrapped the data
key when the record was sealed; rewrapping the data key later does not touch records.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from chatseal.crypto.aead import NONCE_BYTES, TAG_BYTES, DataKey
from chatseal.errors import IntegrityError

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BI")
_DOMAIN = b"chatseal.record"
MIN_RECORD_BYTES = _HEADER.size + NONCE_BYTES + TAG_BYTES


class RecordAddress(NamedTuple):
    """Where a record lives: every field is bound into its associated data (a named tuple: one
    is built for every record sealed)."""

    tenant: str
    conversation: str
    item: str
    position: int
    field: str = "item"


def _lp(value: str) -> bytes:
    raw = value.encode("utf-8")
    return len(raw).to_bytes(2, "big") + raw


@functools.lru_cache(maxsize=16)
def _field_lp(field: str) -> bytes:
    return _lp(field)


@functools.lru_cache(maxsize=4096)
def _conversation_prefix(tenant: str, conversation: str) -> bytes:
    """The AD's leading bytes, shared by every record of a conversation (cached: hot path)."""
    return _DOMAIN + _lp(tenant) + _lp(conversation)


@functools.lru_cache(maxsize=64)
def _record_ad_tail(item_size: int, field_size: int) -> Callable[..., bytes]:
    """A packer for the AD after the conversation prefix: header ‖ lp(item) ‖ lp(field) ‖
    position, taking the header as the record's first bytes (one per id length: one or two)."""
    return struct.Struct(f">{_HEADER.size}sH{item_size}s{field_size}sQ").pack


def associated_data(header: bytes, address: RecordAddress) -> bytes:
    """Return the AD for a record header at an address (the one spelling of it: `open_records`
    packs the same bytes with the same packer, one record after another)."""
    item, field = address.item.encode("utf-8"), _field_lp(address.field)
    pack = _record_ad_tail(len(item), len(field))
    return _conversation_prefix(address.tenant, address.conversation) + pack(
        header, len(item), item, field, address.position
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


def open_records(
    key: DataKey,
    tenant: str,
    conversation: str,
    records: Iterable[Sequence[Any]],
    field: str = "item",
) -> list[bytes]:
    """Open many records of one conversation: rows of (item, position, record, …) each, whose
    further fields are the caller's and ignored here.

    The same checks as `open_record`, in one tight loop: listing a page is the read hot path. The
    AD is the conversation's cached prefix and one struct pack per record, which copies the
    record's own header in; a header that is not a version-1 header fails here, any other edit
    of it fails the tag.
    """
    prefix = _conversation_prefix(tenant, conversation)
    field_bytes = _field_lp(field)
    field_size = len(field_bytes)
    header_size = _HEADER.size
    body = header_size + NONCE_BYTES
    pack, packed_size = _record_ad_tail(0, field_size), 0
    parts = []
    try:
        for row in records:
            item, position, record = row[0], row[1], row[2]
            if record[0] != FORMAT_VERSION or len(record) < MIN_RECORD_BYTES:
                raise IntegrityError
            item_bytes = item.encode("utf-8")
            size = len(item_bytes)
            if size != packed_size:
                pack, packed_size = _record_ad_tail(size, field_size), size
            ad = prefix + pack(record, size, item_bytes, field_bytes, position)
            parts.append((record[header_size:body], record[body:], ad))
    except (struct.error, TypeError, AttributeError, OverflowError, IndexError):
        # An address or record read back from a tampered row (NULL, text, out of range).
        raise IntegrityError from None
    return key.open_many(parts)
