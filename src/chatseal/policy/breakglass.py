"""Break-glass access: lawful or emergency access outside the roles, by two approvals.

A request names a reason and a scope (the target tenant, grantable actions, optionally some
conversations) and a duration. It becomes a grant only when two distinct approvers, neither the
requester, approve it; the grant starts at the second approval, ends by itself after the
duration (the clock is injected), and can be revoked at any time. Whether a principal may
request or approve at all is the decision point's question (`breakglass.request` on the target
`Tenant`, `breakglass.approve` on the `BreakGlassRequest`); this module enforces who is distinct
from whom, the scope and the time box. The `BreakGlassBook` is the decision point's GrantSource.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from chatseal.clock import Clock, IdGenerator, SystemClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import resources as res
from chatseal.policy.actions import GRANTABLE
from chatseal.policy.grants import Grant

Status = Literal["pending", "active", "rejected", "revoked"]
MAX_REASON_CHARS = 2_000
MAX_CONVERSATIONS = 100
DEFAULT_MAX_DURATION = 24 * 3600.0
REQUIRED_APPROVALS = 2


@dataclass(frozen=True)
class BreakGlassRequest:
    """A break-glass request and, once approved, its grant's time box."""

    id: str
    tenant: str
    requester_tenant: str
    requester: str
    reason: str
    actions: frozenset[str]
    duration: float
    created_at: float
    conversation_ids: frozenset[str] = field(default_factory=frozenset)
    status: Status = "pending"
    approvals: tuple[str, ...] = ()
    approved_at: float | None = None
    expires_at: float | None = None
    revoked_by: str | None = None

    def is_active(self, now: float) -> bool:
        """True from the second approval until expiry, unless revoked."""
        return self.status == "active" and self.expires_at is not None and now < self.expires_at

    def as_resource(self) -> res.BreakGlassRequest:
        """The resource a `breakglass.approve` decision is asked about."""
        return res.BreakGlassRequest(
            tenant=self.tenant,
            id=self.id,
            requester_tenant=self.requester_tenant,
            requester=self.requester,
        )

    def grant(self) -> Grant:
        """The grant this request gives once active."""
        return Grant(
            id=self.id,
            grantee_tenant=self.requester_tenant,
            grantee_subject=self.requester,
            tenant=self.tenant,
            actions=self.actions,
            expires_at=self.expires_at or 0.0,
            conversation_ids=self.conversation_ids,
        )


class BreakGlassRepository(Protocol):
    """Where break-glass requests live (the service implements it on the store)."""

    def put(self, request: BreakGlassRequest) -> None:
        """Insert or replace a request (by id)."""
        ...

    def get(self, request_id: str) -> BreakGlassRequest | None:
        """Return one request, or None."""
        ...

    def list(self, tenant: str | None = None) -> Sequence[BreakGlassRequest]:
        """Return requests (of one target tenant, or all), oldest first."""
        ...

    def for_grantee(self, tenant: str, subject: str) -> Sequence[BreakGlassRequest]:
        """Return the requests filed by one principal (any status)."""
        ...


class InMemoryBreakGlassRepository:
    """A BreakGlassRepository in dicts, for tests and embedded use."""

    def __init__(self) -> None:
        self._requests: dict[str, BreakGlassRequest] = {}
        self._by_grantee: dict[tuple[str, str], list[str]] = {}

    def put(self, request: BreakGlassRequest) -> None:
        """Store a request."""
        if request.id not in self._requests:
            key = (request.requester_tenant, request.requester)
            self._by_grantee.setdefault(key, []).append(request.id)
        self._requests[request.id] = request

    def get(self, request_id: str) -> BreakGlassRequest | None:
        """Return one request, or None."""
        return self._requests.get(request_id)

    def list(self, tenant: str | None = None) -> Sequence[BreakGlassRequest]:
        """Return requests, optionally of one target tenant."""
        return [r for r in self._requests.values() if tenant is None or r.tenant == tenant]

    def for_grantee(self, tenant: str, subject: str) -> Sequence[BreakGlassRequest]:
        """Return one principal's requests."""
        return [self._requests[i] for i in self._by_grantee.get((tenant, subject), ())]


