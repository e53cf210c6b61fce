"""PostgreSQL implementation of the schema v4 transaction methods (`PolicyTx`), mixed into
`PostgresTx`. Tables: policy_versions, breakglass_requests, each under the tenant's row-level
security like every tenant table (migrations/postgres/0004_policy.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from chatseal.errors import Conflict
from chatseal.store.policy import BreakGlassRow, PolicyVersionRow

_VERSION_COLUMNS = (
    "tenant_id, version_id, author, created_at, content_hash, parent, policy_text, status, "
    "approvals, activated_at, note"
)
_BREAKGLASS_COLUMNS = (
    "tenant_id, request_id, requester_tenant, requester, reason, actions, conversation_ids, "
    "duration, created_at, status, approvals, approved_at, expires_at, revoked_by"
)
# Tables of schema v4 that a tenant owns, for `delete_tenant`.
POLICY_TABLES = ("policy_versions", "breakglass_requests")


def _version(row: Sequence[Any]) -> PolicyVersionRow:
    return PolicyVersionRow(*row)


def _breakglass(row: Sequence[Any]) -> BreakGlassRow:
    values = list(row)
    values[4] = bytes(values[4])  # bytea arrives as memoryview/bytes depending on the loader
    return BreakGlassRow(*values)


class PostgresPolicyTx:
    """The schema v4 methods over `_run` of `PostgresTx` (tenant set per call)."""

    __slots__ = ()

    def _run(
        self, tenant_id: str | None, query: Any, args: Sequence[Any] = ()
    ) -> psycopg.Cursor[Any]:
        raise NotImplementedError  # PostgresTx provides it

    def put_policy_version(self, row: PolicyVersionRow) -> None:
        """Insert (next seq of the tenant) or update the mutable fields of a version.

        A second active version violates policy_versions_one_active: the statement is wrapped
        in a savepoint so the transaction stays usable, as SQLite's does, and Conflict is raised.
        """
        query = (
            f"INSERT INTO chatseal.policy_versions ({_VERSION_COLUMNS}, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, (SELECT coalesce(max(seq), 0) "
            "+ 1 FROM chatseal.policy_versions WHERE tenant_id = %s)) "
            "ON CONFLICT (tenant_id, version_id) DO UPDATE SET status = excluded.status, "
            "approvals = excluded.approvals, activated_at = excluded.activated_at, "
            "note = excluded.note"
        )
        args = (
            row.tenant_id,
            row.version_id,
            row.author,
            row.created_at,
            row.content_hash,
            row.parent,
            row.text,
            row.status,
            row.approvals,
            row.activated_at,
            row.note,
            row.tenant_id,
        )
        self._run(row.tenant_id, "SAVEPOINT policy_version")
        try:
            self._run(row.tenant_id, query, args)
        except Conflict:
            self._run(row.tenant_id, "ROLLBACK TO SAVEPOINT policy_version")
            raise Conflict("the tenant already has an active policy version") from None
        self._run(row.tenant_id, "RELEASE SAVEPOINT policy_version")

    def get_policy_version(self, tenant_id: str, version_id: str) -> PolicyVersionRow | None:
        """One version."""
        row = self._run(
            tenant_id,
            f"SELECT {_VERSION_COLUMNS} FROM chatseal.policy_versions "
            "WHERE tenant_id = %s AND version_id = %s",
            (tenant_id, version_id),
        ).fetchone()
        return _version(row) if row else None

    def list_policy_versions(self, tenant_id: str) -> list[PolicyVersionRow]:
        """A tenant's versions in the order first stored."""
        rows = self._run(
            tenant_id,
            f"SELECT {_VERSION_COLUMNS} FROM chatseal.policy_versions WHERE tenant_id = %s "
            "ORDER BY seq",
            (tenant_id,),
        ).fetchall()
        return [_version(row) for row in rows]

    def get_active_policy_version(self, tenant_id: str) -> PolicyVersionRow | None:
        """The active version (index policy_versions_one_active)."""
        row = self._run(
            tenant_id,
            f"SELECT {_VERSION_COLUMNS} FROM chatseal.policy_versions "
            "WHERE tenant_id = %s AND status = 'active'",
            (tenant_id,),
        ).fetchone()
        return _version(row) if row else None

    def put_breakglass(self, row: BreakGlassRow) -> None:
        """Insert (next seq of the tenant) or update the mutable fields of a request."""
        self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.breakglass_requests ({_BREAKGLASS_COLUMNS}, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "(SELECT coalesce(max(seq), 0) + 1 FROM chatseal.breakglass_requests "
            "WHERE tenant_id = %s)) "
            "ON CONFLICT (tenant_id, request_id) DO UPDATE SET status = excluded.status, "
            "approvals = excluded.approvals, approved_at = excluded.approved_at, "
            "expires_at = excluded.expires_at, revoked_by = excluded.revoked_by",
            (
                row.tenant_id,
                row.request_id,
                row.requester_tenant,
                row.requester,
                row.reason,
                row.actions,
                row.conversation_ids,
                row.duration,
                row.created_at,
                row.status,
                row.approvals,
                row.approved_at,
                row.expires_at,
                row.revoked_by,
                row.tenant_id,
            ),
        )

    def get_breakglass(self, tenant_id: str, request_id: str) -> BreakGlassRow | None:
        """One request."""
        row = self._run(
            tenant_id,
            f"SELECT {_BREAKGLASS_COLUMNS} FROM chatseal.breakglass_requests "
            "WHERE tenant_id = %s AND request_id = %s",
            (tenant_id, request_id),
        ).fetchone()
        return _breakglass(row) if row else None

    def list_breakglass(self, tenant_id: str, status: str | None = None) -> list[BreakGlassRow]:
        """A tenant's requests, oldest first, optionally of one status."""
        if status is None:
            cursor = self._run(
                tenant_id,
                f"SELECT {_BREAKGLASS_COLUMNS} FROM chatseal.breakglass_requests "
                "WHERE tenant_id = %s ORDER BY seq",
                (tenant_id,),
            )
        else:
            cursor = self._run(
                tenant_id,
                f"SELECT {_BREAKGLASS_COLUMNS} FROM chatseal.breakglass_requests "
                "WHERE tenant_id = %s AND status = %s ORDER BY seq",
                (tenant_id, status),
            )
        return [_breakglass(row) for row in cursor.fetchall()]
