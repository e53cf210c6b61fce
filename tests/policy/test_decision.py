"""The decision point: visibility, fail-closed paths, caching by content hash, per-tenant policy."""

from __future__ import annotations

import json

import pytest

from chatseal.errors import NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import (
    APPLIES_TO,
    GRANTABLE,
    PolicyEngine,
    RequestContext,
    content_hash,
    default_policy_text,
    schema_text,
)
from chatseal.policy import resources as res
from chatseal.policy.actions import CONTENT, CONTENT_CHANGE, GROUPS

from .oracle import expected
from .test_matrix import MATRIX, to_principal, to_resource

ALICE = Principal.of("acme", "alice", "user")
CONV = res.Conversation("acme", "conv_a", "internal", "alice", frozenset({"analytics"}))


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    """One engine with the shipped default policy."""
    return PolicyEngine()


def test_owner_reads_own_conversation(engine: PolicyEngine) -> None:
    """A user reads their own conversation, and the reason names the permit."""
    decision = engine.decide(ALICE, "conversation.read", CONV)
    assert decision.allowed
    assert decision.reasons == ("user-own-conversations",)
    assert decision.http_status == 200


def test_other_users_conversation_is_not_found(engine: PolicyEngine) -> None:
    """Another user of the same tenant is told 404, not 403."""
    bob = Principal.of("acme", "bob", "user")
    decision = engine.decide(bob, "conversation.read", CONV)
    assert (decision.allowed, decision.visible, decision.http_status) == (False, False, 404)
    with pytest.raises(NotFound):
        decision.enforce("conversation")


def test_visible_but_forbidden_is_403(engine: PolicyEngine) -> None:
    """A tenant admin may delete a conversation, so reading it is 403, not 404."""
    admin = Principal.of("acme", "root", "tenant-admin")
    decision = engine.decide(admin, "conversation.read", CONV)
    assert (decision.allowed, decision.visible) == (False, True)
    with pytest.raises(PermissionDenied):
        engine.authorize(admin, "conversation.read", CONV)


def test_unknown_action_and_wrong_resource_kind_deny(engine: PolicyEngine) -> None:
    """An unknown action, or an action on the wrong kind of resource, is denied and hidden."""
    for action, resource in (("conversation.frobnicate", CONV), ("audit.read", CONV)):
        decision = engine.decide(ALICE, action, resource)
        assert (decision.allowed, decision.visible) == (False, False)
        assert decision.reasons == ("action-not-applicable",)


def test_malformed_principal_denies(engine: PolicyEngine) -> None:
    """A principal without subject, or with non-string roles, is denied (fail closed)."""
    for bad in (
        Principal("acme", "", frozenset({"user"})),
        Principal("acme", "alice", frozenset({1})),  # type: ignore[arg-type]
    ):
        decision = engine.decide(bad, "conversation.read", CONV)
        assert not decision.allowed
        assert decision.reasons == ("invalid-principal",)


def test_unhashable_roles_still_decide(engine: PolicyEngine) -> None:
    """A principal built with a plain set (unhashable) is decided without the cache."""
    odd = Principal("acme", "alice", {"user"})  # type: ignore[arg-type]
    assert engine.decide(odd, "conversation.read", CONV).allowed


def test_declared_purpose_needs_the_credentials_consent() -> None:
    """A per-request purpose applies only when the token allows it (scope purpose:<name>)."""
    engine = PolicyEngine()
    agent = Principal("acme", "bot", frozenset({"agent"}), purpose="service")
    analytics = RequestContext(purpose="analytics")
    refused = engine.decide(agent, "conversation.read", CONV, analytics)
    assert (refused.allowed, refused.reasons) == (False, ("purpose-not-allowed",))
    allowed_agent = Principal(
        "acme",
        "bot",
        frozenset({"agent"}),
        purpose="service",
        scopes=frozenset({"purpose:analytics"}),
    )
    assert engine.decide(allowed_agent, "conversation.read", CONV, analytics).allowed
    no_consent = res.Conversation("acme", "conv_b", "internal", "alice")
    denied = engine.decide(allowed_agent, "conversation.read", no_consent, analytics)
    assert denied.reasons == ("purpose-needs-consent",)


