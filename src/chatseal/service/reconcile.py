"""Cross-check the store against the audit log: the store holds nothing the log does not explain.

For every tenant, each stored conversation must have its `conversation.create` leaf and no
`conversation.delete` leaf, and its number of items must equal what the log says was added
(created with it, appended) minus what was deleted. Each deleted conversation must be gone from the
store, and every conversation the log created must either be in the store or have its receipt.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from chatseal.errors import ChatSealError, ConfigError
from chatseal.store import Store

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal


@dataclass
class Ledger:
    """What the log says happened to one conversation."""

    created: bool = False
    deleted: bool = False
    items: int = 0


@dataclass
class ReconcileReport:
    """Problems found between the store and the log."""

    conversations_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing was wrong."""
        return not self.problems


def ledger_from(leaves: list[bytes]) -> dict[tuple[str, str], Ledger]:
    """Replay the leaves into a per-conversation ledger keyed by (tenant name, conversation)."""
    ledger: dict[tuple[str, str], Ledger] = defaultdict(Ledger)
    for leaf in leaves:
        event = orjson.loads(leaf)
        if event["decision"]["result"] != "allow":
            continue
        resource = event.get("resource", {})
        if event["action"] == "tenant.delete":
            # A deleted tenant's key is destroyed: every conversation it had went with it.
            for (tenant, _), entry in ledger.items():
                if tenant == resource.get("tenant"):
                    entry.deleted = True
            continue
        if event["action"] == "tenant.move":
            _replay_move(ledger, event["type"], resource)
            continue
        conversation = resource.get("conversation")
        if conversation is None:
            continue
        entry = ledger[(resource.get("tenant", ""), conversation)]
        kind = event["type"]
        if kind == "conversation.create":
            entry.created = True
            entry.items += int(resource.get("item_count", 0))
        elif kind == "item.append":
            entry.items += int(resource.get("item_count", 0))
        elif kind == "item.delete":
            entry.items -= int(resource.get("item_count", 0))
        elif kind == "conversation.delete":
            entry.deleted = True
    return ledger


def _replay_move(
    ledger: dict[tuple[str, str], Ledger], kind: str, resource: dict[str, Any]
) -> None:
    """chatseal.service.region_move: a move out took every conversation of the tenant with it;
    a move in brought each conversation, one event each, with its item count."""
    if kind == "data.export":
        for (tenant, _), entry in ledger.items():
            if tenant == resource.get("tenant"):
                entry.deleted = True
    elif resource.get("conversation") is not None:
        key = (resource.get("tenant", ""), resource["conversation"])
        ledger[key] = Ledger(True, False, int(resource.get("item_count", 0)))


def reconcile(store: Store, leaves: list[bytes]) -> ReconcileReport:
    """Compare every tenant's stored conversations with the ledger the leaves describe."""
    ledger = ledger_from(leaves)
    report = ReconcileReport()
    seen: set[tuple[str, str]] = set()
    with store.transaction() as tx:
        tenants = tx.list_tenants()
        counts = {t.name: tx.conversation_item_counts(t.tenant_id) for t in tenants}
    for tenant, stored in counts.items():
        for conversation, items in stored.items():
            report.conversations_checked += 1
            key = (tenant, conversation)
            seen.add(key)
            entry = ledger.get(key)
            if entry is None or not entry.created:
                report.problems.append(
                    f"{tenant}/{conversation}: stored, but the log never created it"
                )
                continue
            if entry.deleted:
                report.problems.append(f"{tenant}/{conversation}: stored, but the log deleted it")
            if entry.items != items:
                report.problems.append(
                    f"{tenant}/{conversation}: {items} items stored, the log explains {entry.items}"
                )
    for (tenant, conversation), entry in ledger.items():
        if (tenant, conversation) in seen:
            continue
        if entry.created and not entry.deleted:
            report.problems.append(
                f"{tenant}/{conversation}: created in the log, missing from the store, no receipt"
            )
    return report


def audit_report(seal: ChatSeal) -> dict[str, Any]:
    """Everything `chatseal audit verify` checks, as one report.

    The tree recomputed from every leaf; every stored and external checkpoint and its signature;
    every external checkpoint also kept by the log; the tree consistent with the newest external
    checkpoint; and the store reconciled with the log. `ok` only when all of it holds.
    """
    audit = seal.audit
    if audit is None:
        raise ConfigError("the audit log is disabled in this home's configuration")
    problems: list[str] = []
    try:
        audit.integrate()
    except ChatSealError as exc:
        problems.append(f"integrating queued events: {exc.message}")
    report = audit.verify()
    problems += report.problems
    stored = {size for size, _ in audit.storage.checkpoints()}
    problems += [
        f"external checkpoint {size} is not among the log's stored checkpoints"
        for size in audit.external.sizes()
        if size not in stored
    ]
    conversations = 0
    try:
        start_check = audit.external.check(audit.tree, audit.verifier)
        if not start_check:
            problems.append(f"external checkpoint: {start_check.reason}")
        reconciled = reconcile(seal.store, audit.tree.entries(0, audit.tree.size))
        problems += reconciled.problems
        conversations = reconciled.conversations_checked
    except ChatSealError as exc:
        problems.append(f"reading the tree: {exc.message}")
    return {
        "ok": not problems,
        "tree_size": report.size,
        "leaves_checked": report.leaves_checked,
        "checkpoints_checked": report.checkpoints_checked,
        "external_checkpoints_checked": report.external_checked,
        "conversations_reconciled": conversations,
        "problems": problems,
    }
