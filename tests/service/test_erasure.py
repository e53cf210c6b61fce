"""Erasure on request: every conversation of one subject is crypto-shredded, with a signed
receipt, an audit leaf, and nothing of it left in the database files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from chatseal.audit.events import parse_event
from chatseal.errors import InvalidRequest, NotFound
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.receipts import ReceiptSigner, verify_receipt

CANARY = "CANARY-erasure-51c0-content"


def _conversation(seal: ChatSeal, who: Principal, text: str = "hi") -> str:
    return seal.session(who).conversations.create(items=[{"role": "user", "content": text}]).id


def test_erase_one_subject(seal: ChatSeal, alice: Principal, bob: Principal, home: Path) -> None:
    """Alice's conversations go, Bob's stay; the receipt lists hashes, counts and key ids."""
    mine = [_conversation(seal, alice, CANARY), _conversation(seal, alice, CANARY)]
    theirs = _conversation(seal, bob)
    receipt = seal.erasure.erase("acme", alice.subject)
    for conv in mine:
        with pytest.raises(NotFound):
            seal.session(alice).conversations.retrieve(conv)
    assert seal.session(bob).conversations.retrieve(theirs).id == theirs
    body = verify_receipt(receipt.note, ReceiptSigner.for_seal(seal).verifier)
    salt = bytes.fromhex(body["salt"])
    hashed = {"sh1:" + hashlib.sha256(salt + c.encode()).hexdigest() for c in mine}
    assert {c["id"] for c in body["conversations"]} == hashed
    assert body["subject"] == "sh1:" + hashlib.sha256(salt + alice.subject.encode()).hexdigest()
    assert body["counts"] == {"conversations": 2, "items": 2, "data_keys": 2}
    assert body["kind"] == "erasure" and body["withheld"] == {"legal_hold": 0}
    assert alice.subject not in receipt.note and mine[0] not in receipt.note
    for path in (p for p in home.rglob("*") if p.is_file()):
        assert CANARY.encode() not in path.read_bytes(), f"{path.name} still holds erased text"


def test_erasure_is_audited_with_its_index(seal: ChatSeal, alice: Principal) -> None:
    """The receipt carries the index of its audit leaf, which names the receipt and its hash."""
    _conversation(seal, alice)
    receipt = seal.erasure.erase("acme", alice.subject)
    assert seal.audit is not None and receipt.audit_index is not None
    leaf = parse_event(seal.audit.tree.entries(receipt.audit_index, receipt.audit_index + 1)[0])
    assert (leaf.type, leaf.action) == ("retention.purge", "erasure")
    assert leaf.resource["receipt"] == f"{receipt.receipt_id}:{receipt.digest}"
    assert str(leaf.resource["subject"]).startswith("hs1:")


def test_held_conversations_are_withheld(seal: ChatSeal, alice: Principal) -> None:
    """A conversation under legal hold survives erasure and is counted as withheld."""
    kept = _conversation(seal, alice)
    gone = _conversation(seal, alice)
    seal.retention.hold("acme", reason="litigation", owner="counsel", conversation_id=kept)
    body = seal.erasure.erase("acme", alice.subject).body
    assert body["counts"]["conversations"] == 1 and body["withheld"] == {"legal_hold": 1}
    assert seal.session(alice).conversations.retrieve(kept).id == kept
    with pytest.raises(NotFound):
        seal.session(alice).conversations.retrieve(gone)


def test_unknown_subject_gets_an_empty_receipt(seal: ChatSeal) -> None:
    """Erasing a subject with no data still returns a signed receipt, listing nothing."""
    receipt = seal.erasure.erase("acme", "nobody@example.com")
    assert receipt.body["counts"] == {"conversations": 0, "items": 0, "data_keys": 0}
    with pytest.raises(InvalidRequest):
        seal.erasure.erase("acme", "")
    with pytest.raises(NotFound):
        seal.erasure.erase("initech", "x")
