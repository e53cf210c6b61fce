"""The `Store` Protocol: sealed bytes and non-sensitive metadata, keyed by tenant first.

The store never sees plaintext or keys (import-linter forbids it `chatseal.crypto` and
`chatseal.keys`). All work happens inside a transaction, so the service can put a change and its
audit record in the same commit, and PostgreSQL can set the tenant for row-level security.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from chatseal.store.minimisation import MinimisationTx
from chatseal.store.policy import PolicyTx


@dataclass(frozen=True, slots=True)
class TenantRow:
    """A tenant: its name, settings (JSON text) and its index key, wrapped by the KEK."""

    tenant_id: str
    name: str
    created_at: int
    settings: str
    index_key: bytes
    index_key_version: int


class ConversationRow(NamedTuple):
    """A conversation: the owner is a keyed hash; the metadata is sealed.

    Rows read on every request are named tuples (this one, `DataKeyRow`, `ItemRow`): built in C,
    in a third of a frozen dataclass's time.
    """

    tenant_id: str
    conversation_id: str
    created_at: int
    classification: str
    owner_tag: bytes
    metadata: bytes


class DataKeyRow(NamedTuple):
    """A conversation's data key for one namespace (`content`, `prompts`), wrapped by a KEK."""

    tenant_id: str
    conversation_id: str
    namespace: str
    kek_version: int
    wrapped: bytes
    created_at: int


class ItemRow(NamedTuple):
    """A sealed item at a position; type and role are kept in clear for listing and policy."""

    tenant_id: str
    conversation_id: str
    position: int
    item_id: str
    item_type: str
    role: str | None
    created_at: int
    sealed: bytes


PageItem = tuple[str, int, bytes, str, "str | None"]
"""One listed item as a page reads it: (item id, position, sealed record, item type, role).

A plain tuple, in the order opening a record needs its fields: the database drivers build plain
tuples in C, where a named tuple would cost a Python call for each of a page's items."""

PAGE_ITEM_COLUMNS = "item_id, position, sealed, item_type, role"
"""The columns a backend selects for a `PageItem`, in its order (the same on every backend)."""


class PageRead(NamedTuple):
    """What a listing reads in one call: the conversation, its wrapped keys and a page.

    `after_found` is False when the caller's `after` item is not in the conversation (the page
    is then empty): the service decides access first, then reports it.
    """

    conversation: ConversationRow
    keys: list[DataKeyRow]
    items: list[PageItem]
    after_found: bool


@dataclass(frozen=True, slots=True)
class ClientRow:
    """An OAuth2 client: roles as a JSON list, the secret only as a hash."""

    tenant_id: str
    client_id: str
    secret_hash: bytes
    roles: str
    purpose: str | None
    created_at: int
    revoked_at: int | None = None


