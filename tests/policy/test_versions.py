"""Versioned policies: validation, the two-person rule, diff and rollback."""

from __future__ import annotations

import pytest

from chatseal.clock import FixedClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import (
    InMemoryPolicyRepository,
    PolicyAdmin,
    PolicyEngine,
    content_hash,
    default_policy_text,
)
from chatseal.policy import resources as res

ALICE = Principal.of("acme", "alice", "user")
CONV = res.Conversation("acme", "conv_1", "internal", "alice")
NO_USERS = default_policy_text().replace('principal.roles.contains("user") &&', "false &&")


def make() -> tuple[PolicyAdmin, PolicyEngine, FixedClock]:
    """An admin over an in-memory repository and an engine that follows its active version."""
    clock = FixedClock()
    return PolicyAdmin(InMemoryPolicyRepository(), clock=clock), PolicyEngine(), clock


def enforce_active(admin: PolicyAdmin, engine: PolicyEngine) -> None:
    """What the service does after each change: activate the tenant's active text."""
    engine.activate(admin.active_text("acme"), tenant="acme")


def test_invalid_policy_is_rejected_and_not_stored() -> None:
    """An invalid text raises InvalidRequest and leaves no version behind."""
    admin, _, _ = make()
    with pytest.raises(InvalidRequest):
        admin.propose("acme", "sec1", "permit (principal, action, resource) when { 1 };")
    assert admin.history("acme") == []


def test_unapproved_change_has_no_effect() -> None:
    """A pending version changes nothing: the default still decides."""
    admin, engine, _ = make()
    version = admin.propose("acme", "sec1", NO_USERS)
    assert version.status == "pending"
    assert admin.active("acme") is None
    enforce_active(admin, engine)
    assert engine.decide(ALICE, "conversation.read", CONV).allowed
    assert engine.active_hash("acme") == content_hash(default_policy_text())


def test_second_person_approval_activates() -> None:
    """The author cannot approve; a second person's approval makes the version active."""
    admin, engine, clock = make()
    version = admin.propose("acme", "sec1", NO_USERS)
    with pytest.raises(PermissionDenied):
        admin.approve("acme", version.id, "sec1")
    clock.advance(5)
    active = admin.approve("acme", version.id, "sec2")
    assert (active.status, active.approvals, active.activated_at) == ("active", ("sec2",), clock.at)
    enforce_active(admin, engine)
    decision = engine.decide(ALICE, "conversation.read", CONV)
    assert not decision.allowed
    assert decision.policy_version_hash == active.content_hash == content_hash(NO_USERS)


def test_approval_count_is_configurable_per_tenant() -> None:
    """A tenant configured for two approvers needs two distinct ones; one person counts once."""
    admin = PolicyAdmin(InMemoryPolicyRepository(), per_tenant={"acme": 2})
    version = admin.propose("acme", "sec1", NO_USERS)
    assert admin.approve("acme", version.id, "sec2").status == "pending"
    with pytest.raises(Conflict):
        admin.approve("acme", version.id, "sec2")
    assert admin.approve("acme", version.id, "sec3").status == "active"
    assert admin.required_approvals("globex") == 1


def test_rejected_version_cannot_be_approved() -> None:
    """A rejected version stays rejected."""
    admin, _, _ = make()
    version = admin.propose("acme", "sec1", NO_USERS)
    assert admin.reject("acme", version.id, "sec2").status == "rejected"
    with pytest.raises(Conflict):
        admin.approve("acme", version.id, "sec3")


def test_stale_version_cannot_overwrite_a_newer_change() -> None:
    """Two versions proposed against the same parent: once one is active the other conflicts."""
    admin, _, _ = make()
    first = admin.propose("acme", "sec1", NO_USERS)
    second = admin.propose("acme", "sec3", default_policy_text() + "// v2\n")
    admin.approve("acme", first.id, "sec2")
    with pytest.raises(Conflict):
        admin.approve("acme", second.id, "sec2")
    assert admin.active("acme") == admin.get("acme", first.id)


def test_rollback_restores_exact_old_behaviour() -> None:
    """Rolling back yields the old text and hash, needs approval, and restores old decisions."""
    admin, engine, _ = make()
    base = admin.propose("acme", "sec1", default_policy_text() + "// base\n")
    admin.approve("acme", base.id, "sec2")
    enforce_active(admin, engine)
    before = engine.decide(ALICE, "conversation.read", CONV)
    change = admin.propose("acme", "sec1", NO_USERS)
    admin.approve("acme", change.id, "sec2")
    enforce_active(admin, engine)
    assert not engine.decide(ALICE, "conversation.read", CONV).allowed
    back = admin.rollback("acme", base.id, "sec1")
    assert (back.status, back.text, back.content_hash) == ("pending", base.text, base.content_hash)
    enforce_active(admin, engine)
    assert not engine.decide(ALICE, "conversation.read", CONV).allowed  # not yet approved
    admin.approve("acme", back.id, "sec2")
    enforce_active(admin, engine)
    after = engine.decide(ALICE, "conversation.read", CONV)
    assert after == before
    statuses = [v.status for v in admin.history("acme")]
    assert statuses == ["superseded", "superseded", "active"]
    assert [v.parent for v in admin.history("acme")] == [None, base.id, change.id]


def test_diff_is_a_unified_diff() -> None:
    """The diff of two versions shows removed and added lines with version headers."""
    admin, _, _ = make()
    old = admin.propose("acme", "sec1", default_policy_text())
    new = admin.propose("acme", "sec1", NO_USERS)
    text = admin.diff("acme", old.id, new.id)
    assert text.startswith(f"--- {old.id}")
    assert '-{ principal.roles.contains("user") && resource.owner' in text
    assert "+{ false && resource.owner" in text


def test_unknown_version_is_not_found() -> None:
    """Asking for a version of another tenant or a made-up id answers NotFound."""
    admin, _, _ = make()
    version = admin.propose("acme", "sec1", NO_USERS)
    with pytest.raises(NotFound):
        admin.get("globex", version.id)


def test_zero_approvals_activates_at_once() -> None:
    """A tenant configured with 0 approvers gets a valid version active immediately."""
    admin = PolicyAdmin(InMemoryPolicyRepository(), required_approvals=0)
    assert admin.propose("acme", "sec1", NO_USERS).status == "active"
    with pytest.raises(InvalidRequest):
        PolicyAdmin(InMemoryPolicyRepository(), required_approvals=-1)
