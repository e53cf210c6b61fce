"""Helpers for tests that need the private PostgreSQL of scripts/services/postgres.sh."""

from __future__ import annotations

import os
import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

APP_URL = "CHATSEAL_TEST_PG_URL"
ADMIN_URL = "CHATSEAL_TEST_PG_ADMIN_URL"
SUPERUSER_URL = "CHATSEAL_TEST_PG_SUPERUSER_URL"


def require_env(name: str) -> str:
    """Return a service address the test harness exported, or fail saying how to get it."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: run the suite with `make test`, or "
            "`eval $(bash scripts/services/postgres.sh start DIR)` first"
        )
    return value


def with_database(url: str, dbname: str, **query: str) -> str:
    """Return `url` pointing at another database, with extra query parameters."""
    parts = urlsplit(url)
    extra = "&".join(f"{k}={v}" for k, v in query.items())
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", extra, ""))


def create_database() -> str:
    """Create an empty database owned by the owner role; return its name."""
    name = f"chatseal_t_{secrets.token_hex(6)}"
    with psycopg.connect(require_env(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    """Drop a test database once its closed sessions are gone.

    The server waits up to 5 s for backends that are exiting; WITH (FORCE) is not an option, as
    the owner role may not terminate the application role's sessions.
    """
    with psycopg.connect(require_env(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def migrate_as_owner(name: str) -> None:
    """Bring a test database to the newest schema, as the owner role (the deployment's way)."""
    from chatseal.store.postgres import PostgresStore

    owner = PostgresStore(with_database(require_env(ADMIN_URL), name))
    try:
        owner.migrate()
    finally:
        owner.close()


def tenant_tables(conn: psycopg.Connection[Any]) -> list[str]:
    """Every table of the chatseal schema that has a tenant_id column."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'chatseal' "
        "AND column_name = 'tenant_id' ORDER BY table_name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def truncate(name: str) -> None:
    """Empty every table but schema_version (TRUNCATE is the owner's; it ignores RLS)."""
    with psycopg.connect(with_database(require_env(ADMIN_URL), name), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'chatseal' "
            "AND tablename <> 'schema_version'"
        ).fetchall()
        conn.execute("TRUNCATE " + ", ".join(f"chatseal.{t[0]}" for t in tables))
