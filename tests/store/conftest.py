"""Fixtures for the PostgreSQL store tests: one fresh, migrated database per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store import pg


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A new database at the newest schema, dropped after the module."""
    name = pg.create_database()
    try:
        pg.migrate_as_owner(name)
        yield name
    finally:
        pg.drop_database(name)
