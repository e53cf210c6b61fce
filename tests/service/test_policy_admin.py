"""Versioned policies on the store: validation, two-person rule, rollback, audit, reload."""

from __future__ import annotations

import pytest

from chatseal.clock import FixedClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import PolicyEngine, content_hash, default_policy_text
from chatseal.policy import resources as res
from chatseal.service import ChatSeal

from .policy_helpers import AL, ANN, GLOBEX_SAM, NO_USER_READS, SAM, SID, leaves, steps


def _alice_reads(seal: ChatSeal, alice: Principal) -> bool:
    """Whether alice may read her own new conversation."""
    conv = seal.session(alice).conversations.create(metadata={})
    try:
        seal.session(alice).conversations.retrieve(conv.id)
    except (PermissionDenied, NotFound):
        return False
    return True


def test_invalid_policy_is_rejected_and_never_stored(seal: ChatSeal) -> None:
    """A policy that does not validate against the schema is refused and leaves no version."""
    bad = default_policy_text() + "\npermit (principal, action, resource) when { resource.nope };\n"
    with pytest.raises(InvalidRequest):
        seal.policy_admin.propose(SAM, "acme", bad)
    assert seal.policy_admin.history(SAM, "acme") == []


def test_unapproved_change_has_no_effect(seal: ChatSeal, alice: Principal) -> None:
    """A pending version changes nothing: same hash, same decisions."""
    before = seal.policy_admin.require_engine().active_hash("acme")
    pending = seal.policy_admin.propose(SAM, "acme", NO_USER_READS)
    assert pending.status == "pending"
    assert seal.policy_admin.require_engine().active_hash("acme") == before
    assert _alice_reads(seal, alice)


def test_approval_activates_and_rollback_restores_exact_behaviour(
    seal: ChatSeal, alice: Principal
) -> None:
    """Approved, a version decides; rolled back (and approved), the old text decides exactly."""
    admin = seal.policy_admin
    base = admin.approve(ANN, "acme", admin.propose(SAM, "acme", default_policy_text()).id)
    assert base.status == "active"
    strict = admin.approve(ANN, "acme", admin.propose(SAM, "acme", NO_USER_READS).id)
    assert strict.status == "active" and strict.parent == base.id
    assert not _alice_reads(seal, alice)
    back = admin.rollback(SID, "acme", base.id)
    assert back.status == "pending" and back.content_hash == base.content_hash
    assert not _alice_reads(seal, alice)  # a rollback needs approval like any change
    back = admin.approve(ANN, "acme", back.id)
    assert back.status == "active"
    assert _alice_reads(seal, alice)
    engine = admin.require_engine()
    assert engine.active_hash("acme") == content_hash(default_policy_text())
    # Exactly the old behaviour: every probe decides as a fresh engine with the old text does.
    fresh = PolicyEngine(base.text)
    conv = res.Conversation("acme", "c1", "internal", owner_subject="alice@example.com")
    for roles in (("user",), ("agent",), ("support",), ("auditor",), ("tenant-admin",)):
        who = Principal.of("acme", "alice@example.com", *roles, purpose="support")
        for action in ("conversation.read", "conversation.delete", "item.append"):
            assert (
                engine.decide(who, action, conv).allowed == fresh.decide(who, action, conv).allowed
            )
    assert [v.status for v in admin.history(SAM, "acme")] == [
        "superseded",
        "superseded",
        "active",
    ]


def test_two_person_rule(seal: ChatSeal) -> None:
    """The author cannot approve; one person approves once; a tenant can require two."""
    admin = seal.policy_admin
    version = admin.propose(SAM, "acme", NO_USER_READS)
    with pytest.raises(PermissionDenied):
        admin.approve(Principal.of("acme", "sam", "security-admin", "approver"), "acme", version.id)
    seal.tenants.update("acme", policy_required_approvals=2)
    version = admin.propose(SAM, "acme", NO_USER_READS)
    once = admin.approve(ANN, "acme", version.id)
    assert once.status == "pending" and once.approvals == ("ann",)
    with pytest.raises(Conflict):
        admin.approve(ANN, "acme", version.id)
    assert admin.approve(AL, "acme", version.id).status == "active"


def test_roles_and_tenants_are_checked(seal: ChatSeal, alice: Principal) -> None:
    """A user cannot change policy (403); another tenant cannot see it (404)."""
    with pytest.raises(PermissionDenied):
        seal.policy_admin.propose(alice, "acme", NO_USER_READS)
    with pytest.raises(NotFound):
        seal.policy_admin.show(GLOBEX_SAM, "acme")
    with pytest.raises(NotFound):
        seal.policy_admin.approve(SAM, "acme", "polv_missing")


def test_every_step_is_audited(seal: ChatSeal) -> None:
    """Proposal, approval, activation, rollback, rejection and refusals are audit events."""
    admin = seal.policy_admin
    first = admin.propose(SAM, "acme", default_policy_text())
    with pytest.raises(PermissionDenied):
        admin.approve(Principal.of("acme", "sam", "approver"), "acme", first.id)
    admin.approve(ANN, "acme", first.id)
    second = admin.propose(SAM, "acme", NO_USER_READS)
    admin.reject(ANN, "acme", second.id)
    admin.rollback(SAM, "acme", first.id)
    assert steps(seal, "policy.") == [
        ("policy.change", "policy.write", "allow"),
        ("access.decision", "policy.approve", "deny"),
        ("policy.change", "policy.approve", "allow"),
        ("policy.change", "policy.activate", "allow"),
        ("policy.change", "policy.write", "allow"),
        ("policy.change", "policy.reject", "allow"),
        ("policy.change", "policy.rollback", "allow"),
    ]
    activation = next(e for e in leaves(seal) if e["action"] == "policy.activate")
    assert activation["policy_version"] == first.content_hash
    assert activation["resource"]["policy"] == first.id


def test_active_versions_load_at_open(home: object, clock: FixedClock, alice: Principal) -> None:
    """A reopened ChatSeal decides with the stored active version of each tenant."""
    seal = ChatSeal.open(home, create=True, clock=clock)  # type: ignore[arg-type]
    seal.tenants.create("acme")
    admin = seal.policy_admin
    active = admin.approve(ANN, "acme", admin.propose(SAM, "acme", NO_USER_READS).id)
    seal.close()
    with ChatSeal.open(home, clock=clock) as again:  # type: ignore[arg-type]
        assert again.policy_admin.require_engine().active_hash("acme") == active.content_hash
        assert not _alice_reads(again, alice)
