"""The sharp layer: AES-256-GCM and ChatSeal's record envelope. Pure functions, no I/O."""

from chatseal.crypto.aead import KEY_BYTES, NONCE_BYTES, DataKey
from chatseal.crypto.envelope import (
    FORMAT_VERSION,
    RecordAddress,
    open_record,
    open_records,
    record_kek_version,
    seal_record,
)

__all__ = [
    "FORMAT_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "DataKey",
    "RecordAddress",
    "open_record",
    "open_records",
    "record_kek_version",
    "seal_record",
]
