"""The schema v3 part of the Store contract: token vault, legal holds, deletions, receipts."""

from __future__ import annotations

import pytest

from chatseal.errors import Conflict
from chatseal.store.base import ConversationRow, Store
from chatseal.store.minimisation import DeletionRow, HoldRow, ReceiptRow, VaultRow


def _conversation(
    tenant_id: str, conversation_id: str, created_at: int, tier: str, owner: bytes
) -> ConversationRow:
    return ConversationRow(tenant_id, conversation_id, created_at, tier, owner, b"meta")


def _tenant_with_conversations(store: Store, tenant_id: str) -> None:
    from store.contract import tenant

    with store.transaction(write=True) as tx:
        tx.insert_tenant(tenant(tenant_id))
        for cid, created, tier, owner in (
            ("c3", 30, "internal", b"alice"),
            ("c1", 10, "internal", b"bob"),
            ("c2", 20, "restricted", b"alice"),
            ("c4", 40, "internal", b"alice"),
        ):
            tx.insert_conversation(_conversation(tenant_id, cid, created, tier, owner), [])


class MinimisationContract:
    """Schema v3 behaviour every Store backend must show."""

    def test_vault_entries(self, store: Store) -> None:
        """Vault entries keep the first original per token, come back in the order asked, go with their conversation."""
        _tenant_with_conversations(store, "ta")
        with store.transaction(write=True) as tx:
            tx.insert_vault_entries(
                [VaultRow("ta", "c1", b"t1", b"first", 1), VaultRow("ta", "c1", b"t2", b"two", 1)]
            )
            tx.insert_vault_entries(
                [
                    VaultRow("ta", "c1", b"t1", b"second", 2),
                    VaultRow("ta", "c2", b"t1", b"other", 1),
                ]
            )
        with store.transaction() as tx:
            got = tx.get_vault_entries("ta", "c1", [b"t2", b"missing", b"t1", b"t2"])
            assert got == [
                VaultRow("ta", "c1", b"t2", b"two", 1),
                VaultRow("ta", "c1", b"t1", b"first", 1),
            ]
            assert tx.get_vault_entries("ta", "c1", []) == []
            assert tx.get_vault_entries("tb", "c1", [b"t1"]) == []
        with store.transaction(write=True) as tx:
            tx.delete_conversation("ta", "c1")
        with store.transaction() as tx:
            assert tx.get_vault_entries("ta", "c1", [b"t1", b"t2"]) == []
            assert len(tx.get_vault_entries("ta", "c2", [b"t1"])) == 1

    def test_expiry_and_owner_scans(self, store: Store) -> None:
        """Conversations of a tier come oldest first up to a time and a limit; an owner's come all."""
        _tenant_with_conversations(store, "ta")
        _tenant_with_conversations(store, "tb")
        with store.transaction() as tx:
            old = tx.conversations_created_before("ta", "internal", 30, 10)
            assert [c.conversation_id for c in old] == ["c1", "c3"]
            assert [
                c.conversation_id for c in tx.conversations_created_before("ta", "internal", 99, 2)
            ] == ["c1", "c3"]
            assert tx.conversations_created_before("ta", "public", 99, 10) == []
            assert [c.conversation_id for c in tx.conversations_of_owner("ta", b"alice")] == [
                "c2",
                "c3",
                "c4",
            ]
            assert tx.conversations_of_owner("ta", b"carol") == []
            assert all(c.tenant_id == "ta" for c in tx.conversations_of_owner("ta", b"alice"))

    def test_item_counts(self, store: Store) -> None:
        """Items are counted per conversation, and for every conversation of a tenant."""
        from store.contract import append

        _tenant_with_conversations(store, "ta")
        with store.transaction(write=True) as tx:
            append(tx, "ta", "c1", 3)
            append(tx, "ta", "c3", 1)
        with store.transaction() as tx:
            assert tx.count_items("ta", "c1") == 3
            assert tx.count_items("ta", "nope") == 0
            assert tx.conversation_item_counts("ta") == {"c1": 3, "c2": 0, "c3": 1, "c4": 0}
            assert tx.conversation_item_counts("tb") == {}

    def test_legal_holds(self, store: Store) -> None:
        """Holds are added once, listed oldest first, released once and kept."""
        _tenant_with_conversations(store, "ta")
        with store.transaction(write=True) as tx:
            tx.insert_hold(HoldRow("ta", "h2", "c1", b"reason", 20))
            tx.insert_hold(HoldRow("ta", "h1", None, b"tenant-wide", 10))
            with pytest.raises(Conflict):
                tx.insert_hold(HoldRow("ta", "h1", None, b"again", 30))
            assert [h.hold_id for h in tx.list_holds("ta")] == ["h1", "h2"]
        with store.transaction(write=True) as tx:
            assert tx.release_hold("ta", "h1", 50) is True
            assert tx.release_hold("ta", "h1", 60) is False
            assert tx.release_hold("tb", "h2", 60) is False
        with store.transaction() as tx:
            assert tx.list_holds("ta") == [
                HoldRow("ta", "h1", None, b"tenant-wide", 10, 50),
                HoldRow("ta", "h2", "c1", b"reason", 20),
            ]
            assert tx.list_holds("tb") == []

    def test_deletions_and_adherence(self, store: Store) -> None:
        """Deletions are recorded (a repeat replaces), and adherence counts those done within the SLA."""
        with store.transaction(write=True) as tx:
            tx.insert_deletions(
                [
                    DeletionRow("ta", "h1", "expiry", 100, 150, "r1"),
                    DeletionRow("ta", "h2", "expiry", 100, 400, "r1"),
                    DeletionRow("ta", "h3", "erasure", None, 10, "r2"),
                    DeletionRow("tb", "h1", "expiry", 100, 100, "r9"),
                ]
            )
        with store.transaction() as tx:
            assert tx.deletion_adherence("ta", "expiry", 60) == (2, 1)
            assert tx.deletion_adherence("ta", "erasure", 60) == (0, 0)
        with store.transaction(write=True) as tx:
            tx.insert_deletions([DeletionRow("ta", "h2", "expiry", 100, 120, "r3")])
        with store.transaction() as tx:
            assert tx.deletion_adherence("ta", "expiry", 60) == (2, 2)
            assert tx.deletion_adherence("tb", "expiry", 0) == (1, 1)

    def test_receipts(self, store: Store) -> None:
        """Receipts are found by id and listed newest first up to a limit, per tenant."""
        with store.transaction(write=True) as tx:
            for i, created in enumerate((10, 30, 20)):
                tx.insert_receipt(ReceiptRow("ta", f"r{i}", "expiry", created, f"note {i}"))
            tx.insert_receipt(ReceiptRow("tb", "r9", "erasure", 99, "other"))
        with store.transaction() as tx:
            assert tx.get_receipt("ta", "r1") == ReceiptRow("ta", "r1", "expiry", 30, "note 1")
            assert tx.get_receipt("tb", "r1") is None
            assert [r.receipt_id for r in tx.list_receipts("ta", 10)] == ["r1", "r2", "r0"]
            assert [r.receipt_id for r in tx.list_receipts("ta", 2)] == ["r1", "r2"]

    def test_delete_tenant_removes_minimisation_rows(self, store: Store) -> None:
        """Deleting a tenant takes its vault, holds, deletions and receipts, and no one else's."""
        for t in ("ta", "tb"):
            _tenant_with_conversations(store, t)
            with store.transaction(write=True) as tx:
                tx.insert_vault_entries([VaultRow(t, "c1", b"t", b"s", 1)])
                tx.insert_hold(HoldRow(t, "h", None, b"s", 1))
                tx.insert_deletions([DeletionRow(t, "x", "expiry", 1, 2, "r")])
                tx.insert_receipt(ReceiptRow(t, "r", "expiry", 2, "n"))
        with store.transaction(write=True) as tx:
            assert tx.delete_tenant("ta") == 4
        with store.transaction() as tx:
            assert tx.get_vault_entries("ta", "c1", [b"t"]) == []
            assert tx.list_holds("ta") == []
            assert tx.deletion_adherence("ta", "expiry", 9) == (0, 0)
            assert tx.list_receipts("ta", 9) == []
            assert len(tx.get_vault_entries("tb", "c1", [b"t"])) == 1
            assert len(tx.list_holds("tb")) == 1
            assert tx.get_receipt("tb", "r") is not None
