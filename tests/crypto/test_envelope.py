"""The record envelope: round trips, and any change to a byte or a bound field fails to open."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatseal.crypto import (
    DataKey,
    RecordAddress,
    open_record,
    open_records,
    record_kek_version,
    seal_record,
)
from chatseal.crypto.envelope import MIN_RECORD_BYTES, associated_data
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


# -- a page at once (open_records, the listing hot path) ------------------------------------

page_entries = st.lists(
    st.tuples(names, st.integers(0, 2**63 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=64)),
    min_size=1,
    max_size=8,
)


def _seal_page(entries: list[tuple[str, int, int, bytes]]) -> list[tuple[str, int, bytes, str]]:
    """Rows as a page reads them: (item, position, record, a caller's field)."""
    return [
        (
            item,
            position,
            seal_record(KEY, kek, RecordAddress("ten_a", "conv_a", item, position), p),
            "x",
        )
        for item, position, kek, p in entries
    ]


@given(page_entries)
def test_a_page_opens_like_its_records(entries: list[tuple[str, int, int, bytes]]) -> None:
    """Any mix of item-id lengths (non-ASCII too) and KEK versions opens to what was sealed."""
    rows = _seal_page(entries)
    assert open_records(KEY, "ten_a", "conv_a", rows) == [p for *_, p in entries]


@settings(max_examples=200)
@given(page_entries, st.data())
def test_any_flipped_byte_in_a_page_fails_the_page(
    entries: list[tuple[str, int, int, bytes]], data: st.DataObject
) -> None:
    """One changed byte anywhere in a page's records fails the whole page, opaquely."""
    rows = _seal_page(entries)
    which = data.draw(st.integers(0, len(rows) - 1))
    record = bytearray(rows[which][2])
    record[data.draw(st.integers(0, len(record) - 1))] ^= data.draw(st.integers(1, 255))
    rows[which] = (rows[which][0], rows[which][1], bytes(record), "x")
    with pytest.raises(IntegrityError) as caught:
        open_records(KEY, "ten_a", "conv_a", rows)
    assert str(caught.value) == "integrity check failed"


def test_records_swapped_within_a_page_fail() -> None:
    """Two records exchanged between items (or positions) no longer open."""
    rows = _seal_page([("msg_a", 0, 1, b"first"), ("msg_b", 1, 1, b"second")])
    swapped = [(rows[0][0], rows[0][1], rows[1][2]), (rows[1][0], rows[1][1], rows[0][2])]
    with pytest.raises(IntegrityError):
        open_records(KEY, "ten_a", "conv_a", swapped)
    moved = [(rows[0][0], 1, rows[0][2])]
    with pytest.raises(IntegrityError):
        open_records(KEY, "ten_a", "conv_a", moved)
    with pytest.raises(IntegrityError):
        open_records(KEY, "ten_b", "conv_a", rows[:1])


@pytest.mark.parametrize(
    "row",
    [
        ("msg_a", 0, b"\x02" + bytes(MIN_RECORD_BYTES)),  # a format version we do not write
        ("msg_a", 0, b"\x01" + bytes(MIN_RECORD_BYTES - 2)),  # shorter than any record
        ("msg_a", 0, b""),
        ("msg_a", 0, "text where a blob belongs"),
        ("msg_a", None, b"\x01" + bytes(MIN_RECORD_BYTES)),  # a NULL position
        ("msg_a", -1, b"\x01" + bytes(MIN_RECORD_BYTES)),  # out of the position's range
        (None, 0, b"\x01" + bytes(MIN_RECORD_BYTES)),
    ],
)
def test_a_tampered_row_fails_with_the_one_error(row: tuple[object, object, object]) -> None:
    """Rows a database writer mangled raise IntegrityError, never a driver or struct error."""
    good = _seal_page([("msg_b", 1, 1, b"fine")])
    with pytest.raises(IntegrityError) as caught:
        open_records(KEY, "ten_a", "conv_a", [*good, row])
    assert str(caught.value) == "integrity check failed"


def test_associated_data_bytes_are_pinned() -> None:
    """The AD of format version 1, byte for byte as the module docstring spells it: every record
    ever sealed depends on it, so no rewrite of its encoding may change one byte."""
    header = b"\x01\x00\x00\x00\x07"  # version 1, KEK version 7
    address = RecordAddress("ten_é", "conv_1", "msg_2", 258, "item")
    assert associated_data(header, address) == (
        b"chatseal.record"
        + b"\x00\x06ten_\xc3\xa9"
        + b"\x00\x06conv_1"
        + header
        + b"\x00\x05msg_2"
        + b"\x00\x04item"
        + b"\x00\x00\x00\x00\x00\x00\x01\x02"
    )
    record = seal_record(KEY, 7, address, b"x")
    assert record[:5] == header
    assert open_record(KEY, address, record) == b"x"
