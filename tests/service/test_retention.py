"""Retention with a controlled clock: expiry from tier and tenant, legal holds, purges by
crypto-shredding, signed receipts and the adherence figure."""

from __future__ import annotations

import hashlib

import pytest

from chatseal.audit.events import parse_event
from chatseal.clock import FixedClock
from chatseal.errors import IntegrityError, InvalidRequest, NotFound
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.receipts import ReceiptSigner, verify_receipt

DAY = 86_400
HOUR = 3_600


@pytest.fixture
def acme(seal: ChatSeal) -> ChatSeal:
    """acme keeps internal conversations 30 days and confidential ones 10."""
    seal.tenants.update(
        "acme",
        tiers={"internal": {"retention_days": 30}, "confidential": {"retention_days": 10}},
    )
    return seal


def _conversation(seal: ChatSeal, who: Principal, tier: str = "internal") -> str:
    s = seal.session(who)
    conv = s.conversations.create(items=[{"role": "user", "content": "hi"}], classification=tier)
    s.conversations.items.create(conv.id, items=[{"role": "assistant", "content": "hello"}])
    return conv.id


def _exists(seal: ChatSeal, who: Principal, conversation_id: str) -> bool:
    try:
        seal.session(who).conversations.retrieve(conversation_id)
    except NotFound:
        return False
    return True


def test_expiry_by_tier_and_tenant(acme: ChatSeal, alice: Principal, clock: FixedClock) -> None:
    """A conversation lives exactly its tier's retention for its tenant, then is purged."""
    internal = _conversation(acme, alice)
    confidential = _conversation(acme, alice, "confidential")
    globex = _conversation(acme, Principal.of("globex", "gus", "user"))
    clock.advance(10 * DAY - 1)
    assert acme.retention.run()["purged"] == 0
    clock.advance(1)
    assert acme.retention.run()["purged"] == 1
    assert not _exists(acme, alice, confidential) and _exists(acme, alice, internal)
    clock.advance(20 * DAY)
    result = acme.retention.run()
    assert result["purged"] == 1 and len(result["receipts"]) == 1
    assert not _exists(acme, alice, internal)
    # globex keeps the shipped default (365 days for internal).
    assert _exists(acme, Principal.of("globex", "gus", "user"), globex)


def test_raised_tier_takes_the_new_period(
    acme: ChatSeal, alice: Principal, clock: FixedClock
) -> None:
    """Raising a conversation to confidential shortens its life to that tier's retention."""
    conv = _conversation(acme, alice)
    acme.session(alice).conversations.raise_classification(conv, "confidential")
    clock.advance(11 * DAY)
    assert acme.retention.run()["purged"] == 1


def test_run_at_a_given_time(acme: ChatSeal, alice: Principal) -> None:
    """`run(at=…)` decides with the given time instead of the clock."""
    conv = _conversation(acme, alice)
    assert acme.retention.run(at=acme.now() + 29 * DAY)["purged"] == 0
    assert acme.retention.run(at=acme.now() + 31 * DAY)["purged"] == 1
    assert not _exists(acme, alice, conv)


def test_conversation_hold_stops_expiry(
    acme: ChatSeal, alice: Principal, clock: FixedClock
) -> None:
    """A held conversation outlives its expiry; released, it falls due at once."""
    kept = _conversation(acme, alice)
    other = _conversation(acme, alice)
    hold = acme.retention.hold(
        "acme", reason="case 2026-17", owner="legal@acme.test", conversation_id=kept
    )
    clock.advance(40 * DAY)
    result = acme.retention.run()
    assert (result["purged"], result["held"]) == (1, 1)
    assert _exists(acme, alice, kept) and not _exists(acme, alice, other)
    [listed] = acme.retention.holds("acme")
    assert (listed.reason, listed.owner, listed.conversation_id) == (
        "case 2026-17",
        "legal@acme.test",
        kept,
    )
    clock.advance(DAY)
    released = acme.retention.release("acme", hold.hold_id)
    assert released.released_at == acme.now() and acme.retention.holds("acme") == []
    status = acme.retention.status()
    assert status["backlog"] == 1 and status["oldest_overdue"]["overdue_seconds"] == 0
    assert acme.retention.run()["purged"] == 1
    with pytest.raises(NotFound):
        acme.retention.release("acme", hold.hold_id)


