"""Retention: expiry from tier and tenant, legal holds, purges by crypto-shredding, receipts.

A conversation expires `retention_days` (its tier's policy for its tenant, see
`chatseal.service.minimisation`) after it was created; the policy is read at run time, so a
change applies at once, and a raised tier takes the new tier's period. A legal hold (on the whole
tenant or on one conversation, with a reason and an owner) stops expiry while it is active; when
it is released, the conversation falls due at once (its due time is the later of its expiry and
the release). `run(at)` purges what is due: in one write transaction per tenant batch it deletes
each conversation's rows and wrapped data keys (the store's delete path, as
`Conversations.delete`), records a deletion per conversation and stores one signed receipt
(`chatseal.service.receipts`); then it drops the keys from the cache and folds the WAL.

Adherence is the share of conversations that fell due and were purged within the SLA
(`[retention] sla_hours`), counting today's backlog older than the SLA as misses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatseal.crypto import RecordAddress
from chatseal.errors import InvalidRequest, NotFound
from chatseal.model import CLASSIFICATIONS
from chatseal.service.minimisation import derive_secret
from chatseal.service.receipts import Receipt, ReceiptSigner
from chatseal.service.sealing import open_json, seal_json
from chatseal.service.shredding import (
    Destroyed,
    audit_purge,
    forget_keys,
    iso,
    record_receipt,
    shred,
)
from chatseal.store import ConversationRow
from chatseal.store.minimisation import HoldRow, ReceiptRow

if TYPE_CHECKING:
    from chatseal.crypto import DataKey
    from chatseal.service.chatseal import ChatSeal, TenantKeys

DEFAULT_SLA_HOURS = 24
DEFAULT_BATCH = 500
# Bounds one status scan; a larger backlog is reported as "at least" this many.
SCAN_LIMIT = 100_000
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Hold:
    """A legal hold as an operator sees it."""

    hold_id: str
    tenant: str
    conversation_id: str | None
    reason: str
    owner: str
    created_at: int
    released_at: int | None

    def active(self, at: int) -> bool:
        """Whether the hold stops expiry at time `at`."""
        return self.created_at <= at and (self.released_at is None or self.released_at > at)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape."""
        return {
            "id": self.hold_id,
            "tenant": self.tenant,
            "scope": "conversation" if self.conversation_id else "tenant",
            "conversation_id": self.conversation_id,
            "reason": self.reason,
            "owner": self.owner,
            "created_at": iso(self.created_at),
            "released_at": iso(self.released_at),
        }


@dataclass(frozen=True)
class Expired:
    """A conversation past its expiry: when it fell due, and whether a hold keeps it."""

    row: ConversationRow
    expires_at: int
    due_at: int
    held: bool


