"""The SQLite store: WAL, `secure_delete`, versioned migrations, one connection per thread.

`synchronous=NORMAL` in WAL mode survives a killed process without losing a committed
transaction; add `?synchronous=full` to the URL to survive power loss as well.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chatseal.errors import ConfigError, Conflict, IntegrityError, StoreUnavailable
from chatseal.store.base import (
    PAGE_ITEM_COLUMNS,
    ClientRow,
    ConversationRow,
    DataKeyRow,
    ItemRow,
    PageRead,
    TenantRow,
)
from chatseal.store.schema import migrations
from chatseal.store.sqlite_checkpoint import Checkpointer
from chatseal.store.sqlite_minimisation import TENANT_TABLES, SqliteMinimisationTx
from chatseal.store.sqlite_policy import POLICY_TABLES, SqlitePolicyTx

_SYNCHRONOUS = {"off": "OFF", "normal": "NORMAL", "full": "FULL", "extra": "EXTRA"}
_ITEM_COLUMNS = "tenant_id, conversation_id, position, item_id, item_type, role, created_at, sealed"
# A listed page already knows its tenant and conversation: the rows need not carry them back.
_PAGE_COLUMNS = "position, item_id, item_type, role, created_at, sealed"
_CONV_COLUMNS = "tenant_id, conversation_id, created_at, classification, owner_tag, metadata"
_CONV_SELECT = ", ".join(f"c.{c.strip()}" for c in _CONV_COLUMNS.split(","))
_KEY_COLUMNS = "tenant_id, conversation_id, namespace, kek_version, wrapped, created_at"
_CLIENT_COLUMNS = "tenant_id, client_id, secret_hash, roles, purpose, created_at, revoked_at"
_KEY_SELECT = ", ".join(f"k.{c.strip()}" for c in _KEY_COLUMNS.split(","))
_TENANT_COLUMNS = "tenant_id, name, created_at, settings, index_key, index_key_version"


SCHEMA_VERSION = max(version for version, _ in migrations("sqlite"))


def parse_sqlite_url(url: str) -> tuple[Path, str]:
    """Return the path and the synchronous mode of a `sqlite:///path?synchronous=…` URL."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or not parts.path:
        raise ConfigError("a SQLite store URL looks like sqlite:///path/to/chatseal.db")
    mode = parse_qs(parts.query).get("synchronous", ["normal"])[0].lower()
    if mode not in _SYNCHRONOUS:
        raise ConfigError("synchronous must be one of off, normal, full, extra")
    # sqlite:////abs/path and sqlite:///rel/path both arrive with one leading slash kept.
    return Path(parts.path if parts.netloc == "" else "/" + parts.netloc + parts.path), mode


