"""The record envelope: round trips, and any change to a byte or a bound field fails to open."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatseal.crypto import DataKey, RecordAddress, open_record, record_kek_version, seal_record
from chatseal.crypto.envelope import MIN_RECORD_BYTES
from chatseal.errors import IntegrityError

KEY = DataKey(bytes(range(32)))
ADDRESS = RecordAddress("ten_a", "conv_a", "msg_a", 7)
names = st.text(min_size=0, max_size=40)
addresses = st.builds(RecordAddress, names, names, names, st.integers(0, 2**63 - 1), names)


@given(st.binary(max_size=4096), addresses, st.integers(0, 2**32 - 1))
def test_round_trip_any_content(plaintext: bytes, address: RecordAddress, kek_version: int) -> None:
    """Whatever is sealed at an address opens at that address, with its KEK version readable."""
    record = seal_record(KEY, kek_version, address, plaintext)
    assert open_record(KEY, address, record) == plaintext
    assert record_kek_version(record) == kek_version


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=512), st.data())
def test_any_flipped_byte_fails(plaintext: bytes, data: st.DataObject) -> None:
    """Changing any single byte of a record makes it fail with the one opaque error."""
    record = bytearray(seal_record(KEY, 1, ADDRESS, plaintext))
    index = data.draw(st.integers(0, len(record) - 1))
    record[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(IntegrityError) as caught:
        open_record(KEY, ADDRESS, bytes(record))
    assert str(caught.value) == "integrity check failed"


@pytest.mark.parametrize(
    "change",
    [
        {"tenant": "ten_b"},
        {"conversation": "conv_b"},
        {"item": "msg_b"},
        {"position": 8},
        {"field": "metadata"},
    ],
)
def test_any_bound_field_changed_fails(change: dict[str, object]) -> None:
    """A record moved to another tenant, conversation, item, position or field fails to open."""
    record = seal_record(KEY, 1, ADDRESS, b"hello")
    with pytest.raises(IntegrityError):
        open_record(KEY, ADDRESS._replace(**change), record)  # type: ignore[arg-type]


def test_length_prefixes_keep_addresses_apart() -> None:
    """Fields that concatenate to the same string still give different associated data."""
    record = seal_record(KEY, 1, RecordAddress("ab", "c", "i", 0), b"x")
    with pytest.raises(IntegrityError):
        open_record(KEY, RecordAddress("a", "bc", "i", 0), record)


def test_wrong_key_and_truncation_fail() -> None:
    """Another key, a truncated record or an unknown format version all fail the same way."""
    record = seal_record(KEY, 1, ADDRESS, b"hello")
    with pytest.raises(IntegrityError):
        open_record(DataKey(os.urandom(32)), ADDRESS, record)
    with pytest.raises(IntegrityError):
        open_record(KEY, ADDRESS, record[: MIN_RECORD_BYTES - 1])
    with pytest.raises(IntegrityError):
        open_record(KEY, ADDRESS, b"\x02" + record[1:])


def test_nonces_are_fresh() -> None:
    """Sealing the same plaintext twice gives different records (fresh 96-bit nonces)."""
    assert seal_record(KEY, 1, ADDRESS, b"same") != seal_record(KEY, 1, ADDRESS, b"same")


def test_data_key_repr_hides_the_key() -> None:
    """A data key never prints its bytes."""
    assert "redacted" in repr(KEY)
    assert bytes(range(32)).hex() not in repr(KEY)
