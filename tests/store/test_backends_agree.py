"""SQLite and PostgreSQL give the same answers to the same calls on the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatseal.store.base import Store, StoreTx
from chatseal.store.postgres import PostgresStore
from chatseal.store.sqlite import SqliteStore
from store import pg
from store.contract import append, client, conversation, data_key, tenant

NAMES = ["acme", "Acme", "_under", "zeta", "émile", "Zulu", "a b", "a-b", "10", "9"]


@pytest.fixture
def both(tmp_path: Path, pg_database: str) -> Iterator[tuple[Store, Store]]:
    """An empty SQLite store and an empty PostgreSQL store (application role)."""
    pg.truncate(pg_database)
    lite = SqliteStore(f"sqlite:///{tmp_path}/agree.db")
    lite.migrate()
    post = PostgresStore(pg.with_database(pg.require_env(pg.APP_URL), pg_database))
    yield lite, post
    lite.close()
    post.close()


def populate(store: Store) -> None:
    """The same rows, written the same way, with gaps from deletions."""
    with store.transaction(write=True) as tx:
        for i, name in enumerate(NAMES):
            tx.insert_tenant(tenant(f"t{i}", name))
        tx.insert_conversation(
            conversation("t0", "cB"),
            [data_key("t0", "cB", "prompts", 2), data_key("t0", "cB", "content", 1)],
        )
        tx.insert_conversation(conversation("t0", "ca"), [data_key("t0", "ca", "content", 1)])
        for cid in ("zz", "Zz", "c-1", "c_1"):
            tx.insert_client(client("t0", cid, created_at=10))
        append(tx, "t0", "cB", 12)
    for gone in (0, 4, 5, 11):
        with store.transaction(write=True) as tx:
            tx.delete_item("t0", "cB", f"cB-i{gone}")
    with store.transaction(write=True) as tx:
        append(tx, "t0", "cB", 2)


def observe(tx: StoreTx) -> dict[str, Any]:
    """Every read of the Protocol over the populated rows."""
    pages = {}
    for after in (None, -5, 0, 3, 4, 7, 12, 13, 100):
        for limit in (1, 2, 5, 50):
            for descending in (False, True):
                rows = tx.list_items(
                    "t0", "cB", after_position=after, limit=limit, descending=descending
                )
                pages[(after, limit, descending)] = rows
    return {
        "tenants": tx.list_tenants(),
        "by_name": [tx.get_tenant(n) for n in NAMES],
        "clients": tx.list_clients("t0"),
        "keys": tx.iter_data_keys("t0", 5, 10),
        "with_keys": tx.get_conversation_with_keys("t0", "cB"),
        "data_keys": tx.data_keys("t0", "cB"),
        "positions": [tx.item_position("t0", "cB", f"cB-i{p}") for p in range(14)],
        "pages": pages,
    }


def test_backends_agree(both: tuple[Store, Store]) -> None:
    """Listings, orderings, cursors and lookups match between SQLite and PostgreSQL."""
    lite, post = both
    populate(lite)
    populate(post)
    with lite.transaction(write=True) as tx:
        lite_seen = observe(tx)
        lite_open = tx.open_for_append("t0", "cB")
    with post.transaction(write=True) as tx:
        post_seen = observe(tx)
        post_open = tx.open_for_append("t0", "cB")
    assert post_seen["tenants"] == lite_seen["tenants"]
    assert post_seen["clients"] == lite_seen["clients"]
    for key in lite_seen:
        assert post_seen[key] == lite_seen[key], key
    assert post_open == lite_open
    assert len(lite_seen["pages"][(None, 50, False)]) == 10
