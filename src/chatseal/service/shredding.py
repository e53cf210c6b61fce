"""Crypto-shredding with proof, shared by retention and erasure.

`shred` deletes a conversation's rows, token-vault entries and wrapped data keys inside the
caller's write transaction (the store's delete path, as `Conversations.delete`);
`record_receipt` signs and stores the receipt with one deletion row per conversation and
`audit_purge` queues the audit events, both in that same transaction, so no conversation is
destroyed without its record. `forget_keys` runs after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatseal.keys import WrappedKey
from chatseal.model import Principal
from chatseal.service.minimisation import derive_secret
from chatseal.service.receipts import Receipt, ReceiptSigner, key_ids, salted_hash
from chatseal.service.sealing import data_key_context
from chatseal.store import DataKeyRow
from chatseal.store.minimisation import DeletionRow, ReceiptRow

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal, TenantKeys
    from chatseal.store import StoreTx


def iso(ts: int | None) -> str | None:
    """RFC 3339 UTC for a Unix time."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Destroyed:
    """What one shredded conversation held, for its receipt."""

    conversation_id: str
    classification: str
    items: int
    keys: list[DataKeyRow]
    due_at: int | None


def shred(
    tx: StoreTx, tenant_id: str, conversation_id: str, due_at: int | None = None
) -> Destroyed | None:
    """Delete a conversation's rows, vault entries and wrapped data keys inside `tx`."""
    found = tx.get_conversation_with_keys(tenant_id, conversation_id)
    if found is None:
        return None
    row, keys = found
    items = tx.count_items(tenant_id, conversation_id)
    tx.delete_conversation(tenant_id, conversation_id)
    return Destroyed(conversation_id, row.classification, items, keys, due_at)


def forget_keys(seal: ChatSeal, tenant_id: str, destroyed: list[Destroyed]) -> None:
    """After the commit: drop the destroyed data keys from the cache and fold the WAL."""
    for gone in destroyed:
        for key in gone.keys:
            context = data_key_context(tenant_id, gone.conversation_id, key.namespace)
            seal.cache.forget(tenant_id, WrappedKey(key.kek_version, key.wrapped), context)
    if destroyed:
        # No copy of a wrapped data key may linger in the WAL (secure_delete zeroes the pages).
        seal.store.compact()


def audit_purge(
    seal: ChatSeal,
    tx: StoreTx,
    tenant: str,
    action: str,
    receipt: Receipt,
    destroyed: list[Destroyed],
    subject: str | None = None,
) -> bytes | None:
    """Queue the purge's audit events in its transaction: one `conversation.delete` and its
    `key.destroy` events per conversation, then one `retention.purge` leaf naming the receipt
    (id and SHA-256 of the signed note). Returns that leaf's bytes (None with no audit log)."""
    audit = seal.audit
    if audit is None:
        return None
    system = Principal(
        tenant, f"system:{action}", frozenset({"retention"}), credential_kind="local"
    )
    actor = audit.actor(system)
    request_id = seal.ids.new("req")
    reason = "retention-policy" if action == "retention.purge" else "erasure-request"

    def event(kind: str, name: str, resource: dict[str, str | int]) -> bytes:
        return audit.event(
            kind,
            actor,
            name,
            True,
            reason,
            seal.policy_version,
            request_id,
            {"tenant": tenant, **resource},
        )

    for gone in destroyed:
        tx.enqueue_audit(
            event(
                "conversation.delete",
                action,
                {"conversation": gone.conversation_id, "item_count": gone.items},
            )
        )
        for key in gone.keys:
            tx.enqueue_audit(
                event(
                    "key.destroy",
                    "key.destroy",
                    {
                        "conversation": gone.conversation_id,
                        "key": key.namespace,
                        "key_version": key.kek_version,
                    },
                )
            )
    summary: dict[str, str | int] = {
        "receipt": f"{receipt.receipt_id}:{receipt.digest}",
        "item_count": len(destroyed),
    }
    if subject is not None:
        summary["subject"] = audit.hasher.hash(subject)
    leaf = event("retention.purge", action, summary)
    tx.enqueue_audit(leaf)
    return leaf


def audit_index(seal: ChatSeal, leaf: bytes | None, search: int = 10_000) -> int | None:
    """Integrate the queue and return the index of `leaf` among the newest `search` leaves."""
    audit = seal.audit
    if audit is None or leaf is None:
        return None
    audit.checkpoint()
    size = audit.tree.size
    start = max(0, size - search)
    for offset, data in enumerate(reversed(audit.tree.entries(start, size))):
        if data == leaf:
            return size - 1 - offset
    return None


def receipt_body(
    kind: str, tenant: TenantKeys, at: int, salt: bytes, destroyed: list[Destroyed]
) -> dict[str, Any]:
    """A receipt's body: salted id hashes, counts and key ids; never content or identities."""
    listed = []
    for gone in sorted(destroyed, key=lambda d: salted_hash(salt, d.conversation_id)):
        entry: dict[str, Any] = {
            "id": salted_hash(salt, gone.conversation_id),
            "classification": gone.classification,
            "items": gone.items,
            "data_keys": key_ids(gone.keys),
        }
        if gone.due_at is not None:
            entry["due_at"] = iso(gone.due_at)
        listed.append(entry)
    return {
        "kind": kind,
        "tenant_id": tenant.row.tenant_id,
        "tenant": tenant.row.name,
        "destroyed_at": iso(at),
        "salt": salt.hex(),
        "method": "crypto-shred: wrapped data keys and sealed rows deleted, WAL truncated",
        "conversations": listed,
        "counts": {
            "conversations": len(destroyed),
            "items": sum(d.items for d in destroyed),
            "data_keys": sum(len(d.keys) for d in destroyed),
        },
    }


def record_receipt(
    seal: ChatSeal,
    tx: StoreTx,
    signer: ReceiptSigner,
    kind: str,
    tenant: TenantKeys,
    destroyed: list[Destroyed],
    extra: dict[str, Any] | None = None,
    salt: bytes | None = None,
) -> Receipt:
    """Sign a receipt for `destroyed` and store it with one deletion row per conversation."""
    at = seal.now()
    salt = salt or signer.new_salt()
    body = receipt_body(kind, tenant, at, salt, destroyed)
    body.update(extra or {})
    receipt = signer.sign(seal.ids.new("rcpt"), body)
    tenant_id = tenant.row.tenant_id
    # The adherence table keeps its own hash (a tenant-keyed one, stable across receipts).
    tag_key = derive_secret(tenant.index_key, tenant_id, "deletion-tag.v1")
    tx.insert_deletions(
        [
            DeletionRow(
                tenant_id,
                salted_hash(tag_key, d.conversation_id),
                kind,
                d.due_at,
                at,
                receipt.receipt_id,
            )
            for d in destroyed
        ]
    )
    tx.insert_receipt(ReceiptRow(tenant_id, receipt.receipt_id, kind, at, receipt.note))
    return receipt
