"""The PostgreSQL schema is ready to distribute by tenant (Citus) and mirrors SQLite's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from chatseal.store.sqlite import SqliteStore
from store import pg

# The directory tables carry a uniqueness that cannot include tenant_id (a tenant's name, an
# OAuth2 client id): on Citus they are reference tables, every other tenant table is distributed.
DIRECTORY = {"tenants", "oauth_clients"}


def test_keys_start_with_tenant_id_and_nothing_crosses_tenants(pg_database: str) -> None:
    """Every primary key starts with tenant_id; unique indexes include it (bar the directory); no foreign keys."""
    url = pg.with_database(pg.require_env(pg.ADMIN_URL), pg_database)
    with psycopg.connect(url) as conn:
        tenant_tables = set(pg.tenant_tables(conn))
        indexes = conn.execute(
            "SELECT t.relname, i.indisprimary, "
            "(SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY "
            "AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'chatseal' AND i.indisunique"
        ).fetchall()
        foreign = conn.execute(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'chatseal' AND c.contype = 'f'"
        ).fetchone()
    assert foreign == (0,)
    assert len(tenant_tables) >= 9
    for table, primary, columns in indexes:
        if table not in tenant_tables:
            continue  # schema_version and the region's audit log
        if primary or table not in DIRECTORY:
            assert columns[0] == "tenant_id", (table, columns)


def test_same_tables_and_columns_as_sqlite(pg_database: str, tmp_path: Path) -> None:
    """Both backends' newest schemas have the same tables with the same columns in the same order."""
    lite = SqliteStore(f"sqlite:///{tmp_path}/schema.db")
    lite.migrate()
    lite.close()
    db = sqlite3.connect(tmp_path / "schema.db")
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    lite_tables = {name: [r[1] for r in db.execute(f"PRAGMA table_info({name})")] for name in names}
    db.close()
    url = pg.with_database(pg.require_env(pg.ADMIN_URL), pg_database)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'chatseal' AND table_name <> 'schema_version' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    pg_tables: dict[str, list[str]] = {}
    for table, column in rows:
        pg_tables.setdefault(table, []).append(column)
    assert pg_tables == lite_tables
