"""Choose the audit log's `TreeStorage` and `AuditQueue` for a store, by the store's kind.

The log lives in the store's own database (its queue is written in the store's transactions):
SQLite stores get `sqlite_storage`, PostgreSQL stores `postgres_storage`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from chatseal.audit.sqlite_storage import SqliteQueue, SqliteTreeStorage
from chatseal.audit.storage import AuditQueue, TreeStorage
from chatseal.errors import ConfigError
from chatseal.store import Store


def open_audit_storage(store: Store) -> tuple[TreeStorage, AuditQueue]:
    """Return the tree storage and queue on `store.audit_connection()`."""
    connection: Any = store.audit_connection()
    if isinstance(connection, sqlite3.Connection):
        lock = getattr(store, "writer_lock", None)
        return SqliteTreeStorage(connection, writer_lock=lock), SqliteQueue(connection)
    if type(connection).__module__.startswith("psycopg"):
        from chatseal.audit.postgres_storage import PostgresQueue, PostgresTreeStorage

        first = [connection]

        def connect() -> Any:
            # The first connection is the one just opened; later ones replace a broken one.
            return first.pop() if first else store.audit_connection()

        storage = PostgresTreeStorage(connect)
        return storage, PostgresQueue(storage)
    raise ConfigError("the audit log needs a SQLite or PostgreSQL store")


def close_audit_storage(storage: TreeStorage) -> None:
    """Release a storage's own connection, if it holds one it may re-open (PostgreSQL)."""
    close = getattr(storage, "close", None)
    if callable(close):
        close()
