"""SQLite implementation of the schema v3 transaction methods (`MinimisationTx`), mixed into
`SqliteTx`. Tables: pseudonym_vault, legal_holds, deletions, deletion_receipts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from chatseal.errors import Conflict
from chatseal.store.base import ConversationRow
from chatseal.store.minimisation import DeletionRow, HoldRow, ReceiptRow, VaultRow

_CONV_COLUMNS = "tenant_id, conversation_id, created_at, classification, owner_tag, metadata"
_VAULT_COLUMNS = "tenant_id, conversation_id, token_tag, sealed, created_at"
_HOLD_COLUMNS = "tenant_id, hold_id, conversation_id, sealed, created_at, released_at"
_RECEIPT_COLUMNS = "tenant_id, receipt_id, kind, created_at, note"
# Tables of schema v3 that a tenant owns, for `delete_tenant`.
TENANT_TABLES = ("pseudonym_vault", "legal_holds", "deletions", "deletion_receipts")


class SqliteMinimisationTx:
    """The schema v3 methods; `_db` is the transaction's connection (set by `SqliteTx`)."""

    __slots__ = ()
    _db: sqlite3.Connection

    def insert_vault_entries(self, rows: Sequence[VaultRow]) -> None:
        """Add vault entries (INSERT OR IGNORE: the same token twice keeps the first)."""
        self._db.executemany(
            f"INSERT OR IGNORE INTO pseudonym_vault ({_VAULT_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            [(r.tenant_id, r.conversation_id, r.token_tag, r.sealed, r.created_at) for r in rows],
        )

    def get_vault_entries(
        self, tenant_id: str, conversation_id: str, token_tags: Sequence[bytes]
    ) -> list[VaultRow]:
        """Return a conversation's vault entries for these token tags."""
        found: list[VaultRow] = []
        for tag in dict.fromkeys(token_tags):
            row = self._db.execute(
                f"SELECT {_VAULT_COLUMNS} FROM pseudonym_vault "
                "WHERE tenant_id = ? AND conversation_id = ? AND token_tag = ?",
                (tenant_id, conversation_id, tag),
            ).fetchone()
            if row:
                found.append(VaultRow(*row))
        return found

    def conversations_created_before(
        self, tenant_id: str, classification: str, before: int, limit: int
    ) -> list[ConversationRow]:
        """A range scan on conversations_by_age, oldest first."""
        rows = self._db.execute(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE tenant_id = ? "
            "AND classification = ? AND created_at <= ? ORDER BY created_at LIMIT ?",
            (tenant_id, classification, before, limit),
        )
        return [ConversationRow(*row) for row in rows]

    def conversations_of_owner(self, tenant_id: str, owner_tag: bytes) -> list[ConversationRow]:
        """Every conversation of one owner tag (index conversations_by_owner)."""
        rows = self._db.execute(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE tenant_id = ? AND owner_tag = ? "
            "ORDER BY created_at",
            (tenant_id, owner_tag),
        )
        return [ConversationRow(*row) for row in rows]

    def count_items(self, tenant_id: str, conversation_id: str) -> int:
        """Count a conversation's items."""
        row = self._db.execute(
            "SELECT count(*) FROM items WHERE tenant_id = ? AND conversation_id = ?",
            (tenant_id, conversation_id),
        ).fetchone()
        return int(row[0])

    def insert_hold(self, row: HoldRow) -> None:
        """Add a legal hold."""
        try:
            self._db.execute(
                f"INSERT INTO legal_holds ({_HOLD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row.tenant_id,
                    row.hold_id,
                    row.conversation_id,
                    row.sealed,
                    row.created_at,
                    row.released_at,
                ),
            )
        except sqlite3.IntegrityError:
            raise Conflict("a hold with this id already exists", param="hold_id") from None

    def release_hold(self, tenant_id: str, hold_id: str, released_at: int) -> bool:
        """Mark a hold released (the row stays: a hold's history explains late purges)."""
        cursor = self._db.execute(
            "UPDATE legal_holds SET released_at = ? "
            "WHERE tenant_id = ? AND hold_id = ? AND released_at IS NULL",
            (released_at, tenant_id, hold_id),
        )
        return cursor.rowcount == 1

    def list_holds(self, tenant_id: str) -> list[HoldRow]:
        """A tenant's holds, oldest first."""
        rows = self._db.execute(
            f"SELECT {_HOLD_COLUMNS} FROM legal_holds WHERE tenant_id = ? "
            "ORDER BY created_at, hold_id",
            (tenant_id,),
        )
        return [HoldRow(*row) for row in rows]

    def insert_deletions(self, rows: Sequence[DeletionRow]) -> None:
        """Record destroyed conversations."""
        self._db.executemany(
            "INSERT OR REPLACE INTO deletions (tenant_id, conversation_tag, kind, due_at, "
            "deleted_at, receipt_id) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (r.tenant_id, r.conversation_tag, r.kind, r.due_at, r.deleted_at, r.receipt_id)
                for r in rows
            ],
        )

    def deletion_adherence(self, tenant_id: str, kind: str, sla_seconds: int) -> tuple[int, int]:
        """(deletions with a due time, those within `sla_seconds` of it)."""
        row = self._db.execute(
            "SELECT count(*), coalesce(sum(deleted_at - due_at <= ?), 0) FROM deletions "
            "WHERE tenant_id = ? AND kind = ? AND due_at IS NOT NULL",
            (sla_seconds, tenant_id, kind),
        ).fetchone()
        return int(row[0]), int(row[1])

    def insert_receipt(self, row: ReceiptRow) -> None:
        """Store a signed receipt."""
        self._db.execute(
            f"INSERT INTO deletion_receipts ({_RECEIPT_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (row.tenant_id, row.receipt_id, row.kind, row.created_at, row.note),
        )

    def get_receipt(self, tenant_id: str, receipt_id: str) -> ReceiptRow | None:
        """One receipt."""
        row = self._db.execute(
            f"SELECT {_RECEIPT_COLUMNS} FROM deletion_receipts "
            "WHERE tenant_id = ? AND receipt_id = ?",
            (tenant_id, receipt_id),
        ).fetchone()
        return ReceiptRow(*row) if row else None

    def list_receipts(self, tenant_id: str, limit: int) -> list[ReceiptRow]:
        """Newest receipts first."""
        rows = self._db.execute(
            f"SELECT {_RECEIPT_COLUMNS} FROM deletion_receipts WHERE tenant_id = ? "
            "ORDER BY created_at DESC, receipt_id LIMIT ?",
            (tenant_id, limit),
        )
        return [ReceiptRow(*row) for row in rows]
