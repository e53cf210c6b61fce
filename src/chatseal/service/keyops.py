"""The KEK lifecycle of a tenant: rotate, rewrap, retire, destroy, shred epochs, status, and DEK
rotation (reencrypt) for one conversation (issue 6; DESIGN.md, "Keys and records").

Every operation needs the `key-admin` role through the decision point and returns counts and
versions only, never content. All job state lives in the store (each data key row says which KEK
version wraps it), so a rewrap or shred killed at any point is resumed by running it again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chatseal.crypto import DataKey, RecordAddress, open_record, open_records, seal_record
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.keys import KeyInfo, WrappedKey
from chatseal.model import Principal
from chatseal.service.access import Resource
from chatseal.service.sealing import CONTENT, data_key_context, index_key_context
from chatseal.store import DataKeyRow, ItemRow, StoreTx, TenantRow

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal

DEFAULT_ROTATION_PERIOD = "90d"
DEFAULT_BATCH = 2000
MAX_PASSES = 5
_PERIOD = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DEK_PREFIX = b"chatseal.dek\x00"
_INDEX_PREFIX = b"chatseal.index\x00"
_REENCRYPT_PAGE = 500

# What a backup manifest holds per data key, and the function a shred epoch hands to it.
Entry = tuple[WrappedKey, bytes]
EntryRewrapper = Callable[[Sequence[Entry]], list[Entry]]
ShredHook = Callable[[EntryRewrapper], None]


@dataclass(frozen=True)
class RewrapProgress:
    """Where a rewrap job stands: `done + skipped` of `total` data keys seen so far."""

    tenant: str
    target_version: int
    total: int
    done: int
    skipped: int
    batch: int


def parse_period(text: str | int | float) -> float:
    """Seconds in a rotation period such as "90d", "12h", "2w" or 3600; 0 or "off" = never."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if isinstance(text, str) and text.strip().lower() in {"off", "never", "0"}:
        return 0.0
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequest("a rotation period looks like 90d, 12h, 2w or 3600s", param="period")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_data_key_context(context: bytes) -> tuple[str, str, str]:
    """Invert `data_key_context`: (tenant id, conversation id, namespace)."""
    parts = context.removeprefix(_DEK_PREFIX).split(b"\x00")
    if not context.startswith(_DEK_PREFIX) or len(parts) != 3:
        raise InvalidRequest("not a data key context", param="entries")
    tenant_id, conversation_id, namespace = (p.decode("utf-8") for p in parts)
    return tenant_id, conversation_id, namespace


