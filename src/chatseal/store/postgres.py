"""The PostgreSQL store: psycopg 3, a connection pool, row-level security per tenant.

Every tenant table has a policy `tenant_id = current_setting('chatseal.tenant')` (migration
0001). Each transaction (`postgres_tx.PostgresTx`) sets that value lazily, transaction-locally,
from the tenant_id of each StoreTx call, so a query that forgets its tenant filter still sees one
tenant only, and a connection without the setting sees nothing. The two lookups that come before
any tenant is known (a tenant by name, an OAuth2 client by id) go through read-only SECURITY
DEFINER functions of the schema owner.

Connections run in autocommit mode and the transaction sends BEGIN itself, together with the
tenant setting and its first statement, in one pipeline (one round trip; see `postgres_tx`).
Statements are prepared on a connection's first use of them.

URL: `postgresql://user@host:port/db?pool_min_size=1&pool_max_size=10&pool_timeout=10`; the
pool_* parameters are ours, every other parameter goes to libpq. Give the password through
PGPASSWORD or a passfile rather than the URL; `Store.url` never shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from chatseal.errors import ConfigError
from chatseal.store import registry
from chatseal.store.postgres_tx import PostgresTx, mapped
from chatseal.store.schema import migrations

__all__ = ["SCHEMA_VERSION", "PostgresStore", "PostgresTx", "parse_postgres_url"]

# pg_advisory_xact_lock key for migrations: the bytes "chatseal" as a big-endian int64.
_MIGRATION_LOCK = int.from_bytes(b"chatseal", "big")
_POOL_PARAMS = ("pool_min_size", "pool_max_size", "pool_timeout")


SCHEMA_VERSION = max(version for version, _ in migrations("postgres"))


def _is_superuser(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT current_setting('is_superuser')").fetchone()
    return bool(row and row[0] == "on")


def parse_postgres_url(url: str) -> tuple[str, dict[str, float], str]:
    """Return the libpq conninfo, the pool settings and the URL without its password."""
    parts = urlsplit(url)
    if parts.scheme.split("+", 1)[0] not in ("postgresql", "postgres") or not parts.netloc:
        raise ConfigError("a PostgreSQL store URL looks like postgresql://user@host:5432/dbname")
    pool = {"pool_min_size": 1.0, "pool_max_size": 10.0, "pool_timeout": 10.0}
    libpq: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _POOL_PARAMS:
            try:
                pool[key] = float(value)
            except ValueError:
                raise ConfigError(f"{key} must be a number", param=key) from None
        else:
            libpq.append((key, value))
    if not 0 <= pool["pool_min_size"] <= pool["pool_max_size"] or pool["pool_max_size"] < 1:
        raise ConfigError("pool sizes must satisfy 0 <= pool_min_size <= pool_max_size, max >= 1")
    names = {key for key, _ in libpq}
    if "connect_timeout" not in names:
        libpq.append(("connect_timeout", "10"))
    if "application_name" not in names:
        libpq.append(("application_name", "chatseal"))
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(libpq), ""))
    shown = parts.netloc
    if parts.password is not None:
        shown = shown.replace(f":{parts.password}@", ":***@", 1)
    public = urlunsplit((parts.scheme, shown, parts.path, parts.query, ""))
    return conninfo, pool, public


class PostgresStore:
    """PostgreSQL 15+ behind a psycopg_pool ConnectionPool; one connection per transaction."""

    def __init__(self, url: str) -> None:
        conninfo, pool, self.url = parse_postgres_url(url)
        self._conninfo = conninfo
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            min_size=int(pool["pool_min_size"]),
            max_size=int(pool["pool_max_size"]),
            timeout=pool["pool_timeout"],
            # Every statement is prepared on its first run on a connection (psycopg waits for
            # 5 by default): a pooled connection may see a statement only every pool_max_size
            # calls, and planning a statement under row-level security costs more than running
            # it (~0.3 ms against ~0.1 ms for the append's position-and-keys query).
            kwargs={"autocommit": True, "prepare_threshold": 0},
            name="chatseal-store",
            open=False,
        )
        # Connect in the background: a store that is down answers StoreUnavailable on use.
        self._pool.open(wait=False)

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r})"

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[PostgresTx]:
        """READ COMMITTED; readers run READ ONLY. Commit on success, roll back on any exception."""
        with mapped():
            conn = self._pool.getconn()
        tx = PostgresTx(conn, write=write)
        try:
            try:
                yield tx
            except BaseException:
                tx.finish(commit=False)
                raise
            tx.finish(commit=True)
        finally:
            self._pool.putconn(conn)

    def _version(self, conn: psycopg.Connection[Any]) -> int:
        found = conn.execute("SELECT to_regclass('chatseal.schema_version') IS NOT NULL").fetchone()
        if not found or not found[0]:
            return 0
        row = conn.execute(
            "SELECT coalesce(max(version), 0) FROM chatseal.schema_version"
        ).fetchone()
        return int(row[0]) if row else 0

    def schema_version(self) -> int:
        with mapped(), self._pool.connection() as conn:
            return self._version(conn)

    def migrate(self) -> int:
        """Apply newer migrations in one transaction, serialised by an advisory lock."""
        with mapped(), self._pool.connection() as conn:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                current = self._version(conn)
                pending = [(v, script) for v, script in migrations("postgres") if v > current]
                if pending and _is_superuser(conn):
                    # A superuser would own the tables (RLS never binds it) and the SECURITY
                    # DEFINER lookups would run as superuser: migrate as the owner role.
                    raise ConfigError("run migrations as the schema owner role, not a superuser")
                for version, script in pending:
                    # No parameters, not prepared: one simple query holding many statements.
                    conn.execute(script.encode("utf-8"), prepare=False)
                    conn.execute(
                        "INSERT INTO chatseal.schema_version (version) VALUES (%s)", (version,)
                    )
                    current = version
                conn.execute("COMMIT")
            except ConfigError:
                conn.execute("ROLLBACK")
                raise
            except pg_errors.UndefinedObject:
                conn.execute("ROLLBACK")
                raise ConfigError(
                    "migrations grant to the role chatseal_app: create it first "
                    "(docs/deployment.md)"
                ) from None
            except pg_errors.InsufficientPrivilege:
                conn.execute("ROLLBACK")
                raise ConfigError("migrations must run as the schema owner role") from None
            except BaseException:
                if not conn.closed:
                    conn.execute("ROLLBACK")
                raise
        return current

    def audit_connection(self) -> psycopg.Connection[Any]:
        """A dedicated connection (outside the pool) for the audit sequencer's own transactions."""
        with mapped():
            return psycopg.connect(self._conninfo)

    def compact(self) -> None:
        """Nothing to do: PostgreSQL reclaims dead rows by autovacuum, run by the table owner.

        Deleted sealed rows stay in heap pages until vacuumed and overwritten; what makes a
        delete hold is the crypto-shred (the wrapped data key is gone), not the page.
        """

    def ping(self) -> None:
        with mapped(), self._pool.connection() as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        self._pool.close()


def postgres(url: str) -> PostgresStore:
    """The registry factory for postgresql:// and postgres:// URLs."""
    return PostgresStore(url)


registry.register("postgresql", postgres)
registry.register("postgres", postgres)
