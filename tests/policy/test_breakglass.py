"""Break-glass: two distinct approvers, not the requester; time-boxed; scope-limited; revocable."""

from __future__ import annotations

import pytest

from chatseal.clock import FixedClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import BreakGlassBook, InMemoryBreakGlassRepository, PolicyEngine
from chatseal.policy import resources as res

SAM = Principal.of("acme", "sam", "support", purpose="support")
APPROVER_1 = Principal.of("acme", "ann", "approver")
APPROVER_2 = Principal.of("acme", "abe", "approver")
SECRET = res.Conversation("acme", "conv_secret", "restricted", "alice")
OTHER = res.Conversation("acme", "conv_other", "restricted", "alice")


def setup() -> tuple[BreakGlassBook, PolicyEngine, FixedClock]:
    """A book, an engine that honours its grants, and a clock the test moves."""
    clock = FixedClock()
    book = BreakGlassBook(InMemoryBreakGlassRepository(), clock=clock)
    return book, PolicyEngine(grants=book, clock=clock), clock


def approve_both(book: BreakGlassBook, engine: PolicyEngine, request_id: str) -> None:
    """Two approvers, each first asking the decision point, as the service does."""
    for approver in (APPROVER_1, APPROVER_2):
        resource = book.get(request_id).as_resource()
        assert engine.decide(approver, "breakglass.approve", resource).allowed
        book.approve(request_id, approver)


def test_grant_allows_scope_and_expires_on_time() -> None:
    """Access starts at the second approval and ends exactly at approval + duration."""
    book, engine, clock = setup()
    assert not engine.decide(SAM, "conversation.read", SECRET).allowed
    filed = book.request(
        SAM,
        tenant="acme",
        reason="incident 42",
        actions={"conversation.read"},
        duration=600,
        conversation_ids={"conv_secret"},
    )
    assert not engine.decide(SAM, "conversation.read", SECRET).allowed  # pending grants nothing
    book.approve(filed.id, APPROVER_1)
    assert not engine.decide(SAM, "conversation.read", SECRET).allowed  # one approval is not enough
    clock.advance(30)
    book.approve(filed.id, APPROVER_2)
    decision = engine.decide(SAM, "conversation.read", SECRET)
    assert decision.allowed
    assert "breakglass-grant" in decision.reasons
    clock.advance(599.999)
    assert engine.decide(SAM, "conversation.read", SECRET).allowed
    clock.advance(0.001)
    assert not engine.decide(SAM, "conversation.read", SECRET).allowed
    assert book.get(filed.id).expires_at == 1_700_000_000.0 + 30 + 600


def test_requester_cannot_approve_own_request() -> None:
    """Self-approval is refused by the book and by the policy (no-self-approval guard)."""
    book, engine, _ = setup()
    approver = Principal.of("acme", "ann", "approver", "support")
    filed = book.request(
        approver, tenant="acme", reason="r", actions={"conversation.read"}, duration=60
    )
    decision = engine.decide(approver, "breakglass.approve", filed.as_resource())
    assert (decision.allowed, decision.reasons) == (False, ("no-self-approval-breakglass",))
    with pytest.raises(PermissionDenied):
        book.approve(filed.id, approver)


def test_one_person_cannot_approve_twice() -> None:
    """A second approval by the same person is a conflict and activates nothing."""
    book, _, _ = setup()
    filed = book.request(SAM, tenant="acme", reason="r", actions={"item.read"}, duration=60)
    book.approve(filed.id, APPROVER_1)
    with pytest.raises(Conflict):
        book.approve(filed.id, APPROVER_1)
    assert book.get(filed.id).status == "pending"
    assert book.active_grants("acme", "sam", 1_700_000_001.0) == []


def test_grant_cannot_exceed_its_scope() -> None:
    """Other actions, other conversations, other tenants and non-grantable actions stay denied."""
    book, engine, _ = setup()
    filed = book.request(
        SAM,
        tenant="acme",
        reason="r",
        actions={"conversation.read"},
        duration=60,
        conversation_ids={"conv_secret"},
    )
    approve_both(book, engine, filed.id)
    assert engine.decide(SAM, "conversation.read", SECRET).allowed
    assert not engine.decide(SAM, "conversation.delete", SECRET).allowed
    assert not engine.decide(SAM, "conversation.read", OTHER).allowed
    assert not engine.decide(SAM, "audit.read", res.AuditLog("acme")).allowed
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason="r", actions={"keys.destroy"}, duration=60)
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason="r", actions={"policy.write"}, duration=60)
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason="r", actions=set(), duration=60)


def test_revoke_ends_access_at_once() -> None:
    """A revoked grant stops allowing immediately, before its expiry."""
    book, engine, _ = setup()
    filed = book.request(
        SAM, tenant="acme", reason="r", actions={"conversation.read"}, duration=600
    )
    approve_both(book, engine, filed.id)
    assert engine.decide(SAM, "conversation.read", SECRET).allowed
    book.revoke(filed.id, APPROVER_1)
    assert not engine.decide(SAM, "conversation.read", SECRET).allowed
    assert book.revoke(filed.id, APPROVER_2).revoked_by == "ann"


def test_cross_tenant_grant_needs_the_target_tenants_approvers() -> None:
    """A security admin elsewhere may ask; only the target tenant's approvers can approve."""
    book, engine, _ = setup()
    outsider = Principal.of("ops", "olga", "security-admin")
    assert engine.decide(outsider, "breakglass.request", res.Tenant("acme")).allowed
    assert not engine.decide(SAM, "breakglass.request", res.Tenant("globex")).allowed
    filed = book.request(
        outsider,
        tenant="acme",
        reason="lawful request 7",
        actions={"conversation.read"},
        duration=60,
        conversation_ids={"conv_secret"},
    )
    foreign = Principal.of("ops", "oscar", "approver")
    assert not engine.decide(foreign, "breakglass.approve", filed.as_resource()).allowed
    with pytest.raises(PermissionDenied):
        book.approve(filed.id, foreign)
    assert not engine.decide(outsider, "conversation.read", SECRET).allowed
    approve_both(book, engine, filed.id)
    decision = engine.decide(outsider, "conversation.read", SECRET)
    assert decision.allowed and decision.visible
    assert not engine.decide(outsider, "conversation.read", OTHER).allowed


def test_request_validation() -> None:
    """Reason, duration and conversation scope are checked; unknown ids are NotFound."""
    book, _, _ = setup()
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason=" ", actions={"item.read"}, duration=60)
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason="r", actions={"item.read"}, duration=0)
    with pytest.raises(InvalidRequest):
        book.request(SAM, tenant="acme", reason="r", actions={"item.read"}, duration=10**9)
    with pytest.raises(NotFound):
        book.approve("bg_missing", APPROVER_1)
    filed = book.request(SAM, tenant="acme", reason="r", actions={"item.read"}, duration=60)
    assert book.reject(filed.id, APPROVER_1).status == "rejected"
    with pytest.raises(Conflict):
        book.approve(filed.id, APPROVER_2)
    assert [r.id for r in book.list("acme")] == [filed.id]
