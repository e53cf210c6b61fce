"""The plaintext baseline: the same SQLite settings and schema shape as ChatSeal's store, JSON
content in clear, no keys, no encryption. What teams use today, minus ChatSeal's guarantees.

Beside it, two floors: the same store with only AES-GCM added (the least any sealed store can
cost in CPython), and that plus one committed log row per append and read (the least a
fail-closed audit log adds)."""

from __future__ import annotations

import os
import sqlite3
import struct
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
        position = self._open_append(tenant, conversation_id)
        stored = {"id": "msg_" + os.urandom(24).hex(), "status": "completed", **item}
        self._insert(tenant, conversation_id, position, stored, orjson.dumps(stored))

    def list(self, tenant: str, conversation_id: str, limit: int) -> list[dict[str, Any]]:
        """Read a page of items, newest first, as ChatSeal's list does."""
        rows = self._read_page(tenant, conversation_id, limit, "item_id, item_type, role, content")
        return [orjson.loads(row[3]) for row in rows[:limit]]

    # -- the statements every store here shares ------------------------------------------------

    _READ_BEGIN = "BEGIN"

    def _log(self, tenant: str, conversation_id: str, action: str) -> None:
        """No log here (the audited floor writes one row in each transaction)."""

    def _open_append(self, tenant: str, conversation_id: str) -> int:
        """BEGIN IMMEDIATE, check the conversation, and return the next position."""
        self.db.execute("BEGIN IMMEDIATE")
        row = self.db.execute(
            "SELECT owner, (SELECT coalesce(max(position), -1) + 1 FROM items WHERE "
            "tenant_id = c.tenant_id AND conversation_id = c.conversation_id) "
            "FROM conversations AS c WHERE tenant_id = ? AND conversation_id = ?",
            (tenant, conversation_id),
        ).fetchone()
        return int(row[1])

    def _insert(
        self,
        tenant: str,
        conversation_id: str,
        position: int,
        stored: dict[str, Any],
        content: bytes,
    ) -> None:
        """Insert one item row, log the append, and commit."""
        self.db.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            (
                tenant,
                conversation_id,
                position,
                stored["id"],
                "message",
                stored.get("role"),
                content,
            ),
        )
        self._log(tenant, conversation_id, "item.append")
        self.db.execute("COMMIT")

    def _read_page(
        self, tenant: str, conversation_id: str, limit: int, columns: str
    ) -> Sequence[tuple[Any, ...]]:
        """Check the conversation and read a page's rows, newest first, in one transaction."""
        db = self.db
        db.execute(self._READ_BEGIN)
        db.execute(
            "SELECT owner, metadata FROM conversations WHERE tenant_id = ? AND conversation_id = ?",
            (tenant, conversation_id),
        ).fetchone()
        rows = db.execute(
            f"SELECT {columns} FROM items WHERE tenant_id = ? "
            "AND conversation_id = ? ORDER BY position DESC LIMIT ?",
            (tenant, conversation_id, limit + 1),
        ).fetchall()
        self._log(tenant, conversation_id, "item.read")
        db.execute("COMMIT")
        return rows


class SealedFloorStore(PlainStore):
    """The plaintext baseline plus only what sealing cannot avoid: each item's JSON under
    AES-256-GCM with a fresh 96-bit nonce and associated data binding the tenant, conversation,
    item id and position. No key hierarchy, policy, audit or validation: the least time any
    sealed store can take in CPython with the `cryptography` package, so the figure a sealed
    read or append is measured against when the plaintext ratio is out of reach."""

    _TAIL = struct.Struct(">H52sQ")  # lp(item id) ‖ position; ids are "msg_" + 48 hex digits

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.aead = AESGCM(os.urandom(32))

    def _ad(self, tenant: str, conversation_id: str) -> bytes:
        return f"{tenant}/{conversation_id}".encode()

    def append(self, tenant: str, conversation_id: str, item: dict[str, Any]) -> None:
        """Append one sealed item: the plaintext append with one AES-GCM encryption."""
        position = self._open_append(tenant, conversation_id)
        item_id = "msg_" + os.urandom(24).hex()
        stored = {"id": item_id, "status": "completed", **item}
        nonce = os.urandom(12)
        ad = self._ad(tenant, conversation_id) + self._TAIL.pack(52, item_id.encode(), position)
        sealed = nonce + self.aead.encrypt(nonce, orjson.dumps(stored), ad)
        self._insert(tenant, conversation_id, position, stored, sealed)

    def list(self, tenant: str, conversation_id: str, limit: int) -> list[dict[str, Any]]:
        """Read a page of sealed items, newest first: one decryption and one parse per item."""
        rows = self._read_page(
            tenant, conversation_id, limit, "item_id, position, content, item_type, role"
        )
        base, pack, decrypt, loads = (
            self._ad(tenant, conversation_id),
            self._TAIL.pack,
            self.aead.decrypt,
            orjson.loads,
        )
        return [
            loads(decrypt(sealed[:12], sealed[12:], base + pack(52, item_id.encode(), position)))
            for item_id, position, sealed, _, _ in rows[:limit]
        ]


class AuditedFloorStore(SealedFloorStore):
    """The sealed floor plus the least a fail-closed audit log costs: every append and read
    commits one event row (JSON of about ChatSeal's event size) in its own transaction, so a
    read is a write transaction too. No Merkle tree, hashing or signing (ChatSeal's sequencer
    does those off the request path)."""

    _READ_BEGIN = "BEGIN IMMEDIATE"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.db.execute("CREATE TABLE audit_queue (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        self._actor = {"tenant": "bench", "subject": os.urandom(32).hex(), "roles": ["user"]}

    def _log(self, tenant: str, conversation_id: str, action: str) -> None:
        event = {
            "action": action,
            "actor": self._actor,
            "decision": {"reason": "owner", "result": "allow"},
            "policy_version": "sha256:" + "0" * 64,
            "request_id": "req_" + os.urandom(12).hex(),
            "resource": {"conversation": conversation_id, "tenant": tenant},
            "time": time.time(),
            "type": action,
        }
        self.db.execute("INSERT INTO audit_queue (data) VALUES (?)", (orjson.dumps(event),))
