"""The Store contract run against SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.store.sqlite import SqliteStore
from store.contract import StoreContract


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A migrated SQLite store in a new file."""
    s = SqliteStore(f"sqlite:///{tmp_path}/chatseal.db")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A SQLite store on a file that does not exist yet."""
    s = SqliteStore(f"sqlite:///{tmp_path}/fresh.db")
    yield s
    s.close()


@pytest.fixture
def unavailable_store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A SQLite store whose path is a directory, so it cannot open."""
    (tmp_path / "a-directory").mkdir()
    s = SqliteStore(f"sqlite:///{tmp_path}/a-directory")
    yield s
    s.close()


class TestSqliteContract(StoreContract):
    """SQLite passes the store contract."""
