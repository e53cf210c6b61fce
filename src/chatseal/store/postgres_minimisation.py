"""PostgreSQL implementation of the schema v3 transaction methods (`MinimisationTx`), mixed into
`PostgresTx`. Tables: pseudonym_vault, legal_holds, deletions, deletion_receipts, each under the
tenant's row-level security like every tenant table (migrations/postgres/0003)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from chatseal.errors import Conflict
from chatseal.store.base import ConversationRow
from chatseal.store.minimisation import DeletionRow, HoldRow, ReceiptRow, VaultRow

_CONV_COLUMNS = "tenant_id, conversation_id, created_at, classification, owner_tag, metadata"
_VAULT_COLUMNS = "tenant_id, conversation_id, token_tag, sealed, created_at"
_HOLD_COLUMNS = "tenant_id, hold_id, conversation_id, sealed, created_at, released_at"
_RECEIPT_COLUMNS = "tenant_id, receipt_id, kind, created_at, note"
# Tables of schema v3 that a tenant owns, for `delete_tenant`.
TENANT_TABLES = ("pseudonym_vault", "legal_holds", "deletions", "deletion_receipts")


class PostgresMinimisationTx:
    """The schema v3 methods over `_run`/`_run_many` of `PostgresTx` (tenant set per call)."""

    __slots__ = ()

    def _run(
        self, tenant_id: str | None, query: Any, args: Sequence[Any] = ()
    ) -> psycopg.Cursor[Any]:
        raise NotImplementedError  # PostgresTx provides it

    def _run_many(self, tenant_id: str, query: Any, rows: Sequence[Sequence[Any]]) -> int:
        raise NotImplementedError  # PostgresTx provides it

    def _by_tenant(self, rows: Sequence[Any], query: str, values: Any) -> None:
        # Rows of one call normally share a tenant; group them so each group runs under its own.
        groups: dict[str, list[Any]] = {}
        for row in rows:
            groups.setdefault(row.tenant_id, []).append(values(row))
        for tenant_id, batch in groups.items():
            self._run_many(tenant_id, query, batch)

    def insert_vault_entries(self, rows: Sequence[VaultRow]) -> None:
        """Add vault entries; the same token twice keeps the first (as INSERT OR IGNORE)."""
        self._by_tenant(
            rows,
            f"INSERT INTO chatseal.pseudonym_vault ({_VAULT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            lambda r: (r.tenant_id, r.conversation_id, r.token_tag, r.sealed, r.created_at),
        )

    def get_vault_entries(
        self, tenant_id: str, conversation_id: str, token_tags: Sequence[bytes]
    ) -> list[VaultRow]:
        """Return a conversation's vault entries for these token tags, in the order asked."""
        wanted = list(dict.fromkeys(token_tags))
        if not wanted:
            return []
        rows = self._run(
            tenant_id,
            f"SELECT {_VAULT_COLUMNS} FROM chatseal.pseudonym_vault "
            "WHERE tenant_id = %s AND conversation_id = %s AND token_tag = ANY(%s)",
            (tenant_id, conversation_id, wanted),
        ).fetchall()
        found = {bytes(row[2]): VaultRow(*row) for row in rows}
        return [found[tag] for tag in wanted if tag in found]

    def conversations_created_before(
        self, tenant_id: str, classification: str, before: int, limit: int
    ) -> list[ConversationRow]:
        """A range scan on conversations_by_age, oldest first."""
        rows = self._run(
            tenant_id,
            f"SELECT {_CONV_COLUMNS} FROM chatseal.conversations WHERE tenant_id = %s "
            "AND classification = %s AND created_at <= %s "
            "ORDER BY created_at, conversation_id LIMIT %s",
            (tenant_id, classification, before, limit),
        ).fetchall()
        return [ConversationRow(*row) for row in rows]

    def conversations_of_owner(self, tenant_id: str, owner_tag: bytes) -> list[ConversationRow]:
        """Every conversation of one owner tag (index conversations_by_owner)."""
        rows = self._run(
            tenant_id,
            f"SELECT {_CONV_COLUMNS} FROM chatseal.conversations "
            "WHERE tenant_id = %s AND owner_tag = %s ORDER BY created_at, conversation_id",
            (tenant_id, owner_tag),
        ).fetchall()
        return [ConversationRow(*row) for row in rows]

    def count_items(self, tenant_id: str, conversation_id: str) -> int:
        """Count a conversation's items."""
        row = self._run(
            tenant_id,
            "SELECT count(*) FROM chatseal.items WHERE tenant_id = %s AND conversation_id = %s",
            (tenant_id, conversation_id),
        ).fetchone()
        return int(row[0]) if row else 0

    def insert_hold(self, row: HoldRow) -> None:
        """Add a legal hold; Conflict if the id is taken (the transaction goes on)."""
        inserted = self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.legal_holds ({_HOLD_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING hold_id",
            (
                row.tenant_id,
                row.hold_id,
                row.conversation_id,
                row.sealed,
                row.created_at,
                row.released_at,
            ),
        ).fetchone()
        if inserted is None:
            raise Conflict("a hold with this id already exists", param="hold_id")

    def release_hold(self, tenant_id: str, hold_id: str, released_at: int) -> bool:
        """Mark a hold released (the row stays: a hold's history explains late purges)."""
        cursor = self._run(
            tenant_id,
            "UPDATE chatseal.legal_holds SET released_at = %s "
            "WHERE tenant_id = %s AND hold_id = %s AND released_at IS NULL",
            (released_at, tenant_id, hold_id),
        )
        return cursor.rowcount == 1

    def list_holds(self, tenant_id: str) -> list[HoldRow]:
        """A tenant's holds, oldest first."""
        rows = self._run(
            tenant_id,
            f"SELECT {_HOLD_COLUMNS} FROM chatseal.legal_holds WHERE tenant_id = %s "
            "ORDER BY created_at, hold_id",
            (tenant_id,),
        ).fetchall()
        return [HoldRow(*row) for row in rows]

    def insert_deletions(self, rows: Sequence[DeletionRow]) -> None:
        """Record destroyed conversations (a second record of one replaces the first)."""
        self._by_tenant(
            rows,
            "INSERT INTO chatseal.deletions (tenant_id, conversation_tag, kind, due_at, "
            "deleted_at, receipt_id) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (tenant_id, conversation_tag) DO UPDATE SET kind = excluded.kind, "
            "due_at = excluded.due_at, deleted_at = excluded.deleted_at, "
            "receipt_id = excluded.receipt_id",
            lambda r: (
                r.tenant_id,
                r.conversation_tag,
                r.kind,
                r.due_at,
                r.deleted_at,
                r.receipt_id,
            ),
        )

    def deletion_adherence(self, tenant_id: str, kind: str, sla_seconds: int) -> tuple[int, int]:
        """(deletions with a due time, those within `sla_seconds` of it)."""
        row = self._run(
            tenant_id,
            "SELECT count(*), count(*) FILTER (WHERE deleted_at - due_at <= %s) "
            "FROM chatseal.deletions WHERE tenant_id = %s AND kind = %s AND due_at IS NOT NULL",
            (sla_seconds, tenant_id, kind),
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def insert_receipt(self, row: ReceiptRow) -> None:
        """Store a signed receipt."""
        self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.deletion_receipts ({_RECEIPT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s)",
            (row.tenant_id, row.receipt_id, row.kind, row.created_at, row.note),
        )

    def get_receipt(self, tenant_id: str, receipt_id: str) -> ReceiptRow | None:
        """One receipt."""
        row = self._run(
            tenant_id,
            f"SELECT {_RECEIPT_COLUMNS} FROM chatseal.deletion_receipts "
            "WHERE tenant_id = %s AND receipt_id = %s",
            (tenant_id, receipt_id),
        ).fetchone()
        return ReceiptRow(*row) if row else None

    def list_receipts(self, tenant_id: str, limit: int) -> list[ReceiptRow]:
        """Newest receipts first."""
        rows = self._run(
            tenant_id,
            f"SELECT {_RECEIPT_COLUMNS} FROM chatseal.deletion_receipts WHERE tenant_id = %s "
            "ORDER BY created_at DESC, receipt_id LIMIT %s",
            (tenant_id, limit),
        ).fetchall()
        return [ReceiptRow(*row) for row in rows]