def test_tenant_hold_stops_everything(acme: ChatSeal, alice: Principal, clock: FixedClock) -> None:
    """A tenant-wide hold keeps every conversation of the tenant; reason and owner are needed."""
    conv = _conversation(acme, alice)
    with pytest.raises(InvalidRequest):
        acme.retention.hold("acme", reason=" ", owner="legal")
    with pytest.raises(NotFound):
        acme.retention.hold("acme", reason="r", owner="o", conversation_id="conv_missing")
    acme.retention.hold("acme", reason="regulator inquiry", owner="dpo")
    clock.advance(400 * DAY)
    result = acme.retention.run()
    assert (result["purged"], result["held"]) == (0, 1)
    assert _exists(acme, alice, conv)


def test_receipt_is_signed_and_names_only_hashes(
    acme: ChatSeal, alice: Principal, clock: FixedClock
) -> None:
    """The receipt verifies under the deployment's key, lists salted id hashes, counts, key ids."""
    conv = _conversation(acme, alice)
    with acme.read() as tx:
        found = tx.get_conversation_with_keys(acme.tenant_keys("acme").row.tenant_id, conv)
    assert found is not None
    wrapped = found[1][0].wrapped
    clock.advance(31 * DAY)
    [receipt_id] = acme.retention.run()["receipts"]
    [row] = acme.retention.receipts("acme")
    assert row.receipt_id == receipt_id and conv not in row.note
    body = verify_receipt(row.note, ReceiptSigner.for_seal(acme).verifier)
    salt = bytes.fromhex(body["salt"])
    [listed] = body["conversations"]
    assert listed["id"] == "sh1:" + hashlib.sha256(salt + conv.encode()).hexdigest()
    assert body["counts"] == {"conversations": 1, "items": 2, "data_keys": 1}
    assert listed["data_keys"][0]["kid"] == hashlib.sha256(wrapped).hexdigest()[:32]
    forged = row.note.replace('"items":2', '"items":3')
    with pytest.raises(IntegrityError):
        verify_receipt(forged, ReceiptSigner.for_seal(acme).verifier)
    assert acme.audit is not None
    acme.audit.checkpoint()
    events = [parse_event(x) for x in acme.audit.tree.entries(0, acme.audit.tree.size)]
    purge = [e for e in events if e.type == "retention.purge"]
    assert len(purge) == 1 and str(purge[0].resource["receipt"]).startswith(receipt_id + ":")
    deletes = [e for e in events if e.action == "retention.purge" and e.type != "retention.purge"]
    assert {e.type for e in deletes} == {"conversation.delete"}


def test_adherence_and_backlog(acme: ChatSeal, alice: Principal, clock: FixedClock) -> None:
    """Purges within the SLA count for adherence; backlog past the SLA counts against it."""
    assert acme.retention.status()["adherence"] == 1.0
    _conversation(acme, alice)
    _conversation(acme, alice)
    clock.advance(30 * DAY + HOUR)
    assert acme.retention.run()["purged"] == 2
    late = _conversation(acme, alice)
    clock.advance(30 * DAY + 48 * HOUR)
    status = acme.retention.status()
    assert (status["backlog"], status["late_backlog"], status["purged"]) == (1, 1, 2)
    assert status["oldest_overdue"]["conversation_id"] == late
    assert status["oldest_overdue"]["overdue_seconds"] == 48 * HOUR
    assert status["adherence"] == pytest.approx(2 / 3, abs=1e-6)
    assert status["tenants"]["globex"]["backlog"] == 0
    acme.retention.run()
    after = acme.retention.status()
    assert (after["backlog"], after["purged"], after["within_sla"]) == (0, 3, 2)
    assert after["adherence"] == pytest.approx(2 / 3, abs=1e-6)
