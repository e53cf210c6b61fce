"""Grants: time-boxed, scope-limited permissions outside the roles (break-glass access).

The decision point asks a `GrantSource` for the principal's active grants, keeps the actions
whose scope covers the resource, and hands them to Cedar as `principal.granted`; the default
policy honours them only for the grantable actions (see actions.GRANTABLE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chatseal.policy.resources import Resource


@dataclass(frozen=True)
class Grant:
    """An approved grant: who, which tenant, which actions, which conversations, until when."""

    id: str
    grantee_tenant: str
    grantee_subject: str
    tenant: str
    actions: frozenset[str]
    expires_at: float
    conversation_ids: frozenset[str] = field(default_factory=frozenset)

    def is_active(self, now: float) -> bool:
        """True until `expires_at` (exclusive): a grant ends by itself."""
        return now < self.expires_at

    def covers(self, resource: Resource) -> bool:
        """True when the resource lies inside the grant's tenant and conversation scope.

        A grant limited to conversations covers only resources of those conversations, never
        tenant-level resources (audit log, keys, backups).
        """
        if resource.tenant != self.tenant:
            return False
        if not self.conversation_ids:
            return True
        return resource.conversation_id in self.conversation_ids


class GrantSource(Protocol):
    """Where the decision point finds active grants (the break-glass book implements it)."""

    def active_grants(self, tenant: str, subject: str, now: float) -> Sequence[Grant]:
        """Return the grants of principal (tenant, subject) that are active at `now`."""
        ...


def granted_actions(
    grants: Sequence[Grant], resource: Resource, now: float, grantable: frozenset[str]
) -> frozenset[str]:
    """Return the grantable actions that active grants allow on this resource."""
    allowed: set[str] = set()
    for grant in grants:
        if grant.is_active(now) and grant.covers(resource):
            allowed.update(grant.actions & grantable)
    return frozenset(allowed)