@runtime_checkable
class StoreTx(MinimisationTx, PolicyTx, Protocol):
    """Reads and writes inside one transaction."""

    # tenants
    def insert_tenant(self, row: TenantRow) -> None:
        """Add a tenant; Conflict if the name is taken."""
        ...

    def get_tenant(self, name: str) -> TenantRow | None:
        """Return a tenant by name."""
        ...

    def list_tenants(self) -> list[TenantRow]:
        """Return all tenants by name."""
        ...

    def update_tenant_settings(self, tenant_id: str, settings: str) -> None:
        """Replace a tenant's settings (JSON text)."""
        ...

    def delete_tenant(self, tenant_id: str) -> int:
        """Delete a tenant and every row it owns; return the number of conversations removed."""
        ...

    # the audit log
    def enqueue_audit(self, data: bytes) -> None:
        """Queue an audit event's bytes in this transaction (committed with the change)."""
        ...

    def conversation_item_counts(self, tenant_id: str) -> dict[str, int]:
        """Return every conversation of a tenant with its number of items (for reconciliation)."""
        ...

    # OAuth2 clients
    def insert_client(self, row: ClientRow) -> None:
        """Add a client."""
        ...

    def get_client(self, client_id: str) -> ClientRow | None:
        """Return a client by id, in any tenant (the token endpoint knows only the id)."""
        ...

    def list_clients(self, tenant_id: str) -> list[ClientRow]:
        """Return a tenant's clients."""
        ...

    def revoke_client(self, client_id: str, revoked_at: int) -> bool:
        """Mark a client revoked; False if missing or already revoked."""
        ...

    # conversations and their data keys
    def insert_conversation(self, row: ConversationRow, keys: Sequence[DataKeyRow]) -> None:
        """Add a conversation with its wrapped data keys."""
        ...

    def get_conversation(self, tenant_id: str, conversation_id: str) -> ConversationRow | None:
        """Return a conversation of this tenant, or None."""
        ...

    def get_conversation_with_keys(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, list[DataKeyRow]] | None:
        """Return a conversation and its wrapped data keys in one round trip, or None."""
        ...

    def update_conversation(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        metadata: bytes | None = None,
        classification: str | None = None,
    ) -> bool:
        """Replace the sealed metadata and/or the classification; False if missing."""
        ...

    def delete_conversation(self, tenant_id: str, conversation_id: str) -> int:
        """Delete a conversation, its items and its wrapped data keys (crypto-shred).

        Returns how many items went with it.
        """
        ...

    def data_keys(self, tenant_id: str, conversation_id: str) -> list[DataKeyRow]:
        """Return a conversation's wrapped data keys."""
        ...

    def insert_data_key(self, row: DataKeyRow) -> None:
        """Add a wrapped data key (a namespace created later, such as prompts)."""
        ...

    def replace_data_key(self, row: DataKeyRow, *, expected_wrapped: bytes) -> bool:
        """Swap a wrapped data key if it is still `expected_wrapped` (rewrap; compare-and-set)."""
        ...

    def count_data_keys(self, tenant_id: str) -> dict[int, int]:
        """Return how many data keys each KEK version of a tenant wraps."""
        ...

    def update_tenant_index_key(self, tenant_id: str, index_key: bytes, version: int) -> None:
        """Replace a tenant's wrapped index key (rewrap under a new KEK version)."""
        ...

    def iter_data_keys(self, tenant_id: str, below_version: int, limit: int) -> list[DataKeyRow]:
        """Return up to `limit` data keys of a tenant wrapped under versions below a version."""
        ...

    def data_keys_page(
        self, tenant_id: str, below_version: int, after: tuple[str, str] | None, limit: int
    ) -> list[DataKeyRow]:
        """Up to `limit` data keys below a version, in (conversation, namespace) order after
        `after`: a keyset walk over the primary key, so a whole pass costs one scan."""
        ...

    def replace_data_keys(self, tenant_id: str, swaps: Sequence[tuple[DataKeyRow, bytes]]) -> int:
        """`replace_data_key` for many (new row, expected wrapped); return how many swapped."""
        ...

    # items
    def open_for_append(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, int, list[DataKeyRow]] | None:
        """Lock a conversation for appending, in one round trip.

        Returns the conversation, the first free position and its wrapped data keys, or None if
        the conversation is missing. Items appended before the transaction ends take consecutive
        positions from there.
        """
        ...

    def insert_items(self, rows: Sequence[ItemRow]) -> None:
        """Add sealed items."""
        ...

    def item_position(self, tenant_id: str, conversation_id: str, item_id: str) -> int | None:
        """Return an item's position in its conversation, or None."""
        ...

    def get_item(self, tenant_id: str, conversation_id: str, item_id: str) -> ItemRow | None:
        """Return one item."""
        ...

    def list_items(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        after_position: int | None,
        limit: int,
        descending: bool,
    ) -> list[ItemRow]:
        """Return up to `limit` items after a position, by position; same cost at any depth."""
        ...

    def read_page(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        after_item: str | None,
        limit: int,
        descending: bool,
    ) -> PageRead | None:
        """A conversation, its keys and up to `limit` items after `after_item` (by position),
        in one round trip; None when the conversation does not exist."""
        ...

    def delete_item(self, tenant_id: str, conversation_id: str, item_id: str) -> bool:
        """Delete one item; False if missing."""
        ...


@runtime_checkable
class Store(Protocol):
    """A storage backend. Every backend passes `tests/store/contract.py`."""

    url: str

    def transaction(self, *, write: bool = False) -> AbstractContextManager[StoreTx]:
        """Open a transaction; commit on success, roll back on any exception."""
        ...

    def migrate(self) -> int:
        """Bring the schema to the newest version (an explicit step); return the version."""
        ...

    def schema_version(self) -> int:
        """Return the schema version the database is at (0 when empty)."""
        ...

    def audit_connection(self) -> object:
        """A dedicated connection for the audit sequencer (backend-specific type)."""
        ...

    def compact(self) -> None:
        """Fold the write-ahead log into the database and truncate it (after a shred)."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        ...

    def close(self) -> None:
        """Close connections."""
        ...