def test_evaluation_error_denies_even_with_a_permit() -> None:
    """A policy that errors at run time makes the decision deny (Cedar alone would allow)."""
    engine = PolicyEngine()
    compiled = engine.compile(default_policy_text())
    # The validator rejects such a set, so inject it past validation, as a corrupted cache
    # or a future engine bug would.
    broken = engine._cedar.PolicySet.from_str(
        "permit (principal, action, resource);\n"
        "forbid (principal, action, resource) when { resource.missing == 1 };\n"
    )
    object.__setattr__(compiled, "by_action", {"conversation.read": broken})
    engine.clear_caches()
    decision = engine.decide(ALICE, "conversation.read", CONV)
    assert (decision.allowed, decision.reasons) == (False, ("evaluation-error",))


def test_parsed_policies_are_cached_by_content_hash() -> None:
    """Compiling the same text twice (even with other line ends) returns the cached set."""
    engine = PolicyEngine()
    text = default_policy_text()
    first = engine.compile(text)
    second = engine.compile(text.replace("\n", "\r\n") + "\n\n")
    assert first is second
    assert first.hash == content_hash(text) == engine.active_hash()


def test_decisions_are_cached_but_keyed_by_policy() -> None:
    """A repeated request is served from the cache; a new policy changes the answer at once."""
    engine = PolicyEngine()
    assert engine.decide(ALICE, "conversation.read", CONV).allowed
    assert engine.decide(ALICE, "conversation.read", CONV).allowed
    deny_all = "forbid (principal, action, resource);\n"
    engine.activate(deny_all)
    decision = engine.decide(ALICE, "conversation.read", CONV)
    assert not decision.allowed
    assert decision.policy_version_hash == content_hash(deny_all)


def test_each_tenant_is_decided_by_its_own_policy() -> None:
    """A tenant's policy decides only for that tenant's resources; others keep the default."""
    engine = PolicyEngine()
    engine.activate("forbid (principal, action, resource);\n", tenant="acme")
    assert not engine.decide(ALICE, "conversation.read", CONV).allowed
    other = Principal.of("globex", "alice", "user")
    other_conv = res.Conversation("globex", "conv_g", "internal", "alice")
    assert engine.decide(other, "conversation.read", other_conv).allowed
    engine.deactivate("acme")
    assert engine.decide(ALICE, "conversation.read", CONV).allowed


def test_actions_match_the_schema() -> None:
    """The Python action table equals the shipped schema's actions, resource types and groups."""
    actions = json.loads(schema_text())["ChatSeal"]["actions"]
    declared = {
        name: frozenset(spec["appliesTo"]["resourceTypes"])
        for name, spec in actions.items()
        if "appliesTo" in spec
    }
    assert declared == APPLIES_TO
    for group, members in GROUPS.items():
        in_schema = {
            name for name, spec in actions.items() if {"id": group} in spec.get("memberOf", [])
        }
        assert frozenset(in_schema) == members, group
    assert CONTENT_CHANGE <= CONTENT
    assert not GRANTABLE & {"policy.write", "policy.approve", "keys.destroy", "breakglass.approve"}


def test_the_oracle_would_catch_a_missing_guard() -> None:
    """Dropping one guard from the policy makes the matrix disagree with the oracle."""
    text = default_policy_text()
    start = text.index('@id("restricted-needs-clearance")')
    end = text.index("};", start) + 2
    engine = PolicyEngine(text[:start] + text[end:])
    disagreements = sum(
        engine.decide(to_principal(who), action, to_resource(what, i)).allowed
        != expected(who, action, what)
        for who, action, what, i in MATRIX[::7]
    )
    assert disagreements > 0


def test_policies_that_name_ids_are_decided_per_id() -> None:
    """A policy naming a conversation is decided per id (no attribute-only cache sharing)."""
    text = default_policy_text() + (
        '@id("hold-conv-x")\n'
        'forbid (principal, action, resource in ChatSeal::Conversation::"conv_x");\n'
    )
    engine = PolicyEngine(text)
    assert engine.compile(text).observes_ids
    held = res.Conversation("acme", "conv_x", "internal", "alice")
    free = res.Conversation("acme", "conv_y", "internal", "alice")
    assert engine.decide(ALICE, "item.read", res.Item(free, "msg_1", "user")).allowed
    decision = engine.decide(ALICE, "item.read", res.Item(held, "msg_1", "user"))
    assert (decision.allowed, decision.reasons) == (False, ("hold-conv-x",))


def test_default_policy_decisions_ignore_ids() -> None:
    """Under the default policy two items with equal attributes share one cached decision."""
    engine = PolicyEngine()
    assert not engine.compile(default_policy_text()).observes_ids
    first = engine.decide(ALICE, "item.read", res.Item(CONV, "msg_1", "user"))
    second = engine.decide(ALICE, "item.read", res.Item(CONV, "msg_2", "user"))
    assert first is second
