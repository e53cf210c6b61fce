"""Policy administration in the service: versions and break-glass grants on the store.

`ChatSeal.policy_admin` (a `PolicyService`) is the store-backed side of `chatseal.policy`:

- at open, and after every change it makes, it loads each tenant's active policy version into
  the decision point (`PolicyEngine.activate(text, tenant=name)`) and the active break-glass
  grants into its in-memory grant table; it is the engine's `GrantSource`, so a decision never
  waits on the store. Changes made by another process (the CLI beside a server) are picked up
  by a background reload every `[policy] refresh_seconds` (default 5; 0 turns it off).
  Expiry needs no reload: a grant ends at `expires_at` by the injected clock.
- every operation asks the decision point first (`policy.read/write/approve`,
  `breakglass.request/approve`), then applies `PolicyAdmin`'s or `BreakGlassBook`'s rules in one
  write transaction that also queues its audit event; refusals are audited too.
- the two-person rule: `[policy] required_approvals` (default 1 approver besides the author),
  overridden per tenant by the tenant setting `policy_required_approvals`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chatseal.errors import ConfigError, Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import Grant, PolicyAdmin, PolicyEngine, PolicyVersion, diff
from chatseal.policy import resources as res
from chatseal.service.policy_store import StorePolicyRepository, request_from_row
from chatseal.store import StoreTx, TenantRow

if TYPE_CHECKING:
    from chatseal.service.breakglass import BreakGlassService
    from chatseal.service.chatseal import ChatSeal

log = logging.getLogger(__name__)
TENANT_SETTING = "policy_required_approvals"
DEFAULT_REFRESH_SECONDS = 5.0


def new_request_id() -> str:
    """A request id for the audit events of one administrative call."""
    return f"req_{os.urandom(12).hex()}"


class PolicyService:
    """Versioned policies and break-glass grants of a ChatSeal, audited (module docstring)."""

    def __init__(self, seal: ChatSeal) -> None:
        self._seal = seal
        section = seal.config.section("policy") if seal.config is not None else {}
        required = _count(section.get("required_approvals", 1))
        if required is None:
            raise ConfigError("[policy] required_approvals must be a whole number from 0 to 10")
        self._required: int = required
        self._refresh = float(section.get("refresh_seconds", DEFAULT_REFRESH_SECONDS))
        self._lock = threading.Lock()
        self._grants: dict[tuple[str, str], tuple[Grant, ...]] = {}
        self._generation = 0
        self._loaded_at = time.monotonic()
        self._reloading = False
        from chatseal.service.breakglass import BreakGlassService

        self.breakglass: BreakGlassService = BreakGlassService(self, seal)
        engine = self.engine
        if engine is not None:
            if getattr(engine, "_grants", None) is None:
                # PolicyEngine takes its GrantSource at construction and default_authorizer
                # builds it before the store exists; the service attaches itself here.
                engine._grants = self
            self.load()

    # -- the decision point ------------------------------------------------------------------

    @property
    def engine(self) -> PolicyEngine | None:
        """The Cedar engine behind the seal's authorizer (None with the built-in role rules)."""
        found = getattr(self._seal.authorizer, "engine", None)
        return found if isinstance(found, PolicyEngine) else None

    def require_engine(self) -> PolicyEngine:
        """The Cedar engine, or ConfigError: versioned policy needs `[policy] engine = cedar`."""
        engine = self.engine
        if engine is None:
            raise ConfigError("policy administration needs [policy] engine = 'cedar'")
        return engine

    def load(self) -> None:
        """Load every tenant's active version and the active grants from the store, now."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._apply(self._read_state(), generation)

    def _read_state(self) -> tuple[dict[str, str | None], dict[tuple[str, str], list[Grant]]]:
        policies: dict[str, str | None] = {}
        grants: dict[tuple[str, str], list[Grant]] = {}
        with self._seal.read() as tx:
            for row in tx.list_tenants():
                active = tx.get_active_policy_version(row.tenant_id)
                policies[row.name] = active.text if active else None
                for found in tx.list_breakglass(row.tenant_id, "active"):
                    request = request_from_row(found, row.name, None)
                    key = (request.requester_tenant, request.requester)
                    grants.setdefault(key, []).append(request.grant())
        return policies, grants

    def _apply(
        self,
        state: tuple[dict[str, str | None], dict[tuple[str, str], list[Grant]]],
        generation: int,
    ) -> None:
        engine = self.engine
        policies, grants = state
        with self._lock:
            if generation != self._generation:
                return  # a newer load ran meanwhile: this snapshot may predate its change
            if engine is not None:
                for tenant, text in policies.items():
                    if text is None:
                        engine.deactivate(tenant)
                    else:
                        engine.activate(text, tenant=tenant)
            self._grants = {k: tuple(v) for k, v in grants.items()}
            self._loaded_at = time.monotonic()

    def _reload_in_background(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
            self._loaded_at = time.monotonic()
            generation = self._generation

        def work() -> None:
            try:
                self._apply(self._read_state(), generation)
            except Exception as exc:  # the store may be closing; the next call retries
                log.debug("policy reload failed: %s", exc.__class__.__name__)
            finally:
                with self._lock:
                    self._reloading = False

        threading.Thread(target=work, name="chatseal-policy-reload", daemon=True).start()

    def active_grants(self, tenant: str, subject: str, now: float) -> Sequence[Grant]:
        """GrantSource: the principal's grants active at `now` (from memory)."""
        if self._refresh > 0 and time.monotonic() - self._loaded_at > self._refresh:
            self._reload_in_background()
        return [g for g in self._grants.get((tenant, subject), ()) if g.is_active(now)]

    # -- shared steps ------------------------------------------------------------------------

    def required_approvals(self, row: TenantRow) -> int:
        """Approvers besides the author a tenant's versions need (tenant setting, else config)."""
        settings = json.loads(row.settings)
        found = _count(settings.get(TENANT_SETTING, self._required))
        if found is None:
            raise InvalidRequest(
                f"tenant setting {TENANT_SETTING} must be a whole number from 0 to 10",
                param=TENANT_SETTING,
            )
        return found

    def event(
        self,
        principal: Principal,
        event_type: str,
        action: str,
        tenant: str,
        allowed: bool,
        reason: str,
        request_id: str,
        resource: Mapping[str, str | int],
        policy_hash: str | None = None,
    ) -> bytes | None:
        """An audit event of an administrative step (None when the audit log is off)."""
        audit = self._seal.audit
        if audit is None:
            return None
        engine = self.engine
        version = policy_hash or (
            engine.active_hash(tenant) if engine is not None else self._seal.policy_version
        )
        return audit.event(
            event_type,
            audit.actor(principal),
            action,
            allowed,
            reason,
            version,
            request_id,
            {"tenant": tenant, **resource},
        )

    def decide(
        self,
        principal: Principal,
        action: str,
        resource: res.Resource,
        request_id: str,
        **fields: str | int,
    ) -> None:
        """Ask the decision point; audit and raise (404/403) a denial."""
        decision = self.require_engine().decide(principal, action, resource)
        if decision.allowed:
            return
        reason = ",".join(decision.reasons) or "denied"
        self.refused(principal, action, resource.tenant, reason, request_id, **fields)
        decision.enforce("policy" if action.startswith("policy.") else "request")

    def refused(
        self,
        principal: Principal,
        action: str,
        tenant: str,
        reason: str,
        request_id: str,
        **fields: str | int,
    ) -> None:
        """Record a refused step in its own transaction (the attempted change rolled back)."""
        data = self.event(
            principal, "access.decision", action, tenant, False, reason, request_id, fields
        )
        if data is not None and self._seal.audit is not None:
            self._seal.audit.record_now(data)

    @contextmanager
    def audited_refusals(
        self, principal: Principal, action: str, tenant: str, request_id: str, **fields: str | int
    ) -> Iterator[None]:
        """Audit a refusal by the rules of change (self-approval, twice, not pending), re-raise."""
        try:
            yield
        except (PermissionDenied, Conflict) as exc:
            reason = "conflict" if isinstance(exc, Conflict) else "separation-of-duties"
            self.refused(principal, action, tenant, reason, request_id, **fields)
            raise

    def _tenant(self, tx: StoreTx, tenant: str) -> TenantRow:
        row = tx.get_tenant(tenant)
        if row is None:
            raise NotFound(f"tenant '{tenant}' not found", param="tenant")
        return row

    def _admin(self, tx: StoreTx, row: TenantRow) -> PolicyAdmin:
        return PolicyAdmin(
            StorePolicyRepository(tx, row.name, row.tenant_id),
            required_approvals=self.required_approvals(row),
            clock=self._seal.clock,
            ids=self._seal.ids,
        )

    # -- reading -----------------------------------------------------------------------------

    def show(self, principal: Principal, tenant: str) -> tuple[PolicyVersion | None, str]:
        """The tenant's active version (None: the shipped default) and the text in force."""
        self.decide(principal, "policy.read", res.PolicySet(tenant), new_request_id())
        with self._seal.read() as tx:
            admin = self._admin(tx, self._tenant(tx, tenant))
            return admin.active(tenant), admin.active_text(tenant)

    def history(self, principal: Principal, tenant: str) -> list[PolicyVersion]:
        """Every version of the tenant, oldest first."""
        self.decide(principal, "policy.read", res.PolicySet(tenant), new_request_id())
        with self._seal.read() as tx:
            return list(self._admin(tx, self._tenant(tx, tenant)).history(tenant))

    def get(self, principal: Principal, tenant: str, version_id: str) -> PolicyVersion:
        """One version."""
        self.decide(principal, "policy.read", res.PolicySet(tenant), new_request_id())
        with self._seal.read() as tx:
            return self._admin(tx, self._tenant(tx, tenant)).get(tenant, version_id)

    def diff(self, principal: Principal, tenant: str, old_id: str, new_id: str) -> str:
        """A unified diff between two versions."""
        self.decide(principal, "policy.read", res.PolicySet(tenant), new_request_id())
        with self._seal.read() as tx:
            admin = self._admin(tx, self._tenant(tx, tenant))
            return diff(admin.get(tenant, old_id), admin.get(tenant, new_id))

    # -- changing ----------------------------------------------------------------------------

    def propose(
        self, principal: Principal, tenant: str, text: str, *, note: str = ""
    ) -> PolicyVersion:
        """Validate and store a pending version (active at once if the tenant needs 0)."""
        return self._change(
            principal,
            tenant,
            "policy.write",
            lambda a: a.propose(tenant, principal.subject, text, note=note),
        )

    def rollback(self, principal: Principal, tenant: str, version_id: str) -> PolicyVersion:
        """Propose a version whose text is exactly an old one's; it needs approval too."""
        return self._change(
            principal,
            tenant,
            "policy.rollback",
            lambda a: a.rollback(tenant, version_id, principal.subject),
        )

    def _change(self, principal: Principal, tenant: str, action: str, step: Any) -> PolicyVersion:
        request_id = new_request_id()
        self.decide(principal, "policy.write", res.PolicySet(tenant), request_id, kind="policy")
        with self._seal.write() as tx:
            version: PolicyVersion = step(self._admin(tx, self._tenant(tx, tenant)))
            self._record(tx, principal, action, version, "proposed", request_id)
        self._after(version)
        return version

    def approve(self, principal: Principal, tenant: str, version_id: str) -> PolicyVersion:
        """Approve a pending version (not the author's own); it activates at the last one."""
        return self._review(principal, tenant, version_id, approve=True)

    def reject(self, principal: Principal, tenant: str, version_id: str) -> PolicyVersion:
        """Reject a pending version; it can never take effect."""
        return self._review(principal, tenant, version_id, approve=False)

    def _review(
        self, principal: Principal, tenant: str, version_id: str, *, approve: bool
    ) -> PolicyVersion:
        request_id = new_request_id()
        action = "policy.approve" if approve else "policy.reject"
        fields: dict[str, str | int] = {"kind": "policy", "policy": version_id}
        with self._seal.read() as tx:
            found = tx.get_policy_version(self._tenant(tx, tenant).tenant_id, version_id)
        author = found.author if found else ""
        self.decide(
            principal,
            "policy.approve",
            res.PolicySet(tenant, version_id=version_id, author=author),
            request_id,
            **fields,
        )
        if found is None:
            raise NotFound("policy version not found", param="version")
        with (
            self.audited_refusals(principal, action, tenant, request_id, **fields),
            self._seal.write() as tx,
        ):
            admin = self._admin(tx, self._tenant(tx, tenant))
            if approve:
                version = admin.approve(tenant, version_id, principal.subject)
            else:
                version = admin.reject(tenant, version_id, principal.subject)
            reason = "approved" if approve else "rejected"
            self._record(tx, principal, action, version, reason, request_id)
        self._after(version)
        return version

    def _record(
        self,
        tx: StoreTx,
        principal: Principal,
        action: str,
        version: PolicyVersion,
        reason: str,
        request_id: str,
    ) -> None:
        """Queue the change's event (and an activation's) in the change's transaction."""
        fields: dict[str, str | int] = {"kind": "policy", "policy": version.id}
        data = self.event(
            principal, "policy.change", action, version.tenant, True, reason, request_id, fields
        )
        if data is not None:
            tx.enqueue_audit(data)
        if version.status == "active":
            data = self.event(
                principal,
                "policy.change",
                "policy.activate",
                version.tenant,
                True,
                "activated",
                request_id,
                fields,
                policy_hash=version.content_hash,
            )
            if data is not None:
                tx.enqueue_audit(data)

    def _after(self, version: PolicyVersion) -> None:
        if version.status == "active":
            self.load()


def _count(value: Any) -> int | None:
    """A number of approvers, or None when it is not a whole number from 0 to 10."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        return None
    return value
