"""The service's Cedar adapter remembers recent decisions: a policy change or a break-glass
grant must change the answer at once, never after the remembered one ages out."""

from __future__ import annotations

from collections.abc import Sequence

from chatseal.model import Principal
from chatseal.policy import PolicyEngine
from chatseal.policy.grants import Grant
from chatseal.service.access import Resource
from chatseal.service.cedar import CedarAuthorizer

OTHERS = Resource("conversation", "acme", "conv_1", "internal", owned=False)
BOB = Principal.of("acme", "bob", "user")
PERMIT_ALL = "permit(principal, action, resource);"


class GrantBook:
    """A grant source holding whatever the test puts in it."""

    def __init__(self) -> None:
        self.grants: list[Grant] = []

    def active_grants(self, tenant: str, subject: str, now: float) -> Sequence[Grant]:
        return [
            g
            for g in self.grants
            if (g.grantee_tenant, g.grantee_subject) == (tenant, subject) and g.is_active(now)
        ]


def test_a_remembered_decision_is_the_engines_decision() -> None:
    authorizer = CedarAuthorizer(PolicyEngine())
    first = authorizer.decide(BOB, "conversation.read", OTHERS)
    again = authorizer.decide(BOB, "conversation.read", OTHERS)
    assert not first.allowed
    assert again == first


def test_activating_a_policy_changes_remembered_decisions_at_once() -> None:
    engine = PolicyEngine()
    authorizer = CedarAuthorizer(engine)
    assert not authorizer.decide(BOB, "conversation.read", OTHERS).allowed
    engine.activate(PERMIT_ALL, tenant="acme")
    allowed = authorizer.decide(BOB, "conversation.read", OTHERS)
    assert allowed.allowed
    assert allowed.policy_version == engine.active_hash("acme")
    engine.deactivate("acme")
    assert not authorizer.decide(BOB, "conversation.read", OTHERS).allowed


def test_a_grant_changes_remembered_decisions_at_once() -> None:
    book = GrantBook()
    authorizer = CedarAuthorizer(PolicyEngine(grants=book))
    assert not authorizer.decide(BOB, "conversation.read", OTHERS).allowed
    book.grants.append(
        Grant("g1", "acme", "bob", "acme", frozenset({"conversation.read"}), expires_at=4e9)
    )
    assert authorizer.decide(BOB, "conversation.read", OTHERS).allowed
    book.grants.clear()
    assert not authorizer.decide(BOB, "conversation.read", OTHERS).allowed
