"""Rows and transaction methods for access policy (schema v4): policy versions and break-glass
requests, keyed by tenant first like every tenant table.

A policy version's text is the policy itself (no personal data); a break-glass reason may name
people, so it is stored sealed (the service seals it under a key derived from the tenant's
index key). Lists (approvals, actions, conversation ids) are JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PolicyVersionRow:
    """One version of a tenant's Cedar policy; `approvals` is a JSON list of subjects."""

    tenant_id: str
    version_id: str
    author: str
    created_at: float
    content_hash: str
    parent: str | None
    text: str
    status: str
    approvals: str
    activated_at: float | None
    note: str


@dataclass(frozen=True, slots=True)
class BreakGlassRow:
    """A break-glass request of a target tenant (`tenant_id`) and, once approved, its grant."""

    tenant_id: str
    request_id: str
    requester_tenant: str
    requester: str
    reason: bytes
    actions: str
    conversation_ids: str
    duration: float
    created_at: float
    status: str
    approvals: str
    approved_at: float | None
    expires_at: float | None
    revoked_by: str | None


class PolicyTx(Protocol):
    """The StoreTx methods of schema v4."""

    def put_policy_version(self, row: PolicyVersionRow) -> None:
        """Insert a version, or replace the mutable fields (status, approvals, activated_at,
        note) of an existing one; Conflict if a second version of the tenant becomes active."""
        ...

    def get_policy_version(self, tenant_id: str, version_id: str) -> PolicyVersionRow | None:
        """Return one version."""
        ...

    def list_policy_versions(self, tenant_id: str) -> list[PolicyVersionRow]:
        """Return a tenant's versions in the order they were first stored."""
        ...

    def get_active_policy_version(self, tenant_id: str) -> PolicyVersionRow | None:
        """Return the tenant's active version, if any."""
        ...

    def put_breakglass(self, row: BreakGlassRow) -> None:
        """Insert a request, or replace the mutable fields (status, approvals, approved_at,
        expires_at, revoked_by) of an existing one."""
        ...

    def get_breakglass(self, tenant_id: str, request_id: str) -> BreakGlassRow | None:
        """Return one request of a target tenant."""
        ...

    def list_breakglass(self, tenant_id: str, status: str | None = None) -> list[BreakGlassRow]:
        """Return a target tenant's requests (optionally of one status), oldest first."""
        ...
