"""Rows and transaction methods for data minimisation: the token vault, legal holds, deletions
and deletion receipts (schema v3). Sealed bytes and keyed hashes only, keyed by tenant first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chatseal.store.base import ConversationRow


@dataclass(frozen=True, slots=True)
class VaultRow:
    """A pseudonym's original, sealed under its conversation's content data key."""

    tenant_id: str
    conversation_id: str
    token_tag: bytes
    sealed: bytes
    created_at: int


@dataclass(frozen=True, slots=True)
class HoldRow:
    """A legal hold on a tenant (`conversation_id` None) or one conversation; reason sealed."""

    tenant_id: str
    hold_id: str
    conversation_id: str | None
    sealed: bytes
    created_at: int
    released_at: int | None = None


@dataclass(frozen=True, slots=True)
class DeletionRow:
    """One destroyed conversation: salted id hash, why, when it fell due, when it went."""

    tenant_id: str
    conversation_tag: str
    kind: str
    due_at: int | None
    deleted_at: int
    receipt_id: str


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    """A signed deletion receipt (a C2SP signed note)."""

    tenant_id: str
    receipt_id: str
    kind: str
    created_at: int
    note: str


class MinimisationTx(Protocol):
    """The StoreTx methods of schema v3."""

    def insert_vault_entries(self, rows: Sequence[VaultRow]) -> None:
        """Add vault entries; an entry already present for its token stays as it is."""
        ...

    def get_vault_entries(
        self, tenant_id: str, conversation_id: str, token_tags: Sequence[bytes]
    ) -> list[VaultRow]:
        """Return a conversation's vault entries for these token tags."""
        ...

    def conversations_created_before(
        self, tenant_id: str, classification: str, before: int, limit: int
    ) -> list[ConversationRow]:
        """Return up to `limit` conversations of a tier created at or before `before`, oldest
        first."""
        ...

    def conversations_of_owner(self, tenant_id: str, owner_tag: bytes) -> list[ConversationRow]:
        """Return every conversation of a tenant whose owner tag is `owner_tag`."""
        ...

    def count_items(self, tenant_id: str, conversation_id: str) -> int:
        """Return how many items a conversation holds."""
        ...

    def insert_hold(self, row: HoldRow) -> None:
        """Add a legal hold."""
        ...

    def release_hold(self, tenant_id: str, hold_id: str, released_at: int) -> bool:
        """Mark a hold released; False if missing or already released."""
        ...

    def list_holds(self, tenant_id: str) -> list[HoldRow]:
        """Return a tenant's holds, active and released, oldest first."""
        ...

    def insert_deletions(self, rows: Sequence[DeletionRow]) -> None:
        """Record destroyed conversations."""
        ...

    def deletion_adherence(self, tenant_id: str, kind: str, sla_seconds: int) -> tuple[int, int]:
        """Return (deletions of this kind with a due time, those done within the SLA)."""
        ...

    def insert_receipt(self, row: ReceiptRow) -> None:
        """Store a signed receipt."""
        ...

    def get_receipt(self, tenant_id: str, receipt_id: str) -> ReceiptRow | None:
        """Return one receipt."""
        ...

    def list_receipts(self, tenant_id: str, limit: int) -> list[ReceiptRow]:
        """Return a tenant's newest receipts first."""
        ...