class KeyOps:
    """Key lifecycle operations on one ChatSeal (reachable as `ChatSeal.key_ops`)."""

    def __init__(
        self, seal: ChatSeal, on_event: Callable[[str, dict[str, Any]], None] | None = None
    ) -> None:
        self._seal = seal
        # The audit log plugs in here: every key event, with versions and counts only.
        self.on_event = on_event
        # Progress metric for /metrics (no tenant label: HARDENING.md, "Operating it").
        self.rewrapped_total = 0

    # -- shared steps ------------------------------------------------------------------------

    def _event(
        self,
        principal: Principal,
        kind: str,
        action: str,
        tenant: str,
        reason: str = "key-admin",
        **resource: str | int,
    ) -> None:
        """Record a key event in the audit log (its own transaction: the change happened in the
        key backend) and hand it to `on_event`. Versions, counts and ids only."""
        fields: dict[str, str | int] = {"kind": "key", "tenant": tenant, **resource}
        audit = self._seal.audit
        if audit is not None:
            data = audit.event(
                kind,
                audit.actor(principal),
                action,
                True,
                reason,
                self._seal.policy_version,
                "keyops",
                fields,
            )
            audit.record_now(data)
        if self.on_event is not None:
            self.on_event(kind, {"action": action, "reason": reason, **fields})

    def _authorize(self, principal: Principal, action: str, tenant: str) -> TenantRow:
        """Ask the decision point, then find the tenant (404 for one the caller may not see)."""
        decision = self._seal.authorizer.decide(principal, action, Resource("key", tenant))
        if not decision.allowed:
            audit = self._seal.audit
            if audit is not None:  # denials are audited too (DESIGN.md, "Audit log")
                data = audit.event(
                    "access.decision",
                    audit.actor(principal),
                    action,
                    False,
                    decision.reason,
                    self._seal.policy_version,
                    "keyops",
                    {"kind": "key", "tenant": tenant},
                )
                audit.record_now(data)
            if not decision.visible:
                raise NotFound(f"tenant '{tenant}' not found", param="tenant")
            raise PermissionDenied(
                f"not allowed to {action} ({decision.reason}); key operations need the "
                "key-admin role"
            )
        with self._seal.read() as tx:
            row = tx.get_tenant(tenant)
        if row is None:
            raise NotFound(f"tenant '{tenant}' not found", param="tenant")
        return row

    def _flush(self, row: TenantRow) -> None:
        """Forget every unwrapped key of the tenant in this process, at once."""
        self._seal.forget_tenant(row.name)
        self._seal.cache.flush_tenant(row.tenant_id)

    def _wrapped_below(self, row: TenantRow, version: int, *, only: bool = False) -> int:
        """Data keys (and the index key) wrapped below `version`, or exactly at it with `only`."""
        with self._seal.read() as tx:
            counts = tx.count_data_keys(row.tenant_id)
            fresh = tx.get_tenant(row.name) or row

        def hit(v: int) -> bool:
            return v == version if only else v < version

        return sum(n for v, n in counts.items() if hit(v)) + int(hit(fresh.index_key_version))

    # -- rotate and rewrap ---------------------------------------------------------------------

    def rotate(self, principal: Principal, tenant: str) -> KeyInfo:
        """Make a new KEK version primary; new data keys wrap under it from now on."""
        row = self._authorize(principal, "keys.rotate", tenant)
        info = self._seal.keys.rotate(row.tenant_id)
        self._event(
            principal, "key.rotate", "keys.rotate", tenant, key_version=info.primary_version
        )
        return info

    def rewrap(
        self,
        principal: Principal,
        tenant: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[RewrapProgress], None] | None = None,
    ) -> dict[str, Any]:
        """Move the index key and every data key below the primary version onto it."""
        row = self._authorize(principal, "keys.rotate", tenant)
        return self._rewrap(principal, row, batch_size, progress)

    def _rewrap(
        self,
        principal: Principal,
        row: TenantRow,
        batch_size: int,
        progress: Callable[[RewrapProgress], None] | None,
    ) -> dict[str, Any]:
        if not 1 <= batch_size <= 100_000:
            raise InvalidRequest("batch size must be between 1 and 100000", param="batch_size")
        seal, tenant_id = self._seal, row.tenant_id
        target = seal.keys.describe(tenant_id).primary_version
        self._rewrap_index_key(row, target)
        total = self._wrapped_below(row, target)  # the index key is at the target by now
        state = RewrapProgress(row.name, target, total, 0, 0, 0)
        if progress is not None:
            progress(state)
        for _ in range(MAX_PASSES):
            state = self._pass(principal, row, target, batch_size, state, progress)
            if not self._wrapped_below(row, target):
                break
        else:
            raise Conflict("the rewrap makes no progress: data keys keep changing; retry")
        result = {
            "tenant": row.name,
            "target_version": target,
            "rewrapped": state.done,
            "skipped": state.skipped,
            **self._progress(row, target),
        }
        self._event(
            principal,
            "key.rotate",
            "keys.rewrap",
            row.name,
            key_version=target,
            item_count=state.done,
        )
        return result

    def _pass(
        self,
        principal: Principal,
        row: TenantRow,
        target: int,
        batch_size: int,
        state: RewrapProgress,
        progress: Callable[[RewrapProgress], None] | None,
    ) -> RewrapProgress:
        """One keyset walk over the tenant's data keys below `target`. The backend rewraps batch
        k+1 in a worker thread while batch k is swapped in, so KMS round trips and store writes
        overlap; an interrupted pass leaves every row either old (still valid) or moved."""
        seal, tenant_id = self._seal, row.tenant_id

        def fetch(after: tuple[str, str] | None) -> list[DataKeyRow]:
            with seal.read() as tx:
                return tx.data_keys_page(tenant_id, target, after, batch_size)

        # Uncached: a pass over every key would otherwise evict the contexts live traffic uses.
        context = data_key_context.__wrapped__

        def backend(rows: list[DataKeyRow]) -> list[WrappedKey]:
            return seal.keys.rewrap(
                tenant_id,
                [
                    (
                        WrappedKey(r.kek_version, r.wrapped),
                        context(tenant_id, r.conversation_id, r.namespace),
                    )
                    for r in rows
                ],
            )

        # A remote backend waits on the network, so overlap it; `local:` computes in-process.
        workers = 0 if seal.keys.scheme == "local" else 1
        with _Pool(workers) as pool:
            rows = fetch(None)
            pending = pool.submit(backend, rows) if rows else None
            while pending is not None:
                moved = pending.result()
                following = fetch((rows[-1].conversation_id, rows[-1].namespace))
                pending = pool.submit(backend, following) if following else None
                swaps = [
                    (
                        DataKeyRow(
                            tenant_id,
                            old.conversation_id,
                            old.namespace,
                            new.kek_version,
                            new.blob,
                            old.created_at,
                        ),
                        old.wrapped,
                    )
                    for old, new in zip(rows, moved, strict=True)
                ]
                with seal.write() as tx:
                    # Compare-and-set: a row deleted or re-keyed meanwhile is left as it is.
                    done = tx.replace_data_keys(tenant_id, swaps)
                self.rewrapped_total += done
                state = replace(
                    state,
                    done=state.done + done,
                    skipped=state.skipped + len(rows) - done,
                    batch=len(rows),
                    total=max(state.total, state.done + state.skipped + len(rows)),
                )
                self._event(
                    principal,
                    "key.rotate",
                    "keys.rewrap.progress",
                    row.name,
                    key_version=target,
                    item_count=state.done,
                )
                if progress is not None:
                    progress(state)
                rows = following
        return state

    def _rewrap_index_key(self, row: TenantRow, target: int) -> None:
        """Rewrap the tenant's index key (one row) unless it is at the target already."""
        seal = self._seal
        with seal.read() as tx:
            current = tx.get_tenant(row.name) or row
        if current.index_key_version >= target:
            return
        context = index_key_context(row.tenant_id)
        (new,) = seal.keys.rewrap(
            row.tenant_id, [(WrappedKey(current.index_key_version, current.index_key), context)]
        )
        with seal.write() as tx:
            again = tx.get_tenant(row.name)
            if again is not None and again.index_key == current.index_key:
                tx.update_tenant_index_key(row.tenant_id, new.blob, new.kek_version)

    def _progress(self, row: TenantRow, primary: int) -> dict[str, Any]:
        """The progress metric: data keys per KEK version, and how many still need moving."""
        with self._seal.read() as tx:
            counts = tx.count_data_keys(row.tenant_id)
            fresh = tx.get_tenant(row.name) or row
        total = sum(counts.values())
        pending = sum(n for v, n in counts.items() if v < primary)
        return {
            "data_keys": {str(v): counts[v] for v in sorted(counts)},
            "index_key_version": fresh.index_key_version,
            "pending": pending + int(fresh.index_key_version < primary),
            "done_fraction": 1.0 if total == 0 else round((total - pending) / total, 6),
        }

    # -- retire and destroy ----------------------------------------------------------------------

    def retire(
        self, principal: Principal, tenant: str, min_version: int, *, force: bool = False
    ) -> KeyInfo:
        """Refuse unwraps below `min_version` from now on; flush the tenant's cached keys."""
        row = self._authorize(principal, "keys.retire", tenant)
        now = self._seal.keys.describe(row.tenant_id)
        if not now.min_decryption_version <= min_version <= now.primary_version:
            raise Conflict(
                f"the minimum version must lie between v{now.min_decryption_version} and the "
                f"primary v{now.primary_version}"
            )
        below = self._wrapped_below(row, min_version)
        if below and not force:
            raise Conflict(
                f"{below} key(s) still wrapped below v{min_version}: run "
                "'chatseal keys rewrap' first (or --force to make them unreadable)"
            )
        info = self._seal.keys.retire(row.tenant_id, min_version)
        self._flush(row)
        reason = "forced" if below else "key-admin"
        self._event(principal, "key.retire", "keys.retire", tenant, reason, key_version=min_version)
        return info

    def destroy(
        self, principal: Principal, tenant: str, version: int, *, force: bool = False
    ) -> KeyInfo:
        """Destroy one KEK version once nothing is wrapped by it (a tenant: `tenant delete`)."""
        row = self._authorize(principal, "keys.destroy", tenant)
        if version == self._seal.keys.describe(row.tenant_id).primary_version:
            raise Conflict(f"v{version} is the primary version: rotate and rewrap first")
        left = self._wrapped_below(row, version, only=True)
        if left and not force:
            raise Conflict(
                f"{left} key(s) still wrapped by v{version}: run 'chatseal keys rewrap' first "
                "(or --force to crypto-shred them)"
            )
        self._seal.keys.destroy(row.tenant_id, version)
        self._flush(row)
        reason = "forced" if left else "key-admin"
        self._event(principal, "key.destroy", "keys.destroy", tenant, reason, key_version=version)
        return self._seal.keys.describe(row.tenant_id)

    # -- shred epochs ------------------------------------------------------------------------------

    def shred(
        self,
        principal: Principal,
        tenant: str,
        *,
        hooks: Sequence[ShredHook] = (),
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[RewrapProgress], None] | None = None,
    ) -> dict[str, Any]:
        """Start a shred epoch: rotate, rewrap every survivor, destroy every older version.

        Each hook gets `rewrap_entries` bound to this tenant before anything is destroyed, so a
        backup can rewrap its own manifest in the same epoch; if a hook fails, nothing is
        destroyed and running shred again starts a fresh epoch.
        """
        row = self._authorize(principal, "keys.destroy", tenant)
        self._authorize(principal, "keys.rotate", tenant)
        keys = self._seal.keys
        epoch = keys.rotate(row.tenant_id).primary_version
        self._event(principal, "key.rotate", "keys.shred", tenant, key_version=epoch)
        report = self._rewrap(principal, row, batch_size, progress)
        for hook in hooks:
            hook(lambda entries: self._rewrap_entries(row, entries))
        left = self._wrapped_below(row, epoch)
        if left:
            raise Conflict(f"{left} key(s) still below v{epoch}; nothing destroyed: run again")
        keys.retire(row.tenant_id, epoch)
        self._flush(row)
        destroyed = []
        for version in keys.describe(row.tenant_id).versions:
            if version.version < epoch and version.state != "destroyed":
                keys.destroy(row.tenant_id, version.version)
                destroyed.append(version.version)
                self._event(
                    principal,
                    "key.destroy",
                    "keys.shred",
                    tenant,
                    "shred-epoch",
                    key_version=version.version,
                )
        self._flush(row)
        # Fold the WAL so no page still holding a wrapped key under an old version lingers.
        self._seal.store.compact()
        return {
            "tenant": tenant,
            "epoch_version": epoch,
            "rewrapped": report["rewrapped"],
            "destroyed_versions": destroyed,
        }

    def rewrap_entries(
        self, principal: Principal, tenant: str, entries: Sequence[Entry]
    ) -> list[Entry]:
        """Rewrap a backup's (wrapped key, context) list to the primary version, in order,
        dropping data keys whose conversation no longer exists in the store."""
        row = self._authorize(principal, "keys.rotate", tenant)
        return self._rewrap_entries(row, entries)

    def _rewrap_entries(self, row: TenantRow, entries: Sequence[Entry]) -> list[Entry]:
        index_context = index_key_context(row.tenant_id)
        alive: dict[str, bool] = {}
        kept: list[Entry] = []
        with self._seal.read() as tx:
            for wrapped, context in entries:
                if context != index_context:
                    tenant_id, conversation_id, _ = parse_data_key_context(context)
                    if tenant_id != row.tenant_id:
                        raise InvalidRequest("an entry belongs to another tenant", param="entries")
                    if conversation_id not in alive:
                        found = tx.get_conversation(tenant_id, conversation_id) is not None
                        alive[conversation_id] = found
                    if not alive[conversation_id]:
                        continue
                kept.append((wrapped, context))
        out: list[Entry] = []
        for at in range(0, len(kept), DEFAULT_BATCH):
            chunk = kept[at : at + DEFAULT_BATCH]
            moved = self._seal.keys.rewrap(row.tenant_id, chunk)
            out += [(w, ctx) for w, (_, ctx) in zip(moved, chunk, strict=True)]
        return out

    # -- status and automatic rotation ------------------------------------------------------------

    def _period(self, row: TenantRow) -> tuple[str, float]:
        settings = json.loads(row.settings)
        config = self._seal.config
        default = config.section("keys").get("rotation_period") if config else None
        text = settings.get("rotation_period", default or DEFAULT_ROTATION_PERIOD)
        return str(text), parse_period(text)

    def _tenant_status(self, row: TenantRow, now: float) -> dict[str, Any]:
        info = self._seal.keys.describe(row.tenant_id)
        progress = self._progress(row, info.primary_version)
        text, period = self._period(row)
        primary = next(v for v in info.versions if v.version == info.primary_version)
        age = max(0.0, now - primary.created_at)
        return {
            "tenant": row.name,
            "backend": info.backend,
            "primary_version": info.primary_version,
            "min_decryption_version": info.min_decryption_version,
            "versions": [
                {
                    "version": v.version,
                    "state": v.state,
                    "created_at": v.created_at,
                    "age_days": round(max(0.0, now - v.created_at) / 86_400, 2),
                    "data_keys": progress["data_keys"].get(str(v.version), 0),
                }
                for v in info.versions
            ],
            "rotation_period": text,
            "primary_age_days": round(age / 86_400, 2),
            "overdue": bool(period) and age >= period,
            "rewrap": {k: progress[k] for k in ("pending", "done_fraction", "index_key_version")},
        }

    def status(
        self, principal: Principal, tenant: str | None = None, *, now: float | None = None
    ) -> list[dict[str, Any]]:
        """Versions, ages, data keys per version, overdue rotation and rewrap progress."""
        at = self._seal.clock.now() if now is None else now
        if tenant is not None:
            return [self._tenant_status(self._authorize(principal, "keys.status", tenant), at)]
        return [self._tenant_status(row, at) for row in self._visible(principal, "keys.status")]

    def _visible(self, principal: Principal, action: str) -> list[TenantRow]:
        """Every tenant the principal may take `action` on; PermissionDenied if none but some."""
        with self._seal.read() as tx:
            rows = tx.list_tenants()
        authorizer = self._seal.authorizer
        allowed = [
            r for r in rows if authorizer.decide(principal, action, Resource("key", r.name)).allowed
        ]
        if rows and not allowed:
            raise PermissionDenied(f"not allowed to {action} on any tenant")
        return allowed

    def rotate_due(self, principal: Principal, *, now: float | None = None) -> list[str]:
        """Rotate every tenant whose primary KEK is older than its rotation period."""
        at = self._seal.clock.now() if now is None else now
        rotated = []
        for row in self._visible(principal, "keys.rotate"):
            if self._tenant_status(row, at)["overdue"]:
                info = self._seal.keys.rotate(row.tenant_id)
                self._event(
                    principal,
                    "key.rotate",
                    "keys.rotate",
                    row.name,
                    "rotation-period",
                    key_version=info.primary_version,
                )
                rotated.append(row.name)
        return rotated

    # -- DEK rotation -----------------------------------------------------------------------------

    def reencrypt(self, principal: Principal, tenant: str, conversation_id: str) -> dict[str, Any]:
        """Give one conversation new data keys and re-seal all its records, in one transaction."""
        row = self._authorize(principal, "keys.rotate", tenant)
        seal, tenant_id = self._seal, row.tenant_id
        with seal.read() as tx:
            found = tx.get_conversation_with_keys(tenant_id, conversation_id)
        if found is None:
            raise NotFound(f"no conversation with id '{conversation_id}'", param="conversation_id")
        fresh: dict[str, tuple[DataKey, WrappedKey]] = {}
        for key_row in found[1]:
            fresh[key_row.namespace] = self._new_key(tenant_id, conversation_id, key_row.namespace)
        items = 0
        with seal.write() as tx:
            again = tx.get_conversation_with_keys(tenant_id, conversation_id)
            if again is None:
                raise NotFound(
                    f"no conversation with id '{conversation_id}'", param="conversation_id"
                )
            conversation, key_rows = again
            old: dict[str, DataKey] = {}
            for key_row in key_rows:
                context = data_key_context(tenant_id, conversation_id, key_row.namespace)
                wrapped = WrappedKey(key_row.kek_version, key_row.wrapped)
                old[key_row.namespace] = seal.data_key(tenant_id, wrapped, context)
                if key_row.namespace not in fresh:  # a namespace born since the first look
                    fresh[key_row.namespace] = self._new_key(
                        tenant_id, conversation_id, key_row.namespace
                    )
            items = self._reseal_items(tx, tenant_id, conversation_id, old, fresh)
            address = RecordAddress(tenant_id, conversation_id, conversation_id, 0, "metadata")
            plain = open_record(old[CONTENT], address, conversation.metadata)
            key, wrapped = fresh[CONTENT]
            sealed = seal_record(key, wrapped.kek_version, address, plain)
            tx.update_conversation(tenant_id, conversation_id, metadata=sealed)
            for key_row in key_rows:
                key, wrapped = fresh[key_row.namespace]
                new_row = DataKeyRow(
                    tenant_id,
                    conversation_id,
                    key_row.namespace,
                    wrapped.kek_version,
                    wrapped.blob,
                    seal.now(),
                )
                if not tx.replace_data_key(new_row, expected_wrapped=key_row.wrapped):
                    raise Conflict("the conversation's keys changed meanwhile; retry")
        for key_row in key_rows:
            context = data_key_context(tenant_id, conversation_id, key_row.namespace)
            seal.cache.forget(tenant_id, WrappedKey(key_row.kek_version, key_row.wrapped), context)
        seal.store.compact()
        self._event(
            principal,
            "key.generate",
            "keys.reencrypt",
            tenant,
            conversation=conversation_id,
            item_count=items,
        )
        return {
            "tenant": tenant,
            "conversation_id": conversation_id,
            "items_resealed": items,
            "namespaces": sorted(fresh),
            "kek_version": fresh[CONTENT][1].kek_version,
        }

    def _new_key(
        self, tenant_id: str, conversation_id: str, namespace: str
    ) -> tuple[DataKey, WrappedKey]:
        context = data_key_context(tenant_id, conversation_id, namespace)
        raw, wrapped = self._seal.keys.generate_data_key(tenant_id, context)
        return DataKey(raw), wrapped

    @staticmethod
    def _reseal_items(
        tx: StoreTx,
        tenant_id: str,
        conversation_id: str,
        old: dict[str, DataKey],
        fresh: dict[str, tuple[DataKey, WrappedKey]],
    ) -> int:
        """Open every item with its old key and seal it again with the new one, page by page."""
        count, after = 0, None
        while True:
            page = tx.list_items(
                tenant_id,
                conversation_id,
                after_position=after,
                limit=_REENCRYPT_PAGE,
                descending=False,
            )
            if not page:
                return count
            resealed = []
            for namespace, rows in _by_namespace(page, old).items():
                plains = open_records(
                    old[namespace],
                    tenant_id,
                    conversation_id,
                    [(r.item_id, r.position, r.sealed) for r in rows],
                )
                key, wrapped = fresh[namespace]
                for r, plain in zip(rows, plains, strict=True):
                    address = RecordAddress(tenant_id, conversation_id, r.item_id, r.position)
                    resealed.append(
                        r._replace(sealed=seal_record(key, wrapped.kek_version, address, plain))
                    )
            for r in page:
                tx.delete_item(tenant_id, conversation_id, r.item_id)
            tx.insert_items(sorted(resealed, key=lambda r: r.position))
            count += len(page)
            after = page[-1].position


class _Pool(ThreadPoolExecutor):
    """One worker thread, or none: with 0 workers `submit` runs the call at once."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=max(workers, 1), thread_name_prefix="rewrap")
        self._inline = workers == 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not self._inline:
            return super().submit(fn, *args, **kwargs)
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a thread would
            future.set_exception(exc)
        return future


def _by_namespace(page: Sequence[ItemRow], keys: dict[str, DataKey]) -> dict[str, list[ItemRow]]:
    """Group items by the namespace whose key sealed them (prompt material has its own)."""
    from chatseal.model import PROMPT_ROLES
    from chatseal.service.sealing import PROMPTS

    groups: dict[str, list[ItemRow]] = {}
    for r in page:
        prompt = r.item_type == "message" and r.role in PROMPT_ROLES and PROMPTS in keys
        groups.setdefault(PROMPTS if prompt else CONTENT, []).append(r)
    return groups


__all__ = [
    "Entry",
    "EntryRewrapper",
    "KeyOps",
    "RewrapProgress",
    "ShredHook",
    "parse_data_key_context",
    "parse_period",
]
