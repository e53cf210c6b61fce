"""The plaintext baseline: the same SQLite settings and schema shape as ChatSeal's store, JSON
content in clear, no keys, no encryption. What teams use today, minus ChatSeal's guarantees."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE conversations (
    tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, created_at INTEGER NOT NULL,
    classification TEXT NOT NULL, owner TEXT NOT NULL, metadata TEXT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id));
CREATE TABLE items (
    tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, position INTEGER NOT NULL,
    item_id TEXT NOT NULL, item_type TEXT NOT NULL, role TEXT, created_at INTEGER NOT NULL,
    content BLOB NOT NULL, PRIMARY KEY (tenant_id, conversation_id, position));
CREATE UNIQUE INDEX items_by_id ON items (tenant_id, item_id);
"""


class PlainStore:
    """Plain JSON rows (orjson, as ChatSeal uses) in SQLite with ChatSeal's settings (WAL,
    synchronous=NORMAL, secure_delete), one transaction per append."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "secure_delete = ON"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(SCHEMA)

    def create(self, tenant: str, owner: str) -> str:
        """Create a conversation."""
        conversation_id = "conv_" + os.urandom(24).hex()
        self.db.execute(
            "INSERT INTO conversations VALUES (?, ?, 0, 'internal', ?, '{}')",
            (tenant, conversation_id, owner),
        )
        return conversation_id

    def append(self, tenant: str, conversation_id: str, item: dict[str, Any]) -> None:
        """Append one item: check the conversation, take the next position, insert, commit."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        row = db.execute(
            "SELECT owner, (SELECT coalesce(max(position), -1) + 1 FROM items WHERE "
            "tenant_id = c.tenant_id AND conversation_id = c.conversation_id) "
            "FROM conversations AS c WHERE tenant_id = ? AND conversation_id = ?",
            (tenant, conversation_id),
        ).fetchone()
        stored = {"id": "msg_" + os.urandom(24).hex(), "status": "completed", **item}
        db.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            (
                tenant,
                conversation_id,
                row[1],
                stored["id"],
                "message",
                item.get("role"),
                orjson.dumps(stored),
            ),
        )
        db.execute("COMMIT")

    def list(self, tenant: str, conversation_id: str, limit: int) -> list[dict[str, Any]]:
        """Read a page of items, newest first, as ChatSeal's list does."""
        db = self.db
        db.execute("BEGIN")
        db.execute(
            "SELECT owner, metadata FROM conversations WHERE tenant_id = ? AND conversation_id = ?",
            (tenant, conversation_id),
        ).fetchone()
        rows = db.execute(
            "SELECT item_id, item_type, role, content FROM items WHERE tenant_id = ? AND "
            "conversation_id = ? ORDER BY position DESC LIMIT ?",
            (tenant, conversation_id, limit + 1),
        ).fetchall()
        db.execute("COMMIT")
        return [orjson.loads(row[3]) for row in rows[:limit]]