def _scope(
    actions: Iterable[str], conversation_ids: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    wanted = frozenset(actions)
    if not wanted:
        raise InvalidRequest("a break-glass scope needs at least one action", param="actions")
    beyond = wanted - GRANTABLE
    if beyond:
        raise InvalidRequest(
            "break-glass cannot grant: " + ", ".join(sorted(beyond)), param="actions"
        )
    conversations = frozenset(conversation_ids)
    if len(conversations) > MAX_CONVERSATIONS or not all(
        isinstance(c, str) and c for c in conversations
    ):
        raise InvalidRequest(
            f"a scope names at most {MAX_CONVERSATIONS} conversation ids", param="conversation_ids"
        )
    return wanted, conversations


class BreakGlassBook:
    """Files, approves, revokes and answers break-glass requests; a GrantSource."""

    def __init__(
        self,
        repository: BreakGlassRepository,
        *,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        max_duration: float = DEFAULT_MAX_DURATION,
    ) -> None:
        self.repository = repository
        self._clock: Clock = clock or SystemClock()
        self._ids = ids or IdGenerator()
        self._max_duration = max_duration

    def request(
        self,
        requester: Principal,
        *,
        tenant: str,
        reason: str,
        actions: Iterable[str],
        duration: float,
        conversation_ids: Iterable[str] = (),
    ) -> BreakGlassRequest:
        """File a request; it grants nothing until two approvers approve it."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
            raise InvalidRequest(
                f"a break-glass reason is 1-{MAX_REASON_CHARS} characters", param="reason"
            )
        if not (0 < duration <= self._max_duration):
            raise InvalidRequest(
                f"duration must be more than 0 and at most {self._max_duration:g} seconds",
                param="duration",
            )
        wanted, conversations = _scope(actions, conversation_ids)
        filed = BreakGlassRequest(
            id=self._ids.new("bg"),
            tenant=res.Tenant(tenant).tenant,
            requester_tenant=requester.tenant,
            requester=requester.subject,
            reason=reason.strip(),
            actions=wanted,
            duration=float(duration),
            created_at=self._clock.now(),
            conversation_ids=conversations,
        )
        self.repository.put(filed)
        return filed

    def get(self, request_id: str) -> BreakGlassRequest:
        """One request (NotFound when there is none)."""
        found = self.repository.get(request_id)
        if found is None:
            raise NotFound("break-glass request not found", param="request")
        return found

    def approve(self, request_id: str, approver: Principal) -> BreakGlassRequest:
        """Approve; the second distinct approval activates the grant for its duration.

        The requester cannot approve (PermissionDenied); nor can anyone outside the target
        tenant (PermissionDenied); one person approves once (Conflict).
        """
        found = self.get(request_id)
        if found.status != "pending":
            raise Conflict(f"break-glass request is {found.status}, not pending")
        if approver.tenant != found.tenant:
            raise PermissionDenied("approvers come from the tenant whose data is requested")
        if (approver.tenant, approver.subject) == (found.requester_tenant, found.requester):
            raise PermissionDenied("a requester cannot approve their own break-glass request")
        if approver.subject in found.approvals:
            raise Conflict("this approver has already approved this request")
        updated = replace(found, approvals=(*found.approvals, approver.subject))
        if len(updated.approvals) >= REQUIRED_APPROVALS:
            now = self._clock.now()
            updated = replace(
                updated, status="active", approved_at=now, expires_at=now + updated.duration
            )
        self.repository.put(updated)
        return updated

    def reject(self, request_id: str, by: Principal) -> BreakGlassRequest:
        """Reject a pending request."""
        found = self.get(request_id)
        if found.status != "pending":
            raise Conflict(f"break-glass request is {found.status}, not pending")
        rejected = replace(found, status="rejected", revoked_by=by.subject)
        self.repository.put(rejected)
        return rejected

    def revoke(self, request_id: str, by: Principal) -> BreakGlassRequest:
        """End a request or grant now (idempotent for an already revoked one)."""
        found = self.get(request_id)
        if found.status == "revoked":
            return found
        revoked = replace(found, status="revoked", revoked_by=by.subject)
        self.repository.put(revoked)
        return revoked

    def list(self, tenant: str | None = None) -> Sequence[BreakGlassRequest]:
        """Requests of a target tenant (or all)."""
        return self.repository.list(tenant)

    def active_grants(self, tenant: str, subject: str, now: float) -> Sequence[Grant]:
        """GrantSource: the principal's grants active at `now`."""
        return [r.grant() for r in self.repository.for_grantee(tenant, subject) if r.is_active(now)]
