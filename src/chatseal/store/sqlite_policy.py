"""SQLite implementation of the schema v4 transaction methods (`PolicyTx`), mixed into
`SqliteTx`. Tables: policy_versions, breakglass_requests (migrations/sqlite/0004_policy.sql)."""

from __future__ import annotations

import sqlite3

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


class SqlitePolicyTx:
    """The schema v4 methods; `_db` is the transaction's connection (set by `SqliteTx`)."""

    __slots__ = ()
    _db: sqlite3.Connection

    def put_policy_version(self, row: PolicyVersionRow) -> None:
        """Insert (next seq of the tenant) or update the mutable fields of a version."""
        try:
            self._db.execute(
                f"INSERT INTO policy_versions ({_VERSION_COLUMNS}, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT coalesce(max(seq), 0) + 1 FROM policy_versions WHERE tenant_id = ?)) "
                "ON CONFLICT (tenant_id, version_id) DO UPDATE SET status = excluded.status, "
                "approvals = excluded.approvals, activated_at = excluded.activated_at, "
                "note = excluded.note",
                (
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
                ),
            )
        except sqlite3.IntegrityError:
            raise Conflict("the tenant already has an active policy version") from None

    def get_policy_version(self, tenant_id: str, version_id: str) -> PolicyVersionRow | None:
        """One version."""
        row = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM policy_versions "
            "WHERE tenant_id = ? AND version_id = ?",
            (tenant_id, version_id),
        ).fetchone()
        return PolicyVersionRow(*row) if row else None

    def list_policy_versions(self, tenant_id: str) -> list[PolicyVersionRow]:
        """A tenant's versions in the order first stored."""
        rows = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM policy_versions WHERE tenant_id = ? ORDER BY seq",
            (tenant_id,),
        )
        return [PolicyVersionRow(*row) for row in rows]

    def get_active_policy_version(self, tenant_id: str) -> PolicyVersionRow | None:
        """The active version (index policy_versions_one_active)."""
        row = self._db.execute(
            f"SELECT {_VERSION_COLUMNS} FROM policy_versions "
            "WHERE tenant_id = ? AND status = 'active'",
            (tenant_id,),
        ).fetchone()
        return PolicyVersionRow(*row) if row else None

    def put_breakglass(self, row: BreakGlassRow) -> None:
        """Insert (next seq of the tenant) or update the mutable fields of a request."""
        self._db.execute(
            f"INSERT INTO breakglass_requests ({_BREAKGLASS_COLUMNS}, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "(SELECT coalesce(max(seq), 0) + 1 FROM breakglass_requests WHERE tenant_id = ?)) "
            "ON CONFLICT (tenant_id, request_id) DO UPDATE SET status = excluded.status, "
            "approvals = excluded.approvals, approved_at = excluded.approved_at, "
            "expires_at = excluded.expires_at, revoked_by = excluded.revoked_by",
            (*_breakglass_values(row), row.tenant_id),
        )

    def get_breakglass(self, tenant_id: str, request_id: str) -> BreakGlassRow | None:
        """One request."""
        row = self._db.execute(
            f"SELECT {_BREAKGLASS_COLUMNS} FROM breakglass_requests "
            "WHERE tenant_id = ? AND request_id = ?",
            (tenant_id, request_id),
        ).fetchone()
        return BreakGlassRow(*row) if row else None

    def list_breakglass(self, tenant_id: str, status: str | None = None) -> list[BreakGlassRow]:
        """A tenant's requests, oldest first, optionally of one status."""
        if status is None:
            rows = self._db.execute(
                f"SELECT {_BREAKGLASS_COLUMNS} FROM breakglass_requests WHERE tenant_id = ? "
                "ORDER BY seq",
                (tenant_id,),
            )
        else:
            rows = self._db.execute(
                f"SELECT {_BREAKGLASS_COLUMNS} FROM breakglass_requests "
                "WHERE tenant_id = ? AND status = ? ORDER BY seq",
                (tenant_id, status),
            )
        return [BreakGlassRow(*row) for row in rows]


def _breakglass_values(row: BreakGlassRow) -> tuple[object, ...]:
    return (
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
    )