class SqliteTx(SqliteMinimisationTx, SqlitePolicyTx):
    """The StoreTx of one SQLite connection."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    # tenants
    def insert_tenant(self, row: TenantRow) -> None:
        try:
            self._db.execute(
                f"INSERT INTO tenants ({_TENANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row.tenant_id,
                    row.name,
                    row.created_at,
                    row.settings,
                    row.index_key,
                    row.index_key_version,
                ),
            )
        except sqlite3.IntegrityError:
            raise Conflict("a tenant with this name already exists", param="name") from None

    def get_tenant(self, name: str) -> TenantRow | None:
        row = self._db.execute(
            f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE name = ?",
            (name,),
        ).fetchone()
        return TenantRow(*row) if row else None

    def list_tenants(self) -> list[TenantRow]:
        rows = self._db.execute(f"SELECT {_TENANT_COLUMNS} FROM tenants ORDER BY name")
        return [TenantRow(*row) for row in rows]

    def update_tenant_settings(self, tenant_id: str, settings: str) -> None:
        self._db.execute(
            "UPDATE tenants SET settings = ? WHERE tenant_id = ?", (settings, tenant_id)
        )

    def delete_tenant(self, tenant_id: str) -> int:
        count = self._db.execute(
            "SELECT count(*) FROM conversations WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()[0]
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
            self._db.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,))
        return int(count)

    # the audit log
    def enqueue_audit(self, data: bytes) -> None:
        self._db.execute("INSERT INTO audit_queue (data) VALUES (?)", (data,))

    def conversation_item_counts(self, tenant_id: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT c.conversation_id, (SELECT count(*) FROM items AS i WHERE "
            "i.tenant_id = c.tenant_id AND i.conversation_id = c.conversation_id) "
            "FROM conversations AS c WHERE c.tenant_id = ?",
            (tenant_id,),
        )
        return {str(conversation): int(count) for conversation, count in rows}

    # OAuth2 clients
    def insert_client(self, row: ClientRow) -> None:
        self._db.execute(
            f"INSERT INTO oauth_clients ({_CLIENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        row = self._db.execute(
            f"SELECT {_CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = ?",
            (client_id,),
        ).fetchone()
        return ClientRow(*row) if row else None

    def list_clients(self, tenant_id: str) -> list[ClientRow]:
        rows = self._db.execute(
            f"SELECT {_CLIENT_COLUMNS} FROM oauth_clients WHERE tenant_id = ? ORDER BY created_at",
            (tenant_id,),
        )
        return [ClientRow(*row) for row in rows]

    def revoke_client(self, client_id: str, revoked_at: int) -> bool:
        cursor = self._db.execute(
            "UPDATE oauth_clients SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
            (revoked_at, client_id),
        )
        return cursor.rowcount == 1

    # conversations and data keys
    def insert_conversation(self, row: ConversationRow, keys: Sequence[DataKeyRow]) -> None:
        self._db.execute(
            f"INSERT INTO conversations ({_CONV_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
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

    def get_conversation_with_keys(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, list[DataKeyRow]] | None:
        rows = self._db.execute(
            f"SELECT {_CONV_SELECT}, {_KEY_SELECT} FROM conversations AS c "
            "LEFT JOIN data_keys AS k "
            "ON k.tenant_id = c.tenant_id AND k.conversation_id = c.conversation_id "
            "WHERE c.tenant_id = ? AND c.conversation_id = ?",
            (tenant_id, conversation_id),
        ).fetchall()
        if not rows:
            return None
        keys = [DataKeyRow(*row[6:]) for row in rows if row[6] is not None]
        return ConversationRow(*rows[0][:6]), keys

    def get_conversation(self, tenant_id: str, conversation_id: str) -> ConversationRow | None:
        row = self._db.execute(
            f"SELECT {_CONV_COLUMNS} FROM conversations "
            "WHERE tenant_id = ? AND conversation_id = ?",
            (tenant_id, conversation_id),
        ).fetchone()
        return ConversationRow(*row) if row else None

    def update_conversation(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        metadata: bytes | None = None,
        classification: str | None = None,
    ) -> bool:
        cursor = self._db.execute(
            "UPDATE conversations SET metadata = coalesce(?, metadata), "
            "classification = coalesce(?, classification) "
            "WHERE tenant_id = ? AND conversation_id = ?",
            (metadata, classification, tenant_id, conversation_id),
        )
        return cursor.rowcount == 1

    def delete_conversation(self, tenant_id: str, conversation_id: str) -> int:
        where = "WHERE tenant_id = ? AND conversation_id = ?"
        args = (tenant_id, conversation_id)
        removed = self._db.execute(f"DELETE FROM items {where}", args).rowcount
        # Pseudonym originals go with their conversation (schema v3).
        self._db.execute(f"DELETE FROM pseudonym_vault {where}", args)
        self._db.execute(f"DELETE FROM data_keys {where}", args)
        self._db.execute(f"DELETE FROM conversations {where}", args)
        return int(removed)

    def data_keys(self, tenant_id: str, conversation_id: str) -> list[DataKeyRow]:
        rows = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM data_keys "
            "WHERE tenant_id = ? AND conversation_id = ? ORDER BY namespace",
            (tenant_id, conversation_id),
        )
        return [DataKeyRow(*row) for row in rows]

    def insert_data_key(self, row: DataKeyRow) -> None:
        self._db.execute(
            f"INSERT INTO data_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
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
        cursor = self._db.execute(
            "UPDATE data_keys SET kek_version = ?, wrapped = ? WHERE tenant_id = ? "
            "AND conversation_id = ? AND namespace = ? AND wrapped = ?",
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
        rows = self._db.execute(
            "SELECT kek_version, count(*) FROM data_keys WHERE tenant_id = ? GROUP BY kek_version",
            (tenant_id,),
        )
        return {int(version): int(count) for version, count in rows}

    def update_tenant_index_key(self, tenant_id: str, index_key: bytes, version: int) -> None:
        self._db.execute(
            "UPDATE tenants SET index_key = ?, index_key_version = ? WHERE tenant_id = ?",
            (index_key, version, tenant_id),
        )

    def iter_data_keys(self, tenant_id: str, below_version: int, limit: int) -> list[DataKeyRow]:
        rows = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM data_keys WHERE tenant_id = ? AND kek_version < ? "
            "ORDER BY kek_version, conversation_id, namespace LIMIT ?",
            (tenant_id, below_version, limit),
        )
        return [DataKeyRow(*row) for row in rows]

    def data_keys_page(
        self, tenant_id: str, below_version: int, after: tuple[str, str] | None, limit: int
    ) -> list[DataKeyRow]:
        # Row values compare lexicographically (https://sqlite.org/rowvalue.html), so the walk
        # is a range scan of the (tenant_id, conversation_id, namespace) key.
        start = after or ("", "")
        rows = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM data_keys "
            "WHERE tenant_id = ? AND (conversation_id, namespace) > (?, ?) AND kek_version < ? "
            "ORDER BY conversation_id, namespace LIMIT ?",
            (tenant_id, start[0], start[1], below_version, limit),
        )
        return [DataKeyRow(*row) for row in rows]

    def replace_data_keys(self, tenant_id: str, swaps: Sequence[tuple[DataKeyRow, bytes]]) -> int:
        before = self._db.total_changes
        self._db.executemany(
            "UPDATE data_keys SET kek_version = ?, wrapped = ? WHERE tenant_id = ? "
            "AND conversation_id = ? AND namespace = ? AND wrapped = ?",
            [
                (r.kek_version, r.wrapped, tenant_id, r.conversation_id, r.namespace, expected)
                for r, expected in swaps
                if r.tenant_id == tenant_id
            ],
        )
        return self._db.total_changes - before

    # items
    def open_for_append(
        self, tenant_id: str, conversation_id: str
    ) -> tuple[ConversationRow, int, list[DataKeyRow]] | None:
        # BEGIN IMMEDIATE already holds the write lock, so the next position is the end of the
        # (tenant_id, conversation_id, position) key: no counter row to rewrite on every append.
        rows = self._db.execute(
            f"SELECT {_CONV_SELECT}, (SELECT coalesce(max(position), -1) + 1 FROM items "
            "WHERE tenant_id = c.tenant_id AND conversation_id = c.conversation_id), "
            f"{_KEY_SELECT} FROM conversations AS c LEFT JOIN data_keys AS k "
            "ON k.tenant_id = c.tenant_id AND k.conversation_id = c.conversation_id "
            "WHERE c.tenant_id = ? AND c.conversation_id = ?",
            (tenant_id, conversation_id),
        ).fetchall()
        if not rows:
            return None
        keys = [DataKeyRow(*row[7:]) for row in rows if row[7] is not None]
        return ConversationRow(*rows[0][:6]), int(rows[0][6]), keys

    def insert_items(self, rows: Sequence[ItemRow]) -> None:
        sql = f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        for r in rows:
            self._db.execute(
                sql,
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
        row = self._db.execute(
            "SELECT position FROM items "
            "WHERE tenant_id = ? AND item_id = ? AND conversation_id = ?",
            (tenant_id, item_id, conversation_id),
        ).fetchone()
        return int(row[0]) if row else None

    def get_item(self, tenant_id: str, conversation_id: str, item_id: str) -> ItemRow | None:
        row = self._db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items "
            "WHERE tenant_id = ? AND item_id = ? AND conversation_id = ?",
            (tenant_id, item_id, conversation_id),
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
        make, where = ItemRow._make, (tenant_id, conversation_id)
        rows = self._page(
            _PAGE_COLUMNS, tenant_id, conversation_id, after_position, limit, descending
        )
        return [make(where + tuple(row)) for row in rows]

    def _page(
        self,
        columns: str,
        tenant_id: str,
        conversation_id: str,
        after_position: int | None,
        limit: int,
        descending: bool,
    ) -> list[Any]:
        # A range scan on the (tenant_id, conversation_id, position) key: the same cost at any
        # depth, unlike OFFSET.
        op, order = ("<", "DESC") if descending else (">", "ASC")
        bound = after_position if after_position is not None else (2**62 if descending else -1)
        return self._db.execute(
            f"SELECT {columns} FROM items WHERE tenant_id = ? AND conversation_id = ? "
            f"AND position {op} ? ORDER BY position {order} LIMIT ?",
            (tenant_id, conversation_id, bound, limit),
        ).fetchall()

    def read_page(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        after_item: str | None,
        limit: int,
        descending: bool,
    ) -> PageRead | None:
        found = self.get_conversation_with_keys(tenant_id, conversation_id)
        if found is None:
            return None
        after_position = None
        if after_item is not None:
            after_position = self.item_position(tenant_id, conversation_id, after_item)
            if after_position is None:
                return PageRead(found[0], found[1], [], after_found=False)
        items = self._page(
            PAGE_ITEM_COLUMNS, tenant_id, conversation_id, after_position, limit, descending
        )
        return PageRead(found[0], found[1], items, after_found=True)

    def delete_item(self, tenant_id: str, conversation_id: str, item_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM items WHERE tenant_id = ? AND item_id = ? AND conversation_id = ?",
            (tenant_id, item_id, conversation_id),
        )
        return cursor.rowcount == 1


class SqliteTransaction:
    """One transaction: commit on success, roll back on any exception (a class, not a generator:
    this is on every request's path)."""

    __slots__ = ("_db", "_store", "_write")

    def __init__(self, db: sqlite3.Connection, write: bool, store: SqliteStore) -> None:
        self._db = db
        self._write = write
        self._store = store

    def __enter__(self) -> SqliteTx:
        if self._write:
            # Writers of this process queue on a lock, not on SQLite's busy handler, which sleeps
            # a millisecond or more between tries; other processes still meet BEGIN IMMEDIATE.
            self._store.writer_lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE" if self._write else "BEGIN")
        except sqlite3.OperationalError as exc:
            if self._write:
                self._store.writer_lock.release()
            raise StoreUnavailable(f"the SQLite store is busy or unavailable: {exc}") from None
        return SqliteTx(self._db)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._write:
            self._finish(kind, exc)
            return
        try:
            self._finish(kind, exc)
        finally:
            self._store.writer_lock.release()
        if kind is None:
            self._store.checkpointer.committed(self._db)

    def _finish(self, kind: type[BaseException] | None, exc: BaseException | None) -> None:
        db = self._db
        if kind is None:
            try:
                db.execute("COMMIT")
            except sqlite3.Error as error:
                db.execute("ROLLBACK")
                raise StoreUnavailable(
                    f"the SQLite store could not commit: {error.__class__.__name__}"
                ) from None
            return
        db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            if "decode" in str(exc):
                # Text a database writer replaced with invalid UTF-8: tampering, said opaquely.
                raise IntegrityError from None
            raise StoreUnavailable(f"the SQLite store failed: {kind.__name__}") from None


class SqliteStore:
    """SQLite in WAL mode with `secure_delete` on, so deleted rows are zeroed, not just unlinked."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.path, self._synchronous = parse_sqlite_url(url)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.writer_lock = threading.RLock()
        self.checkpointer = Checkpointer(self._checkpoint_connection, self.writer_lock)

    def _checkpoint_connection(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        db.execute(f"PRAGMA synchronous = {_SYNCHRONOUS[self._synchronous]}")
        return db

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(f"PRAGMA synchronous = {_SYNCHRONOUS[self._synchronous]}")
            # secure_delete overwrites deleted content with zeros (https://sqlite.org/pragma.html#pragma_secure_delete)
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA foreign_keys = ON")
            # Checkpoints run on the store's own thread (chatseal.store.sqlite_checkpoint).
            db.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error as exc:
            raise StoreUnavailable(
                f"cannot open the SQLite store: {exc.__class__.__name__}"
            ) from None
        self._local.db = db
        with self._all_lock:
            self._all.append(db)
        return db

    def transaction(self, *, write: bool = False) -> SqliteTransaction:
        """BEGIN IMMEDIATE for writers (no lock upgrades, so no SQLITE_BUSY deadlocks)."""
        return SqliteTransaction(self._connect(), write, self)

    def schema_version(self) -> int:
        db = self._connect()
        return int(db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            for version, script in migrations("sqlite"):
                if version > current:
                    for statement in _statements(script):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {int(version)}")
                    current = version
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return current

    def audit_connection(self) -> sqlite3.Connection:
        """A new connection to the same database, for the audit sequencer's own transactions."""
        db = sqlite3.connect(self.path, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        db.execute(f"PRAGMA synchronous = {_SYNCHRONOUS[self._synchronous]}")
        db.execute("PRAGMA secure_delete = ON")
        # Checkpoints belong to the store's own thread: SQLite's default would run one inside the
        # sequencer's commit, which holds the writer lock, and stall every writer meanwhile.
        db.execute("PRAGMA wal_autocheckpoint = 0")
        with self._all_lock:
            self._all.append(db)
        return db

    def compact(self) -> None:
        """Checkpoint the WAL into the database and truncate it to zero bytes."""
        self._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def ping(self) -> None:
        try:
            self._connect().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            raise StoreUnavailable("the SQLite store does not answer") from None

    def close(self) -> None:
        self.checkpointer.close()
        with self._all_lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


def _statements(script: str) -> list[str]:
    """Split a migration into statements (our migrations hold no semicolons inside literals)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
