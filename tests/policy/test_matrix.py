"""The generated matrix: every role x two tenants x purposes x clearances x actions x resources."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from chatseal.model import CLASSIFICATIONS, Principal
from chatseal.policy import APPLIES_TO, ROLES, PolicyEngine
from chatseal.policy import resources as res

from .oracle import What, Who, expected, expected_visible

TENANTS = ("acme", "globex")
PURPOSES = ("", "support", "analytics", "training", "service")
CLEARANCES = ("", "restricted")
SUBJECTS = ("alice",)  # owners vary instead: "alice" (own) and "" (not own)
ROLE_SETS = [frozenset({role}) for role in ROLES] + [
    frozenset({"user", "key-admin"}),
    frozenset({"agent", "auditor"}),
    frozenset({"support", "user"}),
    frozenset(),
]
CONSENT_SETS: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"analytics"}),
    frozenset({"analytics", "training"}),
)


def principals() -> Iterator[Who]:
    """Every role set in tenant acme, and a sample of them in globex."""
    for roles, purpose, clearance, subject in itertools.product(
        ROLE_SETS, PURPOSES, CLEARANCES, SUBJECTS
    ):
        yield Who("acme", subject, roles, purpose, clearance)
    for roles in ROLE_SETS:
        yield Who("globex", "alice", roles, "support", "restricted")


def resources() -> Iterator[What]:
    """Every kind of resource in both tenants, over every classification."""
    for tenant in TENANTS:
        # The other tenant needs fewer variants: nothing there may be allowed at all.
        owners = ("alice", "") if tenant == "acme" else ("alice",)
        consent_sets = CONSENT_SETS if tenant == "acme" else CONSENT_SETS[-1:]
        for classification, owner, consents in itertools.product(
            CLASSIFICATIONS, owners, consent_sets
        ):
            yield What("Conversation", tenant, classification, owner, consents)
            if consents != CONSENT_SETS[1]:
                yield What("PromptMaterial", tenant, classification, owner, consents)
                for item_role in ("user", "system"):
                    yield What("Item", tenant, classification, owner, consents, item_role=item_role)
        for kind in ("Tenant", "AuditLog", "Key", "Backup"):
            yield What(kind, tenant)
        for author in ("alice", "carol"):
            yield What("PolicySet", tenant, author=author)
        for requester, requester_tenant in (("alice", tenant), ("carol", tenant), ("alice", "x")):
            yield What(
                "BreakGlassRequest", tenant, requester=requester, requester_tenant=requester_tenant
            )


def to_principal(who: Who) -> Principal:
    """The model principal for a flattened one."""
    return Principal(
        tenant=who.tenant,
        subject=who.subject,
        roles=who.roles,
        purpose=who.purpose or None,
        clearance=who.clearance or None,
        credential_kind="token",
    )


def to_resource(what: What, index: int) -> res.Resource:
    """The policy resource descriptor for a flattened one."""
    conversation = res.Conversation(
        what.tenant, f"conv_{index}", what.classification, what.owner or None, what.consents
    )
    made: dict[str, res.Resource] = {
        "Conversation": conversation,
        "PromptMaterial": res.PromptMaterial(conversation),
        "Item": res.Item(conversation, f"msg_{index}", role=what.item_role),
        "Tenant": res.Tenant(what.tenant),
        "AuditLog": res.AuditLog(what.tenant),
        "Key": res.Key(what.tenant, "kek"),
        "Backup": res.Backup(what.tenant, f"bak_{index}"),
        "PolicySet": res.PolicySet(what.tenant, f"polv_{index}", what.author),
    }
    if what.kind == "BreakGlassRequest":
        return res.BreakGlassRequest(
            what.tenant, f"bg_{index}", what.requester_tenant, what.requester
        )
    return made[what.kind]


def cases() -> list[tuple[Who, str, What, int]]:
    """Principal x applicable (action, resource) pairs."""
    whats = list(resources())
    pairs = [
        (action, what, index)
        for index, what in enumerate(whats)
        for action, kinds in APPLIES_TO.items()
        if what.kind in kinds
    ]
    return [(who, action, what, index) for who in principals() for action, what, index in pairs]


MATRIX = cases()


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    """One engine with the shipped default policy."""
    return PolicyEngine()


def test_matrix_is_large_enough() -> None:
    """The matrix holds at least 2,000 cases and covers every role, action and tier."""
    assert len(MATRIX) >= 2_000
    assert {role for who, *_ in MATRIX for role in who.roles} == set(ROLES)
    assert {action for _, action, _, _ in MATRIX} == set(APPLIES_TO)
    assert {what.classification for *_, what, _ in MATRIX} == set(CLASSIFICATIONS)


def test_every_decision_matches_the_oracle(engine: PolicyEngine) -> None:
    """Each engine decision (allow, and 403 versus 404) equals the plain-Python oracle's."""
    wrong = []
    allowed = 0
    for who, action, what, index in MATRIX:
        decision = engine.decide(to_principal(who), action, to_resource(what, index))
        want = expected(who, action, what)
        want_visible = expected_visible(who, action, what)
        allowed += decision.allowed
        if decision.allowed != want or decision.visible != want_visible:
            wrong.append((who, action, what, decision))
    assert wrong == [], f"{len(wrong)} mismatches, first: {wrong[:3]}"
    # Both outcomes occur in bulk, so the comparison above is not vacuous.
    assert 1_000 < allowed < len(MATRIX) - 1_000


def test_no_cross_tenant_access_is_ever_allowed(engine: PolicyEngine) -> None:
    """Without a grant, no principal acts on or even sees another tenant's resource."""
    crossing = [case for case in MATRIX if case[0].tenant != case[2].tenant]
    assert len(crossing) > 1_000
    leaks = []
    for who, action, what, index in crossing:
        decision = engine.decide(to_principal(who), action, to_resource(what, index))
        if action == "breakglass.request" and "security-admin" in who.roles:
            continue  # filing a request grants nothing; see test_breakglass
        if decision.allowed or decision.visible:
            leaks.append((who, action, what))
    assert leaks == []


def test_every_decision_names_the_policy_version(engine: PolicyEngine) -> None:
    """Every decision carries the active policy's content hash and at least one reason."""
    active = engine.active_hash()
    for who, action, what, index in MATRIX[::97]:
        decision = engine.decide(to_principal(who), action, to_resource(what, index))
        assert decision.policy_version_hash == active
        assert decision.reasons
