"""The Store contract: one behaviour for every backend (SQLite, PostgreSQL, ...).

A test module subclasses `StoreContract` and provides three fixtures:
- `store`: a migrated Store with no rows, as the application uses it;
- `fresh_store`: a Store on an empty database (schema version 0) that may migrate it;
- `unavailable_store`: a Store whose database cannot be reached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from chatseal.errors import Conflict, StoreUnavailable
from chatseal.store.base import (
    ClientRow,
    ConversationRow,
    DataKeyRow,
    ItemRow,
    Store,
    StoreTx,
    TenantRow,
)
from store.contract_minimisation import MinimisationContract
from store.contract_policy import PolicyContract

ALL_BYTES = bytes(range(256))


def tenant(tenant_id: str, name: str | None = None) -> TenantRow:
    """A tenant row with a wrapped index key."""
    return TenantRow(
        tenant_id, name or f"name-{tenant_id}", 1000, '{"k": 1}', b"ik-" + tenant_id.encode(), 1
    )


def conversation(tenant_id: str, conversation_id: str) -> ConversationRow:
    """A conversation row with sealed metadata."""
    return ConversationRow(
        tenant_id, conversation_id, 2000, "internal", b"owner\x00tag", b"meta\xff"
    )


def data_key(
    tenant_id: str, conversation_id: str, namespace: str = "content", version: int = 1
) -> DataKeyRow:
    """A wrapped data key row."""
    return DataKeyRow(
        tenant_id,
        conversation_id,
        namespace,
        version,
        f"w-{conversation_id}-{namespace}-{version}".encode(),
        3000,
    )


def item(
    tenant_id: str, conversation_id: str, position: int, *, role: str | None = "user"
) -> ItemRow:
    """A sealed item row whose id names its place."""
    return ItemRow(
        tenant_id,
        conversation_id,
        position,
        f"{conversation_id}-i{position}",
        "message",
        role,
        4000 + position,
        ALL_BYTES + bytes([position % 256]),
    )


def client(tenant_id: str, client_id: str, created_at: int = 5000) -> ClientRow:
    """An OAuth2 client row."""
    return ClientRow(
        tenant_id, client_id, b"hash-" + client_id.encode(), '["user"]', None, created_at
    )


def seed(store: Store, tenant_id: str, conversation_id: str = "c1", items: int = 0) -> None:
    """Create a tenant with one conversation (two namespaces) holding `items` items."""
    with store.transaction(write=True) as tx:
        tx.insert_tenant(tenant(tenant_id))
        tx.insert_conversation(
            conversation(tenant_id, conversation_id),
            [
                data_key(tenant_id, conversation_id, "prompts"),
                data_key(tenant_id, conversation_id, "content"),
            ],
        )
        append(tx, tenant_id, conversation_id, items)


def append(tx: StoreTx, tenant_id: str, conversation_id: str, count: int) -> list[int]:
    """Append `count` items the way the service does: open for append, then insert."""
    if count == 0:
        return []
    opened = tx.open_for_append(tenant_id, conversation_id)
    assert opened is not None
    first = opened[1]
    positions = list(range(first, first + count))
    tx.insert_items([item(tenant_id, conversation_id, p) for p in positions])
    return positions


def run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(i)` on `count` threads started together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer hung (deadlock?)"
    return errors


class StoreContract(MinimisationContract, PolicyContract):
    """Behaviour every Store backend must show (schema v3 methods in MinimisationContract)."""

    # schema
    def test_migrate_is_idempotent(self, store: Store) -> None:
        """migrate() on a current database changes nothing and returns the schema version."""
        version = store.schema_version()
        assert version >= 1
        assert store.migrate() == version
        assert store.migrate() == version
        assert store.schema_version() == version

    def test_migrate_from_empty(self, fresh_store: Store) -> None:
        """An empty database is at version 0 and migrates to the newest version once."""
        assert fresh_store.schema_version() == 0
        version = fresh_store.migrate()
        assert version >= 1
        assert fresh_store.schema_version() == version
        assert fresh_store.migrate() == version
        with fresh_store.transaction() as tx:
            assert tx.list_tenants() == []

    def test_ping(self, store: Store) -> None:
        """A reachable store answers ping."""
        store.ping()
        assert isinstance(store.url, str)

    def test_unavailable_store(self, unavailable_store: Store) -> None:
        """An unreachable store raises StoreUnavailable on ping and on use."""
        with pytest.raises(StoreUnavailable):
            unavailable_store.ping()
        with pytest.raises(StoreUnavailable), unavailable_store.transaction() as tx:
            tx.list_tenants()

    # tenants
    def test_tenant_crud(self, store: Store) -> None:
        """Tenants are added, found by name, listed by name, updated and deleted."""
        with store.transaction(write=True) as tx:
            tx.insert_tenant(tenant("t2", "beta"))
            tx.insert_tenant(tenant("t1", "alpha"))
            tx.insert_tenant(tenant("t3", "Zeta"))
        with store.transaction() as tx:
            assert tx.get_tenant("alpha") == tenant("t1", "alpha")
            assert tx.get_tenant("missing") is None
            # Byte order, as SQLite's BINARY collation: upper case sorts first.
            assert [t.name for t in tx.list_tenants()] == ["Zeta", "alpha", "beta"]
        with store.transaction(write=True) as tx:
            tx.update_tenant_settings("t1", '{"retention": 30}')
        with store.transaction() as tx:
            found = tx.get_tenant("alpha")
            assert found is not None and found.settings == '{"retention": 30}'
            assert tx.get_tenant("beta") == tenant("t2", "beta")

    def test_tenant_name_conflict(self, store: Store) -> None:
        """A taken name raises Conflict and the transaction goes on."""
        with store.transaction(write=True) as tx:
            tx.insert_tenant(tenant("t1", "acme"))
            with pytest.raises(Conflict):
                tx.insert_tenant(tenant("t2", "acme"))
            assert [t.tenant_id for t in tx.list_tenants()] == ["t1"]
        with store.transaction() as tx:
            assert [t.tenant_id for t in tx.list_tenants()] == ["t1"]
        with pytest.raises(Conflict), store.transaction(write=True) as tx:
            tx.insert_tenant(tenant("t3", "acme"))

    def test_delete_tenant_removes_everything(self, store: Store) -> None:
        """Deleting a tenant removes its conversations, keys, items and clients, and no one else's."""
        seed(store, "ta", "c1", items=3)
        seed(store, "tb", "c1", items=2)
        with store.transaction(write=True) as tx:
            tx.insert_conversation(conversation("ta", "c2"), [])
            tx.insert_client(client("ta", "client-a"))
            assert tx.delete_tenant("ta") == 2
        with store.transaction() as tx:
            assert tx.get_tenant("name-ta") is None
            assert tx.get_conversation("ta", "c1") is None
            assert tx.data_keys("ta", "c1") == []
            assert tx.list_items("ta", "c1", after_position=None, limit=10, descending=False) == []
            assert tx.get_client("client-a") is None
            assert (
                len(tx.list_items("tb", "c1", after_position=None, limit=10, descending=False)) == 2
            )
            assert tx.get_tenant("name-tb") is not None

    # OAuth2 clients
    def test_clients(self, store: Store) -> None:
        """Clients are found by id in any tenant, listed per tenant, revoked once."""
        seed(store, "ta")
        seed(store, "tb")
        with store.transaction(write=True) as tx:
            tx.insert_client(client("ta", "a2", created_at=7))
            tx.insert_client(client("ta", "a1", created_at=6))
            tx.insert_client(client("tb", "b1"))
        with store.transaction() as tx:
            assert tx.get_client("b1") == client("tb", "b1")
            assert tx.get_client("nope") is None
            assert [c.client_id for c in tx.list_clients("ta")] == ["a1", "a2"]
            assert [c.client_id for c in tx.list_clients("tb")] == ["b1"]
        with store.transaction(write=True) as tx:
            assert tx.revoke_client("a1", 99) is True
            assert tx.revoke_client("a1", 100) is False
            assert tx.revoke_client("nope", 100) is False
        with store.transaction() as tx:
            revoked = tx.get_client("a1")
            assert revoked is not None and revoked.revoked_at == 99
            untouched = tx.get_client("a2")
            assert untouched is not None and untouched.revoked_at is None

    # conversations
    def test_conversation_crud(self, store: Store) -> None:
        """A conversation is added with its keys, read, updated field by field and deleted."""
        seed(store, "ta", "c1")
        with store.transaction() as tx:
            assert tx.get_conversation("ta", "c1") == conversation("ta", "c1")
            assert tx.get_conversation("ta", "nope") is None
        with store.transaction(write=True) as tx:
            assert tx.update_conversation("ta", "c1", metadata=b"new-meta") is True
            assert tx.update_conversation("ta", "c1", classification="restricted") is True
            assert tx.update_conversation("ta", "nope", metadata=b"x") is False
        with store.transaction() as tx:
            found = tx.get_conversation("ta", "c1")
            assert found is not None
            assert (found.metadata, found.classification) == (b"new-meta", "restricted")
            assert found.owner_tag == b"owner\x00tag"

    def test_conversation_with_keys(self, store: Store) -> None:
        """A conversation comes with its keys in namespace order, or with none."""
        seed(store, "ta", "c1")
        with store.transaction(write=True) as tx:
            tx.insert_conversation(conversation("ta", "bare"), [])
        with store.transaction() as tx:
            assert tx.get_conversation_with_keys("ta", "c1") == (
                conversation("ta", "c1"),
                [data_key("ta", "c1", "content"), data_key("ta", "c1", "prompts")],
            )
            assert tx.get_conversation_with_keys("ta", "bare") == (conversation("ta", "bare"), [])
            assert tx.get_conversation_with_keys("ta", "nope") is None

    def test_delete_conversation_shreds_keys_and_items(self, store: Store) -> None:
        """Deleting a conversation removes its items and its wrapped data keys."""
        seed(store, "ta", "c1", items=4)
        seed(store, "tb", "c1", items=1)
        with store.transaction(write=True) as tx:
            tx.insert_conversation(conversation("ta", "c2"), [data_key("ta", "c2")])
            append(tx, "ta", "c2", 2)
        with store.transaction(write=True) as tx:
            assert tx.delete_conversation("ta", "c1") == 4
            assert tx.delete_conversation("ta", "c1") == 0
        with store.transaction() as tx:
            assert tx.get_conversation("ta", "c1") is None
            assert tx.data_keys("ta", "c1") == []
            assert tx.list_items("ta", "c1", after_position=None, limit=10, descending=False) == []
            assert tx.get_item("ta", "c1", "c1-i0") is None
            assert (
                len(tx.list_items("ta", "c2", after_position=None, limit=10, descending=False)) == 2
            )
            assert tx.data_keys("ta", "c2") == [data_key("ta", "c2")]
            assert tx.get_conversation("tb", "c1") is not None

    # data keys
    def test_data_keys(self, store: Store) -> None:
        """Keys are listed by namespace; a later namespace can be added."""
        seed(store, "ta", "c1")
        with store.transaction() as tx:
            assert [k.namespace for k in tx.data_keys("ta", "c1")] == ["content", "prompts"]
        with store.transaction(write=True) as tx:
            tx.insert_data_key(data_key("ta", "c1", "audio"))
        with store.transaction() as tx:
            assert tx.data_keys("ta", "c1") == [
                data_key("ta", "c1", "audio"),
                data_key("ta", "c1", "content"),
                data_key("ta", "c1", "prompts"),
            ]

    def test_replace_data_key_is_compare_and_set(self, store: Store) -> None:
        """A rewrap lands only if the key is still the one the caller read."""
        seed(store, "ta", "c1")
        old = data_key("ta", "c1", "content", 1)
        new = data_key("ta", "c1", "content", 2)
        with store.transaction(write=True) as tx:
            assert tx.replace_data_key(new, expected_wrapped=b"stale") is False
            assert tx.replace_data_key(new, expected_wrapped=old.wrapped) is True
            assert (
                tx.replace_data_key(
                    data_key("ta", "c1", "content", 3), expected_wrapped=old.wrapped
                )
                is False
            )
        with store.transaction() as tx:
            assert tx.data_keys("ta", "c1")[0] == DataKeyRow(
                "ta", "c1", "content", 2, new.wrapped, old.created_at
            )

    def test_iter_data_keys_by_version(self, store: Store) -> None:
        """Keys below a version come by version, conversation, namespace, up to a limit."""
        with store.transaction(write=True) as tx:
            tx.insert_tenant(tenant("ta"))
            tx.insert_conversation(
                conversation("ta", "c2"),
                [data_key("ta", "c2", "content", 1), data_key("ta", "c2", "prompts", 3)],
            )
            tx.insert_conversation(
                conversation("ta", "c1"),
                [data_key("ta", "c1", "content", 2), data_key("ta", "c1", "prompts", 1)],
            )
            tx.insert_tenant(tenant("tb"))
            tx.insert_conversation(conversation("tb", "c0"), [data_key("tb", "c0", "content", 1)])
        with store.transaction() as tx:
            got = tx.iter_data_keys("ta", 3, 10)
            assert [(k.conversation_id, k.namespace, k.kek_version) for k in got] == [
                ("c1", "prompts", 1),
                ("c2", "content", 1),
                ("c1", "content", 2),
            ]
            assert len(tx.iter_data_keys("ta", 3, 2)) == 2
            assert tx.iter_data_keys("ta", 1, 10) == []

    def test_data_keys_page_walks_by_key(self, store: Store) -> None:
        """Pages of keys below a version follow (conversation, namespace) after a cursor."""
        with store.transaction(write=True) as tx:
            tx.insert_tenant(tenant("ta"))
            for cid, versions in (("c2", (1, 5)), ("c1", (2, 1)), ("c3", (1, 1))):
                keys = [
                    data_key("ta", cid, ns, v)
                    for ns, v in zip(("content", "prompts"), versions, strict=True)
                ]
                tx.insert_conversation(conversation("ta", cid), keys)
            tx.insert_tenant(tenant("tb"))
            tx.insert_conversation(conversation("tb", "c0"), [data_key("tb", "c0")])

        def walk(size: int) -> list[tuple[str, str]]:
            seen: list[tuple[str, str]] = []
            after: tuple[str, str] | None = None
            with store.transaction() as tx:
                while page := tx.data_keys_page("ta", 3, after, size):
                    seen += [(k.conversation_id, k.namespace) for k in page]
                    after = seen[-1]
            return seen

        expected = [
            ("c1", "content"),
            ("c1", "prompts"),
            ("c2", "content"),
            ("c3", "content"),
            ("c3", "prompts"),
        ]
        assert walk(2) == expected
        assert walk(100) == expected
        with store.transaction() as tx:
            assert tx.data_keys_page("ta", 3, ("c2", "content"), 10)[0].conversation_id == "c3"

    def test_replace_data_keys_in_bulk(self, store: Store) -> None:
        """Bulk rewraps swap only keys still as expected, of the named tenant, and count them."""
        seed(store, "ta", "c1")
        seed(store, "tb", "c1")
        old_content, old_prompts = data_key("ta", "c1", "content"), data_key("ta", "c1", "prompts")
        swaps = [
            (data_key("ta", "c1", "content", 2), old_content.wrapped),
            (data_key("ta", "c1", "prompts", 2), b"stale"),
            (data_key("tb", "c1", "content", 2), data_key("tb", "c1", "content").wrapped),
        ]
        with store.transaction(write=True) as tx:
            assert tx.replace_data_keys("ta", swaps) == 1
            assert tx.replace_data_keys("ta", []) == 0
        with store.transaction() as tx:
            assert tx.data_keys("ta", "c1") == [
                DataKeyRow(
                    "ta",
                    "c1",
                    "content",
                    2,
                    data_key("ta", "c1", "content", 2).wrapped,
                    old_content.created_at,
                ),
                old_prompts,
            ]
            assert tx.data_keys("tb", "c1")[0] == data_key("tb", "c1", "content")

    def test_count_data_keys_and_rewrap_index_key(self, store: Store) -> None:
        """Keys are counted per KEK version; a tenant's index key is replaced in place."""
        seed(store, "ta", "c1")
        seed(store, "tb", "c1")
        with store.transaction(write=True) as tx:
            tx.insert_conversation(conversation("ta", "c2"), [data_key("ta", "c2", "content", 3)])
            tx.update_tenant_index_key("ta", b"rewrapped-index-key", 3)
        with store.transaction() as tx:
            assert tx.count_data_keys("ta") == {1: 2, 3: 1}
            assert tx.count_data_keys("nobody") == {}
            found = tx.get_tenant("name-ta")
            assert found is not None
            assert (found.index_key, found.index_key_version) == (b"rewrapped-index-key", 3)
            assert tx.get_tenant("name-tb") == tenant("tb")

    def test_enqueue_audit_is_part_of_the_transaction(self, store: Store) -> None:
        """Queuing audit events succeeds in a write transaction, beside the change it records."""
        seed(store, "ta", "c1")
        with store.transaction(write=True) as tx:
            tx.enqueue_audit(b'{"type":"item.append"}')
            append(tx, "ta", "c1", 1)
            tx.enqueue_audit(b'{"type":"item.append"}')
        with store.transaction() as tx:
            assert (
                len(tx.list_items("ta", "c1", after_position=None, limit=10, descending=False)) == 1
            )

    # items
    def test_open_for_append(self, store: Store) -> None:
        """Opening for append returns the conversation, the position after its last item and its keys."""
        seed(store, "ta", "c1")
        keys = [data_key("ta", "c1", "content"), data_key("ta", "c1", "prompts")]
        with store.transaction(write=True) as tx:
            assert tx.open_for_append("ta", "c1") == (conversation("ta", "c1"), 0, keys)
            tx.insert_items([item("ta", "c1", p) for p in range(3)])
            assert tx.open_for_append("ta", "c1") == (conversation("ta", "c1"), 3, keys)
            assert tx.open_for_append("ta", "nope") is None
        with store.transaction(write=True) as tx:
            assert tx.delete_item("ta", "c1", "c1-i1") is True
            opened = tx.open_for_append("ta", "c1")
            assert opened is not None and opened[1] == 3
            tx.insert_conversation(conversation("ta", "bare"), [])
            assert tx.open_for_append("ta", "bare") == (conversation("ta", "bare"), 0, [])

    def test_list_items(self, store: Store) -> None:
        """Pages go by position both ways, after a cursor, up to a limit."""
        seed(store, "ta", "c1", items=6)
        with store.transaction(write=True) as tx:
            assert tx.delete_item("ta", "c1", "c1-i2") is True

        def positions(after: int | None, limit: int, descending: bool) -> list[int]:
            with store.transaction() as tx:
                rows = tx.list_items(
                    "ta", "c1", after_position=after, limit=limit, descending=descending
                )
            return [r.position for r in rows]

        assert positions(None, 10, False) == [0, 1, 3, 4, 5]
        assert positions(None, 10, True) == [5, 4, 3, 1, 0]
        assert positions(None, 2, False) == [0, 1]
        assert positions(1, 2, False) == [3, 4]
        assert positions(4, 10, True) == [3, 1, 0]
        assert positions(5, 10, False) == []
        assert positions(0, 10, True) == []
        assert positions(-1, 1, False) == [0]

    def test_read_page(self, store: Store) -> None:
        """One call reads the conversation, its keys and a page after an item, either way."""
        seed(store, "ta", "c1", items=6)
        seed(store, "tb", "c1", items=2)
        with store.transaction(write=True) as tx:
            assert tx.delete_item("ta", "c1", "c1-i2") is True

        def page(after: str | None, limit: int, descending: bool) -> tuple[list[int], bool]:
            with store.transaction() as tx:
                read = tx.read_page(
                    "ta", "c1", after_item=after, limit=limit, descending=descending
                )
            assert read is not None
            assert read.conversation == conversation("ta", "c1")
            assert sorted(k.namespace for k in read.keys) == ["content", "prompts"]
            # Page rows are (item id, position, sealed, type, role), in the order opening needs.
            for listed in read.items:
                full = item("ta", "c1", listed[1])
                assert listed == (
                    full.item_id,
                    full.position,
                    full.sealed,
                    full.item_type,
                    full.role,
                )
            return [listed[1] for listed in read.items], read.after_found

        assert page(None, 10, False) == ([0, 1, 3, 4, 5], True)
        assert page(None, 2, True) == ([5, 4], True)
        assert page("c1-i1", 2, False) == ([3, 4], True)
        assert page("c1-i4", 10, True) == ([3, 1, 0], True)
        assert page("c1-i5", 10, False) == ([], True)
        assert page("c1-i2", 10, False) == ([], False)  # deleted: not in the conversation
        assert page("c9-i1", 10, True) == ([], False)
        with store.transaction() as tx:
            assert tx.read_page("ta", "c9", after_item=None, limit=5, descending=True) is None
            # Another tenant's conversation of the same id is not this tenant's.
            assert tx.read_page("tc", "c1", after_item=None, limit=5, descending=True) is None

    def test_items_round_trip(self, store: Store) -> None:
        """Every byte of a sealed item and a missing role come back unchanged."""
        seed(store, "ta", "c1")
        row = ItemRow("ta", "c1", 0, "it-x", "function_call", None, 7, ALL_BYTES * 5)
        with store.transaction(write=True) as tx:
            opened = tx.open_for_append("ta", "c1")
            assert opened is not None and opened[1] == 0
            tx.insert_items([row])
        with store.transaction() as tx:
            assert tx.get_item("ta", "c1", "it-x") == row
            assert tx.list_items("ta", "c1", after_position=None, limit=1, descending=False) == [
                row
            ]

    def test_get_and_delete_item(self, store: Store) -> None:
        """An item is found by id with its position, and deleted once."""
        seed(store, "ta", "c1", items=3)
        with store.transaction() as tx:
            assert tx.get_item("ta", "c1", "c1-i1") == item("ta", "c1", 1)
            assert tx.item_position("ta", "c1", "c1-i1") == 1
            assert tx.get_item("ta", "c1", "nope") is None
            assert tx.item_position("ta", "c1", "nope") is None
            assert tx.get_item("ta", "c2", "c1-i1") is None
        with store.transaction(write=True) as tx:
            assert tx.delete_item("ta", "c1", "c1-i1") is True
            assert tx.delete_item("ta", "c1", "c1-i1") is False
        with store.transaction() as tx:
            assert tx.get_item("ta", "c1", "c1-i1") is None
            assert tx.get_item("ta", "c1", "c1-i2") == item("ta", "c1", 2)

    # isolation
    def test_tenant_isolation(self, store: Store) -> None:
        """No call made for tenant B returns or changes a row of tenant A."""
        seed(store, "ta", "shared", items=2)
        seed(store, "tb", "other", items=1)
        with store.transaction(write=True) as tx:
            tx.insert_client(client("ta", "client-a"))
        with store.transaction(write=True) as tx:
            assert tx.get_conversation("tb", "shared") is None
            assert tx.data_keys("tb", "shared") == []
            assert tx.iter_data_keys("tb", 99, 100) == [
                data_key("tb", "other", "content"),
                data_key("tb", "other", "prompts"),
            ]
            assert (
                tx.list_items("tb", "shared", after_position=None, limit=10, descending=False) == []
            )
            assert tx.get_item("tb", "shared", "shared-i0") is None
            assert tx.item_position("tb", "shared", "shared-i0") is None
            assert tx.list_clients("tb") == []
            assert tx.count_data_keys("tb") == {1: 2}
            tx.update_tenant_index_key("tb", b"tb-key", 2)
            assert tx.open_for_append("tb", "shared") is None
            assert tx.get_conversation_with_keys("tb", "shared") is None
            assert tx.update_conversation("tb", "shared", metadata=b"x") is False
            assert (
                tx.replace_data_key(
                    data_key("tb", "shared", "content", 9),
                    expected_wrapped=data_key("ta", "shared").wrapped,
                )
                is False
            )
            assert tx.delete_item("tb", "shared", "shared-i0") is False
            assert tx.delete_conversation("tb", "shared") == 0
            assert tx.delete_tenant("tb") == 1
        with store.transaction() as tx:
            assert tx.get_conversation("ta", "shared") == conversation("ta", "shared")
            assert (
                len(tx.list_items("ta", "shared", after_position=None, limit=10, descending=False))
                == 2
            )
            assert tx.data_keys("ta", "shared")[0] == data_key("ta", "shared", "content")
            assert [c.client_id for c in tx.list_clients("ta")] == ["client-a"]

    def test_one_transaction_serves_several_tenants(self, store: Store) -> None:
        """Calls for different tenants in one transaction each see their own rows."""
        seed(store, "ta", "c1", items=1)
        seed(store, "tb", "c1", items=3)
        with store.transaction() as tx:
            for tenant_id, count in (("ta", 1), ("tb", 3), ("ta", 1)):
                rows = tx.list_items(
                    tenant_id, "c1", after_position=None, limit=10, descending=False
                )
                assert [r.tenant_id for r in rows] == [tenant_id] * count

    def test_rollback_on_exception(self, store: Store) -> None:
        """An exception inside a transaction leaves nothing behind."""
        seed(store, "ta", "c1", items=1)

        class Boom(Exception):
            pass

        def write_then_fail() -> None:
            with store.transaction(write=True) as tx:
                tx.insert_tenant(tenant("tb"))
                tx.insert_conversation(conversation("ta", "c2"), [data_key("ta", "c2")])
                append(tx, "ta", "c1", 2)
                tx.update_tenant_settings("ta", '{"changed": true}')
                raise Boom

        with pytest.raises(Boom):
            write_then_fail()
        with store.transaction() as tx:
            assert tx.get_tenant("name-tb") is None
            assert tx.get_conversation("ta", "c2") is None
            assert tx.data_keys("ta", "c2") == []
            assert (
                len(tx.list_items("ta", "c1", after_position=None, limit=10, descending=False)) == 1
            )
            found = tx.get_tenant("name-ta")
            assert found is not None and found.settings == tenant("ta").settings

    # concurrency
    def test_concurrent_appends_to_one_conversation(self, store: Store) -> None:
        """16 writers appending to one conversation get unique, dense positions and no deadlock."""
        seed(store, "ta", "c1")
        writers, rounds, batch = 16, 5, 2

        def work(i: int) -> None:
            for _ in range(rounds):
                with store.transaction(write=True) as tx:
                    append(tx, "ta", "c1", batch)

        assert run_threads(writers, work) == []
        total = writers * rounds * batch
        with store.transaction() as tx:
            rows = tx.list_items(
                "ta", "c1", after_position=None, limit=total + 10, descending=False
            )
        assert [r.position for r in rows] == list(range(total))
        assert len({r.item_id for r in rows}) == total

    def test_concurrent_rewrap_has_one_winner(self, store: Store) -> None:
        """Of 16 concurrent compare-and-set swaps from the same key, exactly one lands."""
        seed(store, "ta", "c1")
        old = data_key("ta", "c1", "content", 1)
        won: list[int] = []
        lock = threading.Lock()

        def work(i: int) -> None:
            new = DataKeyRow("ta", "c1", "content", 2, f"rewrapped-{i}".encode(), old.created_at)
            with store.transaction(write=True) as tx:
                if tx.replace_data_key(new, expected_wrapped=old.wrapped):
                    with lock:
                        won.append(i)

        assert run_threads(16, work) == []
        assert len(won) == 1
        with store.transaction() as tx:
            assert tx.data_keys("ta", "c1")[0].wrapped == f"rewrapped-{won[0]}".encode()
