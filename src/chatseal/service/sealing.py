"""Turn items and metadata into sealed records and back, at their exact address.

Only this module and `keys` touch `crypto` (STYLE.md: the service is the safe layer over it).
"""

from __future__ import annotations

import functools
import hmac
from hashlib import sha256
from typing import Any

import orjson

from chatseal.crypto import DataKey, RecordAddress, open_record, seal_record
from chatseal.errors import IntegrityError, InvalidRequest

CONTENT = "content"
PROMPTS = "prompts"


@functools.lru_cache(maxsize=16384)
def data_key_context(tenant_id: str, conversation_id: str, namespace: str) -> bytes:
    """Associated data for wrapping a conversation's data key: moved keys fail to unwrap."""
    # UTF-8 of the joined string is the join of each part's UTF-8: one encode, every request.
    return b"chatseal.dek\x00" + f"{tenant_id}\x00{conversation_id}\x00{namespace}".encode()


def index_key_context(tenant_id: str) -> bytes:
    """Associated data for wrapping a tenant's index (HMAC) key."""
    return b"chatseal.index\x00" + tenant_id.encode("utf-8")


def owner_tag(index_key: bytes, subject: str) -> bytes:
    """A keyed hash of the owner's subject: comparable, but no identifier in clear at rest."""
    return hmac.new(index_key, b"owner\x00" + subject.encode("utf-8"), sha256).digest()


def seal_json(key: DataKey, kek_version: int, address: RecordAddress, value: Any) -> bytes:
    """Seal a JSON value at an address."""
    try:
        plaintext = orjson.dumps(value)
    except TypeError:
        # orjson refuses integers beyond 64 bits (and non-JSON types): a client error.
        raise InvalidRequest("item values must be JSON with integers of at most 64 bits") from None
    return seal_record(key, kek_version, address, plaintext)


def open_json(key: DataKey, address: RecordAddress, record: bytes) -> Any:
    """Open a sealed JSON value, or raise the opaque IntegrityError."""
    return parse_json(open_record(key, address, record))


def parse_json_many(plaintexts: list[bytes]) -> list[Any]:
    """Parse a page of opened records (one try for the page: the read hot path)."""
    try:
        return list(map(orjson.loads, plaintexts))
    except orjson.JSONDecodeError:
        raise IntegrityError from None


def parse_json(plaintext: bytes) -> Any:
    """Parse an opened record; authenticated but not JSON counts as corruption, said opaquely."""
    try:
        return orjson.loads(plaintext)
    except orjson.JSONDecodeError:
        raise IntegrityError from None


__all__ = [
    "CONTENT",
    "PROMPTS",
    "data_key_context",
    "index_key_context",
    "open_json",
    "owner_tag",
    "parse_json",
    "parse_json_many",
    "seal_json",
]
