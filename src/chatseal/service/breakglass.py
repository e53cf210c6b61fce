"""Break-glass in the service: requests, two approvals, revocation, on the store, audited.

`ChatSeal.policy_admin.breakglass`. The rules (distinct approvers who are not the requester,
grantable actions only, capped durations) are `chatseal.policy.BreakGlassBook`'s; this module
asks the decision point who may take each step, keeps the requests in the store (reasons
sealed, service/policy_store.py), records every step in the audit log, and has the policy
service reload its grant table after each change so a grant starts and ends at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from chatseal.errors import NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import BreakGlassBook, BreakGlassRequest
from chatseal.policy import resources as res
from chatseal.policy.breakglass import DEFAULT_MAX_DURATION
from chatseal.service.policy_store import StoreBreakGlassRepository, reason_key
from chatseal.store import StoreTx

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal
    from chatseal.service.policy_admin import PolicyService


class BreakGlassService:
    """File, approve, reject, revoke and list break-glass requests of a tenant."""

    def __init__(self, policy: PolicyService, seal: ChatSeal) -> None:
        self._policy = policy
        self._seal = seal
        section = seal.config.section("policy") if seal.config is not None else {}
        self._max_duration = float(section.get("breakglass_max_seconds", DEFAULT_MAX_DURATION))

    @contextmanager
    def _book(self, tx: StoreTx, tenant: str) -> Iterator[BreakGlassBook]:
        keys = self._seal.tenant_keys(tenant, tx)
        repo = StoreBreakGlassRepository(
            tx,
            tenant,
            keys.row.tenant_id,
            reason_key(keys.index_key, keys.row.tenant_id),
            keys.row.index_key_version,
        )
        yield BreakGlassBook(
            repo, clock=self._seal.clock, ids=self._seal.ids, max_duration=self._max_duration
        )

    def _record(
        self,
        tx: StoreTx,
        principal: Principal,
        step: str,
        found: BreakGlassRequest,
        reason: str,
        request_id: str,
    ) -> None:
        data = self._policy.event(
            principal,
            f"breakglass.{step}",
            f"breakglass.{step}",
            found.tenant,
            True,
            reason,
            request_id,
            {"kind": "breakglass", "breakglass": found.id},
        )
        if data is not None:
            tx.enqueue_audit(data)

    def _find(self, tenant: str, request_id: str) -> BreakGlassRequest | None:
        with self._seal.read() as tx, self._book(tx, tenant) as book:
            return book.repository.get(request_id)

    def request(
        self,
        principal: Principal,
        tenant: str,
        *,
        reason: str,
        actions: Iterable[str],
        duration: float,
        conversation_ids: Iterable[str] = (),
    ) -> BreakGlassRequest:
        """File a request for access to `tenant`'s data; it grants nothing until approved."""
        from chatseal.service.policy_admin import new_request_id

        request_id = new_request_id()
        self._policy.decide(
            principal, "breakglass.request", res.Tenant(tenant), request_id, kind="breakglass"
        )
        with self._seal.write() as tx, self._book(tx, tenant) as book:
            filed = book.request(
                principal,
                tenant=tenant,
                reason=reason,
                actions=actions,
                duration=duration,
                conversation_ids=conversation_ids,
            )
            self._record(tx, principal, "request", filed, "filed", request_id)
        return filed

    def approve(self, principal: Principal, tenant: str, request_id: str) -> BreakGlassRequest:
        """Approve (two distinct approvers, neither the requester); the second starts the grant."""
        return self._review(principal, tenant, request_id, "approve")

    def reject(self, principal: Principal, tenant: str, request_id: str) -> BreakGlassRequest:
        """Reject a pending request."""
        return self._review(principal, tenant, request_id, "reject")

    def _review(
        self, principal: Principal, tenant: str, bg_id: str, step: str
    ) -> BreakGlassRequest:
        from chatseal.service.policy_admin import new_request_id

        request_id = new_request_id()
        found = self._find(tenant, bg_id)
        resource = (
            found.as_resource()
            if found is not None
            else res.BreakGlassRequest(tenant, bg_id, requester_tenant="", requester="")
        )
        fields: dict[str, str | int] = {"kind": "breakglass", "breakglass": bg_id}
        self._policy.decide(principal, "breakglass.approve", resource, request_id, **fields)
        if found is None:
            raise NotFound("break-glass request not found", param="request")
        with (
            self._policy.audited_refusals(
                principal, f"breakglass.{step}", tenant, request_id, **fields
            ),
            self._seal.write() as tx,
            self._book(tx, tenant) as book,
        ):
            if step == "approve":
                updated = book.approve(bg_id, principal)
                reason = "granted" if updated.status == "active" else "approved"
            else:
                updated = book.reject(bg_id, principal)
                reason = "rejected"
            self._record(tx, principal, step, updated, reason, request_id)
        if updated.status == "active":
            self._policy.load()
        return updated

    def revoke(self, principal: Principal, tenant: str, bg_id: str) -> BreakGlassRequest:
        """End a request or grant now: its requester, an approver or a security admin may."""
        from chatseal.service.policy_admin import new_request_id

        request_id = new_request_id()
        fields: dict[str, str | int] = {"kind": "breakglass", "breakglass": bg_id}
        found = self._find(tenant, bg_id)
        engine = self._policy.require_engine()
        own = found is not None and (found.requester_tenant, found.requester) == (
            principal.tenant,
            principal.subject,
        )
        if not own:
            resource = (
                found.as_resource()
                if found is not None
                else res.BreakGlassRequest(tenant, bg_id, requester_tenant="", requester="")
            )
            approve = engine.decide(principal, "breakglass.approve", resource)
            write = engine.decide(principal, "policy.write", res.PolicySet(tenant))
            if not (approve.allowed or write.allowed):
                self._policy.refused(
                    principal, "breakglass.revoke", tenant, "not-allowed", request_id, **fields
                )
                if not approve.visible:
                    raise NotFound("break-glass request not found", param="request")
                raise PermissionDenied(
                    "revoking needs the requester, an approver or a security admin"
                )
        if found is None:
            raise NotFound("break-glass request not found", param="request")
        with self._seal.write() as tx, self._book(tx, tenant) as book:
            revoked = book.revoke(bg_id, principal)
            self._record(tx, principal, "revoke", revoked, "revoked", request_id)
        self._policy.load()
        return revoked

    def list(self, principal: Principal, tenant: str) -> list[BreakGlassRequest]:
        """A tenant's requests for those who handle them there; otherwise one's own only."""
        engine = self._policy.require_engine()
        handles = principal.tenant == tenant and (
            engine.decide(principal, "breakglass.request", res.Tenant(tenant)).allowed
            or engine.decide(principal, "policy.read", res.PolicySet(tenant)).allowed
        )
        try:
            with self._seal.read() as tx, self._book(tx, tenant) as book:
                found = list(book.list(tenant))
        except NotFound:
            return []
        if handles:
            return found
        return [
            r
            for r in found
            if (r.requester_tenant, r.requester) == (principal.tenant, principal.subject)
        ]
