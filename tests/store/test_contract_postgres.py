"""The Store contract run against PostgreSQL, as the application role under row-level security."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from chatseal.store.postgres import PostgresStore
from store import pg
from store.contract import StoreContract


@pytest.fixture(scope="module")
def app_store(pg_database: str) -> Iterator[PostgresStore]:
    """One pooled store for the module, connected as chatseal_app."""
    s = PostgresStore(pg.with_database(pg.require_env(pg.APP_URL), pg_database, pool_max_size="16"))
    yield s
    s.close()


@pytest.fixture
def store(app_store: PostgresStore, pg_database: str) -> PostgresStore:
    """The module's store with every table emptied."""
    pg.truncate(pg_database)
    return app_store


@pytest.fixture
def fresh_store() -> Iterator[PostgresStore]:
    """A store on a new, empty database, connected as the owner role that migrates."""
    name = pg.create_database()
    s = PostgresStore(pg.with_database(pg.require_env(pg.ADMIN_URL), name))
    yield s
    s.close()
    pg.drop_database(name)


@pytest.fixture
def unavailable_store() -> Iterator[PostgresStore]:
    """A store pointed at a loopback port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = PostgresStore(f"postgresql://nobody@127.0.0.1:{port}/none?pool_timeout=1&connect_timeout=1")
    yield s
    s.close()


class TestPostgresContract(StoreContract):
    """PostgreSQL passes the store contract."""