class Retention:
    """`chatseal retention …`: holds, purge runs and status."""

    def __init__(self, seal: ChatSeal, signer: ReceiptSigner | None = None) -> None:
        self._seal = seal
        self._signer = signer
        section = seal.config.section("retention") if seal.config is not None else {}
        self.sla_seconds = int(float(section.get("sla_hours", DEFAULT_SLA_HOURS)) * 3600)
        self.batch = int(section.get("batch_size", DEFAULT_BATCH))
        if self.sla_seconds < 0 or self.batch < 1:
            raise InvalidRequest("retention sla_hours must be ≥ 0 and batch_size ≥ 1")

    @property
    def signer(self) -> ReceiptSigner:
        """The receipt signer (loaded on first use)."""
        if self._signer is None:
            self._signer = ReceiptSigner.for_seal(self._seal)
        return self._signer

    # -- legal holds ---------------------------------------------------------------------

    def hold(
        self, tenant: str, *, reason: str, owner: str, conversation_id: str | None = None
    ) -> Hold:
        """Place a legal hold on a tenant, or on one of its conversations."""
        if not reason.strip() or not owner.strip():
            raise InvalidRequest("a legal hold needs a reason and an owner", param="reason")
        if len(reason) > MAX_REASON_CHARS or len(owner) > MAX_REASON_CHARS:
            raise InvalidRequest("reason and owner are at most 500 characters", param="reason")
        seal = self._seal
        keys = seal.tenant_keys(tenant)
        tenant_id = keys.row.tenant_id
        hold_id = seal.ids.new("hold")
        now = seal.now()
        sealed = seal_json(
            *self._hold_key(keys), _hold_address(tenant_id, hold_id), [reason, owner]
        )
        with seal.write() as tx:
            if (
                conversation_id is not None
                and tx.get_conversation(tenant_id, conversation_id) is None
            ):
                raise NotFound(
                    f"no conversation with id '{conversation_id}'", param="conversation_id"
                )
            tx.insert_hold(HoldRow(tenant_id, hold_id, conversation_id, sealed, now))
        return Hold(hold_id, tenant, conversation_id, reason, owner, now, None)

    def release(self, tenant: str, hold_id: str) -> Hold:
        """Release a hold: what it kept and is past expiry falls due now."""
        seal = self._seal
        tenant_id = seal.tenant_keys(tenant).row.tenant_id
        with seal.write() as tx:
            if not tx.release_hold(tenant_id, hold_id, seal.now()):
                raise NotFound(f"no active hold with id '{hold_id}'", param="hold_id")
        return next(h for h in self.holds(tenant, include_released=True) if h.hold_id == hold_id)

    def holds(self, tenant: str, *, include_released: bool = False) -> list[Hold]:
        """A tenant's holds (active ones only unless asked)."""
        keys = self._seal.tenant_keys(tenant)
        with self._seal.read() as tx:
            rows = tx.list_holds(keys.row.tenant_id)
        key = self._hold_key(keys)[0]
        found = []
        for row in rows:
            if row.released_at is not None and not include_released:
                continue
            reason, owner = open_json(key, _hold_address(row.tenant_id, row.hold_id), row.sealed)
            found.append(
                Hold(
                    row.hold_id,
                    tenant,
                    row.conversation_id,
                    reason,
                    owner,
                    row.created_at,
                    row.released_at,
                )
            )
        return found

    def _hold_key(self, keys: TenantKeys) -> tuple[DataKey, int]:
        from chatseal.crypto import DataKey

        raw = derive_secret(keys.index_key, keys.row.tenant_id, "holds.v1")
        return DataKey(raw), keys.row.index_key_version

    # -- expiry --------------------------------------------------------------------------

    def expired(self, tenant: str, at: int, limit: int = SCAN_LIMIT) -> list[Expired]:
        """Conversations of a tenant past expiry at `at`, oldest due first, held ones marked."""
        seal = self._seal
        keys = seal.tenant_keys(tenant)
        tenant_id = keys.row.tenant_id
        settings = json.loads(keys.row.settings)
        holds = self.holds(tenant, include_released=True)
        found: list[Expired] = []
        with seal.read() as tx:
            for tier in CLASSIFICATIONS:
                retention = seal.minimisation.policy(settings, tier).retention_seconds
                if retention is None:
                    continue
                for row in tx.conversations_created_before(tenant_id, tier, at - retention, limit):
                    found.append(_expired(row, row.created_at + retention, holds, at))
        found.sort(key=lambda e: (e.due_at, e.row.conversation_id))
        return found[:limit]

    def run(self, at: int | None = None, *, tenant: str | None = None) -> dict[str, Any]:
        """Purge every conversation that is due at `at` (default now); one receipt per batch."""
        seal = self._seal
        when = seal.now() if at is None else int(at)
        names = [tenant] if tenant else [t.name for t in seal.tenants.list()]
        result: dict[str, Any] = {"at": iso(when), "purged": 0, "held": 0, "receipts": []}
        for name in names:
            due = self.expired(name, when)
            result["held"] += sum(e.held for e in due)
            todo = [e for e in due if not e.held]
            for start in range(0, len(todo), self.batch):
                receipt = self._purge(name, todo[start : start + self.batch], when)
                if receipt is not None:
                    result["purged"] += receipt.body["counts"]["conversations"]
                    result["receipts"].append(receipt.receipt_id)
        return result

    def _purge(self, tenant: str, batch: list[Expired], at: int) -> Receipt | None:
        seal = self._seal
        keys = seal.tenant_keys(tenant)
        tenant_id = keys.row.tenant_id
        destroyed: list[Destroyed] = []
        with seal.write() as tx:
            # Re-read the holds under the write lock: a hold placed since the scan wins.
            active = [
                h for h in tx.list_holds(tenant_id) if h.released_at is None or h.released_at > at
            ]
            if any(h.conversation_id is None for h in active):
                return None
            held = {h.conversation_id for h in active}
            for entry in batch:
                if entry.row.conversation_id in held:
                    continue
                gone = shred(tx, tenant_id, entry.row.conversation_id, entry.due_at)
                if gone is not None:
                    destroyed.append(gone)
            if not destroyed:
                return None
            receipt = record_receipt(seal, tx, self.signer, "retention", keys, destroyed)
            audit_purge(seal, tx, tenant, "retention.purge", receipt, destroyed)
        forget_keys(seal, tenant_id, destroyed)
        return receipt

    # -- status --------------------------------------------------------------------------

    def status(self, at: int | None = None) -> dict[str, Any]:
        """Backlog, oldest overdue conversation and adherence, per tenant and in total."""
        seal = self._seal
        when = seal.now() if at is None else int(at)
        tenants: dict[str, Any] = {}
        total = {"backlog": 0, "held": 0, "purged": 0, "within_sla": 0, "late_backlog": 0}
        oldest: dict[str, Any] | None = None
        for tenant in seal.tenants.list():
            expired = self.expired(tenant.name, when)
            backlog = [e for e in expired if not e.held]
            late = [e for e in backlog if when - e.due_at > self.sla_seconds]
            with seal.read() as tx:
                purged, within = tx.deletion_adherence(tenant.id, "retention", self.sla_seconds)
            figures: dict[str, Any] = {
                "backlog": len(backlog),
                "held": len(expired) - len(backlog),
                "purged": purged,
                "within_sla": within,
                "late_backlog": len(late),
            }
            for name, value in figures.items():
                total[name] += value
            figures["adherence"] = _adherence(within, purged, len(late))
            tenants[tenant.name] = figures
            if backlog and (oldest is None or backlog[0].due_at < oldest["_due"]):
                first = backlog[0]
                oldest = {
                    "_due": first.due_at,
                    "tenant": tenant.name,
                    "conversation_id": first.row.conversation_id,
                    "classification": first.row.classification,
                    "due_at": iso(first.due_at),
                    "overdue_seconds": when - first.due_at,
                }
        if oldest is not None:
            oldest.pop("_due")
        return {
            "at": iso(when),
            "sla_hours": self.sla_seconds / 3600,
            **total,
            "adherence": _adherence(total["within_sla"], total["purged"], total["late_backlog"]),
            "oldest_overdue": oldest,
            "tenants": tenants,
        }

    def receipts(self, tenant: str, limit: int = 20) -> list[ReceiptRow]:
        """A tenant's newest receipts (retention and erasure)."""
        tenant_id = self._seal.tenant_keys(tenant).row.tenant_id
        with self._seal.read() as tx:
            return tx.list_receipts(tenant_id, limit)


def _adherence(within: int, purged: int, late_backlog: int) -> float:
    """Within-SLA purges over all purges plus the backlog already past the SLA (1.0 if none)."""
    denominator = purged + late_backlog
    return round(within / denominator, 6) if denominator else 1.0


def _expired(row: ConversationRow, expires_at: int, holds: list[Hold], at: int) -> Expired:
    covering = [
        h for h in holds if h.conversation_id is None or h.conversation_id == row.conversation_id
    ]
    held = any(h.active(at) for h in covering)
    released = [
        h.released_at for h in covering if h.released_at is not None and h.released_at <= at
    ]
    return Expired(row, expires_at, max([expires_at, *released]), held)


def _hold_address(tenant_id: str, hold_id: str) -> RecordAddress:
    return RecordAddress(tenant_id, "", hold_id, 0, "legal-hold")
