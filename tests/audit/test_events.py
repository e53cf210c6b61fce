"""Audit events: canonical JSON, strict fields, salted subject hashes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatseal.audit.events import (
    Actor,
    AuditEvent,
    Decision,
    IdentifierHasher,
    event_time,
    is_hashed,
    parse_event,
)
from chatseal.errors import InvalidRequest

HASHER = IdentifierHasher(b"s" * 32)


def _event(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "item.read",
        "time": event_time(1_700_000_000.5),
        "actor": {
            "tenant": "ten_1",
            "subject": HASHER.hash("alice@example.com"),
            "roles": ["user", "auditor"],
            "credential_kind": "token",
        },
        "action": "items:read",
        "resource": {"conversation": "conv_1", "item": "item_2"},
        "decision": {"result": "allow", "reason": "owner"},
        "policy_version": "sha256:abcd",
        "request_id": "req_1",
    }
    data.update(over)
    return data


def test_canonical_bytes_round_trip() -> None:
    """Events serialise as RFC 8785 JSON (sorted keys, no spaces) and parse back."""
    event = AuditEvent.from_mapping(_event())
    raw = event.to_bytes()
    assert raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    assert parse_event(raw) == event
    assert json.loads(raw)["time"] == "2023-11-14T22:13:20.500Z"


def test_salted_hash_is_keyed_and_stable() -> None:
    """The same id hashes the same under one salt, differently under another, never in clear."""
    h = HASHER.hash("alice@example.com")
    assert is_hashed(h)
    assert h == HASHER.hash("alice@example.com")
    assert h != IdentifierHasher(b"t" * 32).hash("alice@example.com")
    assert "alice" not in h
    assert "s" * 32 not in repr(HASHER)


@pytest.mark.parametrize(
    "over",
    [
        {"content": "hello"},
        {"actor": {**_event()["actor"], "email": "a@b"}},
        {"resource": {"message": "secret text"}},
        {"decision": {"result": "allow", "reason": "x", "why": "y"}},
        {"type": "made.up"},
        {"decision": {"result": "maybe", "reason": "x"}},
        {"actor": {**_event()["actor"], "subject": "alice@example.com"}},
        {"resource": {"subject": "alice"}},
        {"time": "yesterday"},
        {"request_id": "has spaces in it"},
    ],
)
def test_unknown_or_unsafe_fields_refused(over: dict[str, Any]) -> None:
    """Unknown fields, raw subjects, free text and unknown types are refused."""
    with pytest.raises(InvalidRequest):
        AuditEvent.from_mapping(_event(**over))


def test_missing_fields_refused() -> None:
    """An event without its decision is refused."""
    data = _event()
    del data["decision"]
    with pytest.raises(InvalidRequest):
        AuditEvent.from_mapping(data)


def test_keyword_constructor() -> None:
    """Events can be built from parts; roles are sorted in the leaf."""
    event = AuditEvent(
        type="auth.failure",
        time=event_time(0),
        actor=Actor("ten_1", HASHER.hash("bob"), ("z", "a"), "client_secret"),
        action="auth:token",
        decision=Decision("deny", "bad_secret"),
        policy_version="sha256:0",
        request_id="req_2",
    )
    assert json.loads(event.to_bytes())["actor"]["roles"] == ["a", "z"]


def test_non_canonical_leaf_refused() -> None:
    """Leaf bytes that are not the canonical form of their event are refused."""
    raw = AuditEvent.from_mapping(_event()).to_bytes()
    with pytest.raises(InvalidRequest):
        parse_event(json.dumps(json.loads(raw), indent=1).encode())
