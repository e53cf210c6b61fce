"""Moving a tenant to another region: copy its sealed rows, re-wrap its keys, shred the source.

The records need no re-encryption: a conversation's data keys stay the same, only their wrapping
changes (unwrapped with the source region's key backend, wrapped under a new KEK in the target's,
with the same associated data, so a key still opens only for its own tenant, conversation and
namespace). Steps, each safe to stop after:

1. mark the source row `moving_to` (the router refuses the tenant meanwhile);
2. create the tenant's KEK in the target backend, re-wrap the index key and every data key;
3. insert every row of every tenant table into the target store in one transaction, with the
   target log's events (`key.generate`; `data.restore`, action `tenant.move`, one for the tenant
   and one per conversation with its item count, which `reconcile` reads);
4. destroy the source KEK (from here the source copy is unreadable: crypto-shred), then delete
   the source rows in one transaction with the source log's events (`key.destroy`,
   `data.export` action `tenant.move`).

A failure before step 4 destroys the target KEK, removes the target rows and unmarks the source.
Rows are copied generically (every table with a `tenant_id` column), so tables added by later
schema versions move too; both stores must be at the same schema version (`ChatSeal.open` and
`open_region` insist on the newest).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chatseal.errors import Conflict, IntegrityError, NotFound
from chatseal.keys import WrappedKey
from chatseal.service.chatseal import ChatSeal
from chatseal.service.sealing import data_key_context, index_key_context
from chatseal.service.tenants import OPERATOR
from chatseal.store import Store

Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]
# Parents first for inserts; deletes go the other way.
_IDENT = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_FIRST = ("tenants", "conversations", "data_keys", "items")


def _order(tables: Sequence[str]) -> list[str]:
    for name in tables:
        # Table and column names come from the schema catalogue, never from a request; still,
        # only plain identifiers are ever written into SQL text.
        if not _IDENT.fullmatch(name):
            raise IntegrityError("unexpected table name in the store schema")
    head = [t for t in _FIRST if t in tables]
    return head + sorted(t for t in tables if t not in _FIRST)


class _Raw:
    """Whole-row access to one tenant's rows on a store's own connection, one transaction."""

    def __init__(self, store: Store) -> None:
        conn: Any = store.audit_connection()
        self.sqlite = isinstance(conn, sqlite3.Connection)
        if not self.sqlite:
            conn.autocommit = True  # BEGIN is sent by `transaction`
        self.conn: Any = conn
        self.mark = "?" if self.sqlite else "%s"
        self.prefix = "" if self.sqlite else "chatseal."

    def tables(self) -> list[str]:
        if self.sqlite:
            names = [
                r[0]
                for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            found = [
                n
                for n in names
                if any(c[1] == "tenant_id" for c in self.conn.execute(f'PRAGMA table_info("{n}")'))
            ]
        else:
            found = [
                r[0]
                for r in self.conn.execute(
                    "SELECT table_name FROM information_schema.columns WHERE table_schema = "
                    "'chatseal' AND column_name = 'tenant_id'"
                ).fetchall()
            ]
        return _order(found)

    @contextmanager
    def transaction(self, tenant_id: str) -> Iterator[None]:
        """One transaction; on PostgreSQL with the row-level security tenant set."""
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT set_config('chatseal.tenant', %s, true)", (tenant_id,))
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def read(self, tenant_id: str) -> Rows:
        out: Rows = {}
        for table in self.tables():
            cur = self.conn.execute(
                f"SELECT * FROM {self.prefix}{table} WHERE tenant_id = {self.mark}",  # noqa: S608
                (tenant_id,),
            )
            columns = [d[0] for d in cur.description]
            _order(columns)  # the same identifier check for the column names
            out[table] = (columns, [tuple(_plain(v) for v in row) for row in cur.fetchall()])
        return out

    def insert(self, rows: Rows, events: Sequence[bytes]) -> None:
        for table in _order(list(rows)):
            columns, values = rows[table]
            if not values:
                continue
            names = ", ".join(columns)
            marks = ", ".join([self.mark] * len(columns))
            sql = f"INSERT INTO {self.prefix}{table} ({names}) VALUES ({marks})"  # noqa: S608
            if self.sqlite:
                self.conn.executemany(sql, values)
            else:
                with self.conn.cursor() as cur:
                    cur.executemany(sql, values)
        self.enqueue(events)

    def delete(self, tenant_id: str, events: Sequence[bytes]) -> None:
        for table in reversed(self.tables()):
            self.conn.execute(
                f"DELETE FROM {self.prefix}{table} WHERE tenant_id = {self.mark}",  # noqa: S608
                (tenant_id,),
            )
        self.enqueue(events)

    def enqueue(self, events: Sequence[bytes]) -> None:
        sql = f"INSERT INTO {self.prefix}audit_queue (data) VALUES ({self.mark})"  # noqa: S608
        for data in events:
            self.conn.execute(sql, (data,))

    def close(self) -> None:
        self.conn.close()


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _rewrap(source: ChatSeal, target: ChatSeal, tenant_id: str, rows: Rows) -> int:
    """Re-wrap the index key and every data key in `rows` in place; return how many."""

    def swap(
        columns: list[str],
        values: list[tuple[Any, ...]],
        blob: str,
        version: str,
        context: Callable[[dict[str, Any]], bytes],
    ) -> int:
        b, v = columns.index(blob), columns.index(version)
        for i, row in enumerate(values):
            named = dict(zip(columns, row, strict=True))
            ad = context(named)
            raw = source.keys.unwrap(tenant_id, WrappedKey(int(row[v]), bytes(row[b])), ad)
            new = target.keys.wrap(tenant_id, raw, ad)
            updated = list(row)
            updated[b], updated[v] = new.blob, new.kek_version
            values[i] = tuple(updated)
        return len(values)

    count = swap(
        *rows["tenants"], "index_key", "index_key_version", lambda r: index_key_context(tenant_id)
    )
    count += swap(
        *rows["data_keys"],
        "wrapped",
        "kek_version",
        lambda r: data_key_context(tenant_id, r["conversation_id"], r["namespace"]),
    )
    return count


def _events(
    seal: ChatSeal, name: str, items: Sequence[tuple[str, str, dict[str, Any]]]
) -> list[bytes]:
    """Operator events (kind, action, resource) for the region's log; none if it has no log."""
    audit = seal.audit
    if audit is None:
        return []
    actor = audit.actor(dataclasses.replace(OPERATOR, tenant=name, credential_kind="local"))
    return [
        audit.event(
            kind,
            actor,
            action,
            True,
            "operator",
            seal.policy_version,
            "operator",
            {"tenant": name, **resource},
        )
        for kind, action, resource in items
    ]


