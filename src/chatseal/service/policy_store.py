"""The policy module's repositories on the store: policy versions and break-glass requests.

Each repository works inside one open transaction, for one tenant (the tenant's name is what
the decision point knows; the store keys rows by tenant id). So a change, the repositories'
reads that decided it, and its audit event commit together. A break-glass reason may name
people: it is sealed under a key derived from the tenant's index key (HKDF, RFC 5869 §2, label
`breakglass.v1`), bound to its tenant and request id, like a legal hold's reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from chatseal.crypto import DataKey, RecordAddress
from chatseal.errors import InvalidRequest
from chatseal.policy import BreakGlassRequest, PolicyVersion
from chatseal.policy.versions import Status as VersionStatus
from chatseal.service.minimisation import derive_secret
from chatseal.service.sealing import open_json, seal_json
from chatseal.store import StoreTx
from chatseal.store.policy import BreakGlassRow, PolicyVersionRow

SEALED_REASON = "(sealed)"


def version_from_row(row: PolicyVersionRow, tenant: str) -> PolicyVersion:
    """The policy module's version for a stored row."""
    return PolicyVersion(
        id=row.version_id,
        tenant=tenant,
        author=row.author,
        created_at=float(row.created_at),
        content_hash=row.content_hash,
        parent=row.parent,
        text=row.text,
        status=cast(VersionStatus, row.status),
        approvals=tuple(json.loads(row.approvals)),
        activated_at=None if row.activated_at is None else float(row.activated_at),
        note=row.note,
    )


def row_from_version(version: PolicyVersion, tenant_id: str) -> PolicyVersionRow:
    """The stored row of a version."""
    return PolicyVersionRow(
        tenant_id,
        version.id,
        version.author,
        version.created_at,
        version.content_hash,
        version.parent,
        version.text,
        version.status,
        json.dumps(list(version.approvals)),
        version.activated_at,
        version.note,
    )


class StorePolicyRepository:
    """A `PolicyRepository` over an open transaction, for one tenant."""

    def __init__(self, tx: StoreTx, tenant: str, tenant_id: str) -> None:
        self._tx = tx
        self._tenant = tenant
        self._tenant_id = tenant_id

    def _check(self, tenant: str) -> None:
        if tenant != self._tenant:
            # A repository serves one tenant: asking it about another is a programming error.
            raise InvalidRequest("policy repository used for another tenant", param="tenant")

    def list_versions(self, tenant: str) -> Sequence[PolicyVersion]:
        """A tenant's versions, oldest first."""
        self._check(tenant)
        rows = self._tx.list_policy_versions(self._tenant_id)
        return [version_from_row(row, tenant) for row in rows]

    def get_version(self, tenant: str, version_id: str) -> PolicyVersion | None:
        """One version, or None."""
        self._check(tenant)
        row = self._tx.get_policy_version(self._tenant_id, version_id)
        return version_from_row(row, tenant) if row else None

    def put_version(self, version: PolicyVersion) -> None:
        """Insert or update a version."""
        self._check(version.tenant)
        self._tx.put_policy_version(row_from_version(version, self._tenant_id))

    def get_active(self, tenant: str) -> PolicyVersion | None:
        """The active version, or None (the shipped default applies)."""
        self._check(tenant)
        row = self._tx.get_active_policy_version(self._tenant_id)
        return version_from_row(row, tenant) if row else None


def reason_key(index_key: bytes, tenant_id: str) -> DataKey:
    """The key that seals a tenant's break-glass reasons."""
    return DataKey(derive_secret(index_key, tenant_id, "breakglass.v1"))


def _address(tenant_id: str, request_id: str) -> RecordAddress:
    return RecordAddress(tenant_id, "", request_id, 0, "breakglass-reason")


def request_from_row(row: BreakGlassRow, tenant: str, key: DataKey | None) -> BreakGlassRequest:
    """The policy module's request for a stored row; the reason is opened only with a key."""
    reason = SEALED_REASON
    if key is not None:
        reason = str(open_json(key, _address(row.tenant_id, row.request_id), row.reason))
    return BreakGlassRequest(
        id=row.request_id,
        tenant=tenant,
        requester_tenant=row.requester_tenant,
        requester=row.requester,
        reason=reason,
        actions=frozenset(json.loads(row.actions)),
        duration=float(row.duration),
        created_at=float(row.created_at),
        conversation_ids=frozenset(json.loads(row.conversation_ids)),
        status=cast(Any, row.status),
        approvals=tuple(json.loads(row.approvals)),
        approved_at=None if row.approved_at is None else float(row.approved_at),
        expires_at=None if row.expires_at is None else float(row.expires_at),
        revoked_by=row.revoked_by,
    )


class StoreBreakGlassRepository:
    """A `BreakGlassRepository` over an open transaction, for one target tenant."""

    def __init__(
        self, tx: StoreTx, tenant: str, tenant_id: str, key: DataKey, key_version: int
    ) -> None:
        self._tx = tx
        self._tenant = tenant
        self._tenant_id = tenant_id
        self._key = key
        self._key_version = key_version

    def put(self, request: BreakGlassRequest) -> None:
        """Insert a request (its reason sealed) or update its status fields."""
        if request.tenant != self._tenant:
            raise InvalidRequest("break-glass repository used for another tenant", param="tenant")
        sealed = seal_json(
            self._key, self._key_version, _address(self._tenant_id, request.id), request.reason
        )
        self._tx.put_breakglass(
            BreakGlassRow(
                self._tenant_id,
                request.id,
                request.requester_tenant,
                request.requester,
                sealed,
                json.dumps(sorted(request.actions)),
                json.dumps(sorted(request.conversation_ids)),
                request.duration,
                request.created_at,
                request.status,
                json.dumps(list(request.approvals)),
                request.approved_at,
                request.expires_at,
                request.revoked_by,
            )
        )

    def get(self, request_id: str) -> BreakGlassRequest | None:
        """One request of this tenant, or None."""
        row = self._tx.get_breakglass(self._tenant_id, request_id)
        return request_from_row(row, self._tenant, self._key) if row else None

    def list(self, tenant: str | None = None) -> Sequence[BreakGlassRequest]:
        """This tenant's requests, oldest first."""
        if tenant is not None and tenant != self._tenant:
            return []
        rows = self._tx.list_breakglass(self._tenant_id)
        return [request_from_row(row, self._tenant, self._key) for row in rows]

    def for_grantee(self, tenant: str, subject: str) -> Sequence[BreakGlassRequest]:
        """The requests of this tenant filed by one principal."""
        return [r for r in self.list() if (r.requester_tenant, r.requester) == (tenant, subject)]
