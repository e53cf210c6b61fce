"""Shared fixtures for the audit tests: trees over both storages, fixed keys."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.audit.note import Signer
from chatseal.audit.sqlite_storage import SqliteTreeStorage, create_tables
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree

LOG_SEED = bytes(range(32))
ORIGIN = "audit.example/chatseal"


def make_sqlite(path: Path) -> tuple[sqlite3.Connection, SqliteTreeStorage]:
    """Open a SQLite audit database with its tables."""
    conn = sqlite3.connect(path)
    create_tables(conn)
    conn.commit()
    return conn, SqliteTreeStorage(conn)


@pytest.fixture
def log_signer() -> Signer:
    """The fixed log key used across tests and vectors."""
    return Signer.from_seed(ORIGIN, LOG_SEED)


@pytest.fixture(params=["memory", "sqlite"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditTree]:
    """An empty tree over each storage."""
    if request.param == "memory":
        yield AuditTree(MemoryTreeStorage())
        return
    conn, storage = make_sqlite(tmp_path / "audit.db")
    yield AuditTree(storage)
    conn.close()


def leaves(n: int) -> list[bytes]:
    """Return n distinct leaf payloads."""
    return [f"leaf-{i}".encode() for i in range(n)]
