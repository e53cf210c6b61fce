"""The transaction of the PostgreSQL store: every StoreTx method, under row-level security.

A transaction begins lazily, with its first call, and sets `chatseal.tenant` (transaction-local,
`set_config(..., true)`, the function form of SET LOCAL) from that call's tenant_id before its
statement runs; a later call for another tenant switches the setting. The policies of
migrations/postgres/0001 let each statement see that tenant's rows only.

Round trips, not the server, are most of a short transaction's time, so statements travel
together in psycopg's pipeline mode (libpq pipeline: statements sent back to back, results read
after one Sync):

- BEGIN and the tenant setting go with the transaction's first statement;
- writes whose result nobody reads (`enqueue_audit`, `insert_items`) wait in the transaction and
  go with its next statement, or with COMMIT. They run in the order they were made, before that
  statement, in the same transaction: a failure among them fails the statement or the COMMIT they
  travel with, and the whole transaction rolls back. So an append is two round trips (lock and
  read; write and commit) and an audited read's event costs no round trip of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from chatseal.errors import Conflict, StoreUnavailable
from chatseal.store.base import (
    PAGE_ITEM_COLUMNS,
    ClientRow,
    ConversationRow,
    DataKeyRow,
    ItemRow,
    PageRead,
    TenantRow,
)
from chatseal.store.postgres_minimisation import TENANT_TABLES, PostgresMinimisationTx
from chatseal.store.postgres_policy import POLICY_TABLES, PostgresPolicyTx

_ITEM_COLUMNS = "tenant_id, conversation_id, position, item_id, item_type, role, created_at, sealed"
# A listed page already knows its tenant and conversation: the rows need not carry them back.
_PAGE_COLUMNS = "position, item_id, item_type, role, created_at, sealed"
_CONV_COLUMNS = "tenant_id, conversation_id, created_at, classification, owner_tag, metadata"
_KEY_COLUMNS = "tenant_id, conversation_id, namespace, kek_version, wrapped, created_at"
_CONV_SELECT = ", ".join(f"c.{c.strip()}" for c in _CONV_COLUMNS.split(","))
_KEY_SELECT = ", ".join(f"k.{c.strip()}" for c in _KEY_COLUMNS.split(","))
_CLIENT_COLUMNS = "tenant_id, client_id, secret_hash, roles, purpose, created_at, revoked_at"
_TENANT_COLUMNS = "tenant_id, name, created_at, settings, index_key, index_key_version"
_INSERT_ITEM = (
    f"INSERT INTO chatseal.items ({_ITEM_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
# The first free position of a conversation beside each of its data keys (one row with NULL key
# columns when it has none). The last position is one backward step on the primary key: under
# row-level security the planner does not turn max(position) into that, and would read every
# item of the conversation on every append.
_NEXT_POSITION_AND_KEYS = (
    f"SELECT n.next, {_KEY_SELECT} FROM (SELECT coalesce((SELECT position FROM chatseal.items "
    "WHERE tenant_id = %s AND conversation_id = %s ORDER BY position DESC LIMIT 1), -1) + 1 "
    "AS next) AS n "
    "LEFT JOIN chatseal.data_keys AS k ON k.tenant_id = %s AND k.conversation_id = %s "
    "ORDER BY k.namespace"
)
_SET_TENANT = "SELECT set_config('chatseal.tenant', %s, true)"
_CONVERSATION_WITH_KEYS = (
    f"SELECT {_CONV_SELECT}, {_KEY_SELECT} FROM chatseal.conversations AS c "
    "LEFT JOIN chatseal.data_keys AS k "
    "ON k.tenant_id = c.tenant_id AND k.conversation_id = c.conversation_id "
    "WHERE c.tenant_id = %s AND c.conversation_id = %s ORDER BY k.namespace"
)
_POSITION_OF_ITEM = (
    "SELECT position FROM chatseal.items "
    "WHERE tenant_id = %s AND item_id = %s AND conversation_id = %s"
)
_INSERT_AUDIT = "INSERT INTO chatseal.audit_queue (data) VALUES (%s)"


@contextmanager
def mapped() -> Iterator[None]:
    """Turn driver failures into the error tree; messages name the failure class only."""
    try:
        yield
    except pg_errors.UniqueViolation:
        raise Conflict("the row already exists") from None
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        # Covers connection loss, admin shutdown, PoolTimeout, serialization/deadlock aborts.
        kind = type(exc).__name__
        raise StoreUnavailable(f"the PostgreSQL store is unavailable ({kind})") from None


class PostgresTx(PostgresMinimisationTx, PostgresPolicyTx):
    """The StoreTx of one pooled connection; sets the RLS tenant before each tenant's first use."""

    __slots__ = ("_begun", "_conn", "_queued", "_tenant", "_write")

    def __init__(self, conn: psycopg.Connection[Any], *, write: bool) -> None:
        self._conn = conn
        self._write = write
        self._begun = False
        self._tenant: str | None = None
        # Statements not sent yet, in order: the prelude, then writes nobody reads the result of.
        self._queued: list[tuple[Any, Sequence[Any]]] = []

    def _prelude(self, tenant_id: str | None) -> None:
        """Queue BEGIN (first call) and chatseal.tenant for this tenant, transaction-locally."""
        if not self._begun:
            self._queued.append((b"BEGIN" if self._write else b"BEGIN READ ONLY", ()))
            self._begun = True
        if tenant_id is not None and tenant_id != self._tenant:
            # set_config(..., true) is SET LOCAL: it ends with the transaction. Queued before the
            # statement it guards, so that statement runs under it whatever travels with it.
            self._queued.append((_SET_TENANT, (tenant_id,)))
            self._tenant = tenant_id

    def _send_queued(self) -> None:
        """Send the queued statements (inside a pipeline: no round trip of their own)."""
        queued, self._queued = self._queued, []
        for query, args in queued:
            self._conn.execute(query, args)

    def _defer(self, tenant_id: str | None, query: Any, args: Sequence[Any]) -> None:
        """Queue a write whose result nobody reads; it goes with the next statement or COMMIT."""
        self._prelude(tenant_id)
        self._queued.append((query, args))

    @contextmanager
    def _batch(self, tenant_id: str | None) -> Iterator[psycopg.Connection[Any]]:
        """Pipeline the queued statements and those of the block: one round trip."""
        with mapped():
            self._prelude(tenant_id)
            with self._conn.pipeline():
                self._send_queued()
                yield self._conn

    def _run(
        self, tenant_id: str | None, query: Any, args: Sequence[Any] = (), *, binary: bool = False
    ) -> psycopg.Cursor[Any]:
        """Run one statement after the queued ones; `binary` asks for binary results (sealed
        bytea comes as its bytes, not twice as many hex digits to encode and parse)."""
        with mapped():
            self._prelude(tenant_id)
            if not self._queued:
                return self._conn.execute(query, args, binary=binary)
            with self._conn.pipeline():
                self._send_queued()
                # Leaving the block syncs and reads every result before the cursor is returned.
                return self._conn.execute(query, args, binary=binary)

    def _run_many(self, tenant_id: str, query: Any, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement per row (pipelined by psycopg); return the rows affected in all."""
        if len(rows) == 1:
            return self._run(tenant_id, query, rows[0]).rowcount
        if not rows:
            return 0
        with self._batch(tenant_id) as conn:
            cursor = conn.cursor()
            cursor.executemany(query, rows)
        return cursor.rowcount

    def finish(self, *, commit: bool) -> None:
        """Commit (with the writes still queued) or roll back what was begun; a rollback never
        raises."""
        if not self._begun:
            return
        if not commit:
            self._queued.clear()
            # On a broken connection the pool discards it and the server rolls back by itself.
            # A BEGIN that never left the queue leaves the connection idle: nothing to do then.
            with suppress(psycopg.Error):
                self._conn.rollback()
            return
        if self._conn.info.transaction_status == TransactionStatus.INERROR:
            # COMMIT of a failed transaction silently rolls back: say so instead.
            self.finish(commit=False)
            raise Conflict("the transaction failed earlier and was rolled back")
        with mapped():
            if not self._queued:
                self._conn.commit()
                return
            try:
                with self._conn.pipeline():
                    self._send_queued()
                    self._conn.execute(b"COMMIT")
            except BaseException:
                # A queued write failed, so the server skipped the COMMIT after it: the
                # transaction is aborted. End it; the failure goes to the caller.
                with suppress(psycopg.Error):
                    self._conn.rollback()
                raise

    # tenants
    def insert_tenant(self, row: TenantRow) -> None:
        # ON CONFLICT DO NOTHING keeps the transaction usable after a duplicate, as in SQLite.
        inserted = self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.tenants ({_TENANT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING tenant_id",
            (
                row.tenant_id,
                row.name,
                row.created_at,
                row.settings,
                row.index_key,
                row.index_key_version,
            ),
        ).fetchone()
        if inserted is None:
            raise Conflict("a tenant with this name already exists", param="name")

    def get_tenant(self, name: str) -> TenantRow | None:
        row = self._run(
            None, f"SELECT {_TENANT_COLUMNS} FROM chatseal.tenant_by_name(%s)", (name,)
        ).fetchone()
        return TenantRow(*row) if row else None

    def list_tenants(self) -> list[TenantRow]:
        rows = self._run(
            None, f"SELECT {_TENANT_COLUMNS} FROM chatseal.tenant_directory() ORDER BY name"
        ).fetchall()
        return [TenantRow(*row) for row in rows]

    def update_tenant_settings(self, tenant_id: str, settings: str) -> None:
        self._run(
            tenant_id,
            "UPDATE chatseal.tenants SET settings = %s WHERE tenant_id = %s",
            (settings, tenant_id),
        )

    def delete_tenant(self, tenant_id: str) -> int:
        found = self._run(
            tenant_id,
            "SELECT count(*) FROM chatseal.conversations WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchone()
        tables = (
            *TENANT_TABLES,
            *POLICY_TABLES,
            "items",
            "data_keys",
            "conversations",
            "oauth_clients",
            "tenants",
        )
        for table in tables:
            self._run(tenant_id, f"DELETE FROM chatseal.{table} WHERE tenant_id = %s", (tenant_id,))
        return int(found[0]) if found else 0

    # the audit log
    def enqueue_audit(self, data: bytes) -> None:
        # Sent with the next statement or with COMMIT: in this transaction, no round trip of its
        # own. Fail-closed all the same, since a failed INSERT fails what it travels with.
        self._defer(None, _INSERT_AUDIT, (data,))

    def conversation_item_counts(self, tenant_id: str) -> dict[str, int]:
        rows = self._run(
            tenant_id,
            "SELECT c.conversation_id, count(i.position) FROM chatseal.conversations AS c "
            "LEFT JOIN chatseal.items AS i "
            "ON i.tenant_id = c.tenant_id AND i.conversation_id = c.conversation_id "
            "WHERE c.tenant_id = %s GROUP BY c.conversation_id",
            (tenant_id,),
        ).fetchall()
        return {str(conversation): int(count) for conversation, count in rows}

    # OAuth2 clients
    def insert_client(self, row: ClientRow) -> None:
        self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.oauth_clients ({_CLIENT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                row.tenant_id,
                row.client_id,
                row.secret_hash,
                row.roles,
                row.purpose,
                row.created_at,
                row.revoked_at,
            ),
        )

    def get_client(self, client_id: str) -> ClientRow | None:
        row = self._run(
            None, f"SELECT {_CLIENT_COLUMNS} FROM chatseal.client_by_id(%s)", (client_id,)
        ).fetchone()
        return ClientRow(*row) if row else None

    def list_clients(self, tenant_id: str) -> list[ClientRow]:
        rows = self._run(
            tenant_id,
            f"SELECT {_CLIENT_COLUMNS} FROM chatseal.oauth_clients WHERE tenant_id = %s "
            "ORDER BY created_at, client_id",
            (tenant_id,),
        ).fetchall()
        return [ClientRow(*row) for row in rows]

    def revoke_client(self, client_id: str, revoked_at: int) -> bool:
        # Only the id is known: find the client's tenant through the directory, then update
        # under that tenant's row-level security like every other write.
        client = self.get_client(client_id)
        if client is None:
            return False
        cursor = self._run(
            client.tenant_id,
            "UPDATE chatseal.oauth_clients SET revoked_at = %s "
            "WHERE tenant_id = %s AND client_id = %s AND revoked_at IS NULL",
            (revoked_at, client.tenant_id, client_id),
        )
        return cursor.rowcount == 1

    # conversations and data keys
    def insert_conversation(self, row: ConversationRow, keys: Sequence[DataKeyRow]) -> None:
        self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.conversations ({_CONV_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                row.tenant_id,
                row.conversation_id,
                row.created_at,
                row.classification,
                row.owner_tag,
                row.metadata,
            ),
        )
        for key in keys:
            self.insert_data_key(key)

    def get_conversation(self, tenant_id: str, conversation_id: str) -> ConversationRow | None:
        row = self._run(
            tenant_id,
            f"SELECT {_CONV_COLUMNS} FROM chatseal.conversations "
            "WHERE tenant_id = %s AND conversation_id = %s",
            (tenant_id, conversation_id),
        ).fetchone()
        return ConversationRow(*row) if row else None

    def get_conversation_with_keys(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, list[DataKeyRow]] | None:
        rows = self._run(
            tenant_id, _CONVERSATION_WITH_KEYS, (tenant_id, conversation_id), binary=True
        ).fetchall()
        if not rows:
            return None
        width = len(ConversationRow._fields)
        keys = [DataKeyRow(*row[width:]) for row in rows if row[width] is not None]
        return ConversationRow(*rows[0][:width]), keys

    def update_conversation(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        metadata: bytes | None = None,
        classification: str | None = None,
    ) -> bool:
        cursor = self._run(
            tenant_id,
            "UPDATE chatseal.conversations SET metadata = coalesce(%s, metadata), "
            "classification = coalesce(%s, classification) "
            "WHERE tenant_id = %s AND conversation_id = %s",
            (metadata, classification, tenant_id, conversation_id),
        )
        return cursor.rowcount == 1

    def delete_conversation(self, tenant_id: str, conversation_id: str) -> int:
        where = "WHERE tenant_id = %s AND conversation_id = %s"
        args = (tenant_id, conversation_id)
        removed = self._run(tenant_id, f"DELETE FROM chatseal.items {where}", args).rowcount
        # Pseudonym originals go with their conversation (schema v3).
        self._run(tenant_id, f"DELETE FROM chatseal.pseudonym_vault {where}", args)
        self._run(tenant_id, f"DELETE FROM chatseal.data_keys {where}", args)
        self._run(tenant_id, f"DELETE FROM chatseal.conversations {where}", args)
        return int(removed)

    def data_keys(self, tenant_id: str, conversation_id: str) -> list[DataKeyRow]:
        rows = self._run(
            tenant_id,
            f"SELECT {_KEY_COLUMNS} FROM chatseal.data_keys "
            "WHERE tenant_id = %s AND conversation_id = %s ORDER BY namespace",
            (tenant_id, conversation_id),
        ).fetchall()
        return [DataKeyRow(*row) for row in rows]

    def insert_data_key(self, row: DataKeyRow) -> None:
        self._run(
            row.tenant_id,
            f"INSERT INTO chatseal.data_keys ({_KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                row.tenant_id,
                row.conversation_id,
                row.namespace,
                row.kek_version,
                row.wrapped,
                row.created_at,
            ),
        )

    def replace_data_key(self, row: DataKeyRow, *, expected_wrapped: bytes) -> bool:
        # The row lock of UPDATE makes this a compare-and-set: a concurrent swap re-checks
        # `wrapped` against the committed value (READ COMMITTED re-evaluation) and misses.
        cursor = self._run(
            row.tenant_id,
            "UPDATE chatseal.data_keys SET kek_version = %s, wrapped = %s WHERE tenant_id = %s "
            "AND conversation_id = %s AND namespace = %s AND wrapped = %s",
            (
                row.kek_version,
                row.wrapped,
                row.tenant_id,
                row.conversation_id,
                row.namespace,
                expected_wrapped,
            ),
        )
        return cursor.rowcount == 1

    def count_data_keys(self, tenant_id: str) -> dict[int, int]:
        rows = self._run(
            tenant_id,
            "SELECT kek_version, count(*) FROM chatseal.data_keys WHERE tenant_id = %s "
            "GROUP BY kek_version",
            (tenant_id,),
        ).fetchall()
        return {int(version): int(count) for version, count in rows}

    def update_tenant_index_key(self, tenant_id: str, index_key: bytes, version: int) -> None:
        self._run(
            tenant_id,
            "UPDATE chatseal.tenants SET index_key = %s, index_key_version = %s "
            "WHERE tenant_id = %s",
            (index_key, version, tenant_id),
        )

    def data_keys_page(
        self, tenant_id: str, below_version: int, after: tuple[str, str] | None, limit: int
    ) -> list[DataKeyRow]:
        # A row comparison on the primary key's tail: a keyset walk, one index range per page.
        start = after or ("", "")
        rows = self._run(
            tenant_id,
            f"SELECT {_KEY_COLUMNS} FROM chatseal.data_keys WHERE tenant_id = %s "
            "AND (conversation_id, namespace) > (%s, %s) AND kek_version < %s "
            "ORDER BY conversation_id, namespace LIMIT %s",
            (tenant_id, start[0], start[1], below_version, limit),
        ).fetchall()
        return [DataKeyRow(*row) for row in rows]

    def replace_data_keys(self, tenant_id: str, swaps: Sequence[tuple[DataKeyRow, bytes]]) -> int:
        # One compare-and-set UPDATE per swap, in order (as SQLite), pipelined in one round trip.
        return self._run_many(
            tenant_id,
            "UPDATE chatseal.data_keys SET kek_version = %s, wrapped = %s WHERE tenant_id = %s "
            "AND conversation_id = %s AND namespace = %s AND wrapped = %s",
            [
                (r.kek_version, r.wrapped, tenant_id, r.conversation_id, r.namespace, expected)
                for r, expected in swaps
                if r.tenant_id == tenant_id
            ],
        )

    def iter_data_keys(self, tenant_id: str, below_version: int, limit: int) -> list[DataKeyRow]:
        rows = self._run(
            tenant_id,
            f"SELECT {_KEY_COLUMNS} FROM chatseal.data_keys WHERE tenant_id = %s "
            "AND kek_version < %s ORDER BY kek_version, conversation_id, namespace LIMIT %s",
            (tenant_id, below_version, limit),
        ).fetchall()
        return [DataKeyRow(*row) for row in rows]

    # items
    def open_for_append(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, int, list[DataKeyRow]] | None:
        # FOR UPDATE holds the conversation's row lock until commit, so appenders to one
        # conversation queue here. The next position and the keys come from a second statement:
        # under READ COMMITTED each statement takes its snapshot when it starts, so only one that
        # starts after the lock is granted sees the previous holder's committed items. The two
        # travel in one pipeline: one round trip.
        args = (tenant_id, conversation_id)
        with self._batch(tenant_id) as conn:
            locked = conn.execute(
                f"SELECT {_CONV_COLUMNS} FROM chatseal.conversations "
                "WHERE tenant_id = %s AND conversation_id = %s FOR UPDATE",
                args,
                binary=True,
            )
            tail = conn.execute(_NEXT_POSITION_AND_KEYS, args * 2, binary=True)
        row, rest = locked.fetchone(), tail.fetchall()
        if row is None or not rest:
            return None
        keys = [DataKeyRow(*k[1:]) for k in rest if k[1] is not None]
        return ConversationRow(*row), int(rest[0][0]), keys

    def insert_items(self, rows: Sequence[ItemRow]) -> None:
        # Queued (see the module docstring): a duplicate surfaces as Conflict from the next
        # statement or the COMMIT, and the transaction rolls back as it would have here.
        for r in rows:
            # _defer switches chatseal.tenant whenever a row's tenant differs from the last.
            self._defer(
                r.tenant_id,
                _INSERT_ITEM,
                (
                    r.tenant_id,
                    r.conversation_id,
                    r.position,
                    r.item_id,
                    r.item_type,
                    r.role,
                    r.created_at,
                    r.sealed,
                ),
            )

    def item_position(self, tenant_id: str, conversation_id: str, item_id: str) -> int | None:
        row = self._run(
            tenant_id, _POSITION_OF_ITEM, (tenant_id, item_id, conversation_id)
        ).fetchone()
        return int(row[0]) if row else None

    def get_item(self, tenant_id: str, conversation_id: str, item_id: str) -> ItemRow | None:
        row = self._run(
            tenant_id,
            f"SELECT {_ITEM_COLUMNS} FROM chatseal.items "
            "WHERE tenant_id = %s AND item_id = %s AND conversation_id = %s",
            (tenant_id, item_id, conversation_id),
            binary=True,
        ).fetchone()
        return ItemRow(*row) if row else None

    def list_items(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        after_position: int | None,
        limit: int,
        descending: bool,
    ) -> list[ItemRow]:
        # A range scan on the primary key (tenant_id, conversation_id, position): the same cost
        # at any depth, unlike OFFSET.
        op, order = ("<", "DESC") if descending else (">", "ASC")
        bound = after_position if after_position is not None else (2**62 if descending else -1)
        rows = self._run(
            tenant_id,
            f"SELECT {_PAGE_COLUMNS} FROM chatseal.items WHERE tenant_id = %s "
            f"AND conversation_id = %s AND position {op} %s ORDER BY position {order} LIMIT %s",
            (tenant_id, conversation_id, bound, limit),
            binary=True,
        ).fetchall()
        make, where = ItemRow._make, (tenant_id, conversation_id)
        return [make(where + tuple(row)) for row in rows]

    def read_page(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        after_item: str | None,
        limit: int,
        descending: bool,
    ) -> PageRead | None:
        # The conversation with its keys, the `after` item's position and the page travel in one
        # pipeline: one round trip. The page bounds itself by the `after` item in a subquery, so
        # it needs no answer from the statement before it.
        op, order = ("<", "DESC") if descending else (">", "ASC")
        args = (tenant_id, conversation_id)
        with self._batch(tenant_id) as conn:
            head = conn.execute(_CONVERSATION_WITH_KEYS, args, binary=True)
            if after_item is None:
                bound: tuple[Any, ...] = (2**62 if descending else -1,)
                bound_sql = "%s"
                after = None
            else:
                bound = (tenant_id, after_item, conversation_id)
                bound_sql = f"({_POSITION_OF_ITEM})"
                after = conn.execute(_POSITION_OF_ITEM, bound)
            page = conn.execute(
                f"SELECT {PAGE_ITEM_COLUMNS} FROM chatseal.items WHERE tenant_id = %s "
                f"AND conversation_id = %s AND position {op} {bound_sql} "
                f"ORDER BY position {order} LIMIT %s",
                (*args, *bound, limit),
                binary=True,
            )
        rows = head.fetchall()
        if not rows:
            return None
        width = len(ConversationRow._fields)
        keys = [DataKeyRow(*row[width:]) for row in rows if row[width] is not None]
        conversation = ConversationRow(*rows[0][:width])
        if after is not None and after.fetchone() is None:
            return PageRead(conversation, keys, [], after_found=False)
        return PageRead(conversation, keys, page.fetchall(), after_found=True)

    def delete_item(self, tenant_id: str, conversation_id: str, item_id: str) -> bool:
        cursor = self._run(
            tenant_id,
            "DELETE FROM chatseal.items "
            "WHERE tenant_id = %s AND item_id = %s AND conversation_id = %s",
            (tenant_id, item_id, conversation_id),
        )
        return cursor.rowcount == 1