def _set_settings(seal: ChatSeal, tenant_id: str, settings: dict[str, Any]) -> None:
    with seal.write() as tx:
        tx.update_tenant_settings(tenant_id, json.dumps(settings, sort_keys=True))


def move_tenant(
    source: ChatSeal,
    target: ChatSeal,
    name: str,
    source_region: str,
    target_region: str,
    reason: str = "operator",
) -> dict[str, Any]:
    """Move tenant `name` from `source` to `target` (module docstring); return a summary."""
    with source.read() as tx:
        row = tx.get_tenant(name)
    if row is None:
        raise NotFound(f"tenant '{name}' not found", param="tenant")
    with target.read() as tx:
        if tx.get_tenant(name) is not None:
            raise Conflict("the target region already has a tenant of this name", param="name")
    tenant_id = row.tenant_id
    settings = json.loads(row.settings)
    _set_settings(source, tenant_id, {**settings, "moving_to": target_region})
    source.forget_tenant(name)
    src, dst = _Raw(source.store), _Raw(target.store)
    try:
        with src.transaction(tenant_id):
            rows = src.read(tenant_id)
        tenants = rows["tenants"]
        moved_settings = {**settings, "region": target_region}
        moved_settings.pop("moving_to", None)
        s = tenants[0].index("settings")
        tenants[1][0] = (
            *tenants[1][0][:s],
            json.dumps(moved_settings, sort_keys=True),
            *tenants[1][0][s + 1 :],
        )
        conversations = _item_counts(rows)
        info = target.keys.create_tenant_key(tenant_id)
        try:
            rewrapped = _rewrap(source, target, tenant_id, rows)
            events = _events(
                target,
                name,
                [
                    (
                        "key.generate",
                        "key.generate",
                        {"key": "tenant", "key_version": info.primary_version},
                    ),
                    (
                        "data.restore",
                        "tenant.move",
                        {
                            "kind": "tenant",
                            "config": f"from:{source_region}",
                            "item_count": len(conversations),
                            "subject": reason_hash(target, reason),
                        },
                    ),
                    *[
                        (
                            "data.restore",
                            "tenant.move",
                            {"kind": "conversation", "conversation": cid, "item_count": n},
                        )
                        for cid, n in conversations.items()
                    ],
                ],
            )
            with dst.transaction(tenant_id):
                dst.insert(rows, events)
        except BaseException:
            target.keys.destroy(tenant_id)
            raise
    except BaseException:
        _set_settings(source, tenant_id, settings)
        src.close()
        dst.close()
        raise
    # Past this point the target holds the tenant: shred the source copy, key first.
    try:
        source.keys.destroy(tenant_id)
        events = _events(
            source,
            name,
            [
                ("key.destroy", "key.destroy", {"key": "tenant"}),
                (
                    "data.export",
                    "tenant.move",
                    {
                        "kind": "tenant",
                        "config": f"to:{target_region}",
                        "item_count": len(conversations),
                        "subject": reason_hash(source, reason),
                    },
                ),
            ],
        )
        with src.transaction(tenant_id):
            src.delete(tenant_id, events)
    finally:
        src.close()
        dst.close()
    source.forget_tenant(name)
    source.store.compact()
    return {
        "name": name,
        "from": source_region,
        "to": target_region,
        "conversations": len(conversations),
        "items": sum(conversations.values()),
        "keys_rewrapped": rewrapped,
    }


def reason_hash(seal: ChatSeal, reason: str) -> str:
    """The operator's reason enters the log as a salted hash only (it is free text)."""
    return seal.audit.hasher.hash(reason) if seal.audit is not None else "-"


def _item_counts(rows: Rows) -> dict[str, int]:
    """Conversation id -> number of items, from the copied rows."""
    columns, conversations = rows["conversations"]
    counts = {row[columns.index("conversation_id")]: 0 for row in conversations}
    item_columns, items = rows["items"]
    at = item_columns.index("conversation_id")
    for item in items:
        counts[item[at]] = counts.get(item[at], 0) + 1
    return counts
