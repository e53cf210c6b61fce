"""A pg_dump of the store holds sealed bytes as given and no canary in any readable form.

The store only ever receives sealed bytes; this checks that PostgreSQL keeps exactly those bytes
(one copy, no clear derivative) and that a deleted item is gone from a later dump. The canary
scan of the whole service (content sealed by ChatSeal itself) lives with the service tests.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chatseal.store.base import ConversationRow, ItemRow
from chatseal.store.postgres import PostgresStore
from store import pg
from store.contract import seed


def pg_dump(dbname: str) -> bytes:
    """Dump a database as the superuser (a database thief's view: every row, no RLS)."""
    url = urlsplit(pg.with_database(pg.require_env(pg.SUPERUSER_URL), dbname))
    bindir = os.environ.get("CHATSEAL_TEST_PG_BINDIR", "")
    binary = str(Path(bindir) / "pg_dump") if bindir else shutil.which("pg_dump")
    assert binary, "pg_dump not found: install postgresql-client"
    env = {**os.environ, "PGPASSWORD": url.password or ""}  # not on the command line
    done = subprocess.run(
        [
            binary,
            "--no-password",
            "-h",
            url.hostname or "",
            "-p",
            str(url.port),
            "-U",
            url.username or "",
            dbname,
        ],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def forms(secret: bytes) -> list[bytes]:
    """The ways a secret could show in a dump: raw, hex (both cases), base64."""
    return [secret, secret.hex().encode(), secret.hex().upper().encode(), base64.b64encode(secret)]


def test_pg_dump_holds_only_sealed_bytes(pg_database: str) -> None:
    """The canary never appears; each sealed blob appears once, as the bytes that were stored."""
    pg.truncate(pg_database)
    canary = b"CANARY-" + secrets.token_hex(8).encode()
    aead = AESGCM(AESGCM.generate_key(bit_length=256))  # stands in for the service's sealing

    def sealed(text: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + aead.encrypt(nonce, text, b"ad")

    kept = sealed(b"user says: " + canary + b" " * 1024)
    deleted = sealed(b"to be deleted: " + canary)
    metadata = sealed(b'{"title": "' + canary + b'"}')
    store = PostgresStore(pg.with_database(pg.require_env(pg.APP_URL), pg_database))
    try:
        seed(store, "ta", "c0")
        with store.transaction(write=True) as tx:
            tx.insert_conversation(
                ConversationRow("ta", "c1", 1, "confidential", b"tag", metadata), []
            )
            tx.insert_items(
                [
                    ItemRow("ta", "c1", 0, "kept", "message", "user", 1, kept),
                    ItemRow("ta", "c1", 1, "gone", "message", "user", 1, deleted),
                ]
            )
        with store.transaction(write=True) as tx:
            assert tx.delete_item("ta", "c1", "gone") is True
    finally:
        store.close()
    dump = pg_dump(pg_database)
    assert b"COPY chatseal.items" in dump
    for form in forms(canary):
        assert form not in dump
    assert dump.count(kept.hex().encode()) == 1
    assert dump.count(metadata.hex().encode()) == 1
    assert deleted.hex().encode() not in dump
