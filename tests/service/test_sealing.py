"""The byte strings the service binds keys and records to: stable across releases, since every
stored wrapped key was wrapped under them."""

from __future__ import annotations

from chatseal.service.keyops import parse_data_key_context
from chatseal.service.sealing import data_key_context, index_key_context


def test_data_key_context_bytes_are_pinned() -> None:
    """A data key's wrapping context: a domain, then tenant, conversation and namespace joined
    by NUL, each in UTF-8 (non-ASCII included). Changing it would orphan every stored key."""
    assert data_key_context("ten_é", "conv_1", "content") == (
        b"chatseal.dek\x00ten_\xc3\xa9\x00conv_1\x00content"
    )


def test_data_key_context_parses_back() -> None:
    """Rewrap tools read the context back into its parts."""
    context = data_key_context("ten_a", "conv_ü", "prompts")
    assert parse_data_key_context(context) == ("ten_a", "conv_ü", "prompts")


def test_index_key_context_differs_from_any_data_key_context() -> None:
    """An index key's context cannot be mistaken for a data key's."""
    assert not index_key_context("ten_a").startswith(b"chatseal.dek\x00")
