"""Break-glass on the store: two distinct approvers, time box, scope, revocation, audit."""

from __future__ import annotations

import pytest

from chatseal.clock import FixedClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import resources as res
from chatseal.service import ChatSeal

from .policy_helpers import AL, ANN, GLOBEX_SAM, SAM, SUE, leaves, steps

# A support agent whose purpose is not `support` has no role access at all.
NEEDY = Principal.of("acme", "sue", "support", purpose="incident")


def _conversation(seal: ChatSeal, alice: Principal, classification: str = "internal") -> str:
    conv = seal.session(alice).conversations.create(metadata={}, classification=classification)
    seal.session(alice).conversations.items.create(
        conv.id, items=[{"type": "message", "role": "user", "content": "hello"}]
    )
    return conv.id


def _reads(seal: ChatSeal, who: Principal, conversation_id: str) -> bool:
    try:
        seal.session(who).conversations.retrieve(conversation_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def _granted(seal: ChatSeal, **kw: object) -> str:
    bg = seal.policy_admin.breakglass
    filed = bg.request(
        NEEDY,
        "acme",
        reason="incident 42",
        actions=["conversation.read"],
        duration=3600,
        **kw,  # type: ignore[arg-type]
    )
    bg.approve(ANN, "acme", filed.id)
    assert bg.approve(AL, "acme", filed.id).status == "active"
    return filed.id


def test_grant_needs_two_approvals_and_expires_on_time(
    seal: ChatSeal, alice: Principal, clock: FixedClock
) -> None:
    """Nothing before the second approval; access for the duration; nothing at expiry."""
    conv = _conversation(seal, alice)
    bg = seal.policy_admin.breakglass
    filed = bg.request(
        NEEDY, "acme", reason="incident 42", actions=["conversation.read"], duration=3600
    )
    assert not _reads(seal, NEEDY, conv)
    assert bg.approve(ANN, "acme", filed.id).status == "pending"
    assert not _reads(seal, NEEDY, conv)
    assert bg.approve(AL, "acme", filed.id).status == "active"
    assert _reads(seal, NEEDY, conv)
    clock.advance(3599)
    assert _reads(seal, NEEDY, conv)
    clock.advance(1)
    assert not _reads(seal, NEEDY, conv)


def test_cannot_be_self_approved_or_approved_twice(seal: ChatSeal) -> None:
    """The requester cannot approve; one approver counts once; outsiders cannot approve."""
    bg = seal.policy_admin.breakglass
    requester = Principal.of("acme", "ann", "approver", "tenant-admin")
    filed = bg.request(requester, "acme", reason="r", actions=["item.read"], duration=60)
    with pytest.raises(PermissionDenied):
        bg.approve(requester, "acme", filed.id)
    bg.approve(AL, "acme", filed.id)
    with pytest.raises(Conflict):
        bg.approve(AL, "acme", filed.id)
    with pytest.raises(NotFound):
        bg.approve(Principal.of("globex", "gal", "approver"), "acme", filed.id)
    assert bg.list(SAM, "acme")[0].approvals == ("al",)


def test_cannot_exceed_its_scope(seal: ChatSeal, alice: Principal) -> None:
    """Only the granted actions, on the named conversations, in the target tenant."""
    inside = _conversation(seal, alice)
    outside = _conversation(seal, alice)
    _granted(seal, conversation_ids=[inside])
    assert _reads(seal, NEEDY, inside)
    assert not _reads(seal, NEEDY, outside)
    with pytest.raises((NotFound, PermissionDenied)):
        seal.session(NEEDY).conversations.delete(inside)
    with pytest.raises(InvalidRequest):
        seal.policy_admin.breakglass.request(
            NEEDY, "acme", reason="r", actions=["policy.write"], duration=60
        )
    with pytest.raises(InvalidRequest):
        seal.policy_admin.breakglass.request(
            NEEDY, "acme", reason="r", actions=["item.read"], duration=7 * 86_400
        )


def test_revocation_ends_a_grant_at_once(seal: ChatSeal, alice: Principal) -> None:
    """Revoking an active grant ends access immediately; users cannot revoke."""
    conv = _conversation(seal, alice)
    grant_id = _granted(seal)
    with pytest.raises(PermissionDenied):
        seal.policy_admin.breakglass.revoke(alice, "acme", grant_id)
    assert _reads(seal, NEEDY, conv)
    assert seal.policy_admin.breakglass.revoke(SAM, "acme", grant_id).status == "revoked"
    assert not _reads(seal, NEEDY, conv)


def test_cross_tenant_request_by_security_admin(seal: ChatSeal, alice: Principal) -> None:
    """A globex security admin may file for acme; acme's approvers grant; only then access."""
    conv = _conversation(seal, alice)
    bg = seal.policy_admin.breakglass
    filed = bg.request(
        GLOBEX_SAM, "acme", reason="lawful order", actions=["conversation.read"], duration=600
    )
    # Sessions resolve the caller's own tenant, so the grant is checked at the decision point.
    engine = seal.policy_admin.require_engine()
    target = res.Conversation("acme", conv, "internal", owner_subject="alice@example.com")
    assert not engine.decide(GLOBEX_SAM, "conversation.read", target).allowed
    assert [r.id for r in bg.list(GLOBEX_SAM, "acme")] == [filed.id]
    bg.approve(ANN, "acme", filed.id)
    bg.approve(AL, "acme", filed.id)
    assert engine.decide(GLOBEX_SAM, "conversation.read", target).allowed
    assert not engine.decide(GLOBEX_SAM, "conversation.delete", target).allowed
    other = Principal.of("globex", "other", "security-admin")
    assert not engine.decide(other, "conversation.read", target).allowed


def test_every_step_is_audited_and_reasons_stay_out(seal: ChatSeal) -> None:
    """Request, approvals, refusals and revocation are events; the free-text reason is not."""
    bg = seal.policy_admin.breakglass
    filed = bg.request(SUE, "acme", reason="secret-canary-7", actions=["item.read"], duration=60)
    with pytest.raises(PermissionDenied):
        bg.approve(Principal.of("acme", "sue", "approver"), "acme", filed.id)
    bg.approve(ANN, "acme", filed.id)
    bg.approve(AL, "acme", filed.id)
    bg.revoke(SAM, "acme", filed.id)
    assert steps(seal, "breakglass.") == [
        ("breakglass.request", "breakglass.request", "allow"),
        ("access.decision", "breakglass.approve", "deny"),
        ("breakglass.approve", "breakglass.approve", "allow"),
        ("breakglass.approve", "breakglass.approve", "allow"),
        ("breakglass.revoke", "breakglass.revoke", "allow"),
    ]
    assert all("secret-canary" not in str(e) for e in leaves(seal))
    assert bg.list(SAM, "acme")[0].reason == "secret-canary-7"
