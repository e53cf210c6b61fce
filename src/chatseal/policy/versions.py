"""Versioned policies: propose, validate, approve (two-person rule), diff, roll back.

Pure logic over a `PolicyRepository` (in memory here; the service implements it on the store).
A version is validated against the schema before it is stored, and takes effect only when
`required_approvals` people other than its author have approved it. Whether a person may
approve at all (role `security-admin` or `approver`) is the decision point's question
(`policy.approve`); this module enforces who is distinct from whom, and the order of versions.
Every method returns the version it changed, for the caller to audit.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from chatseal.clock import Clock, IdGenerator, SystemClock
from chatseal.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from chatseal.policy import compiler

Status = Literal["pending", "active", "superseded", "rejected"]


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a tenant's policy. `content_hash` is SHA-256 of the canonical text."""

    id: str
    tenant: str
    author: str
    created_at: float
    content_hash: str
    parent: str | None
    text: str
    status: Status = "pending"
    approvals: tuple[str, ...] = ()
    activated_at: float | None = None
    note: str = ""


class PolicyRepository(Protocol):
    """Where policy versions live (the service implements it on the store)."""

    def list_versions(self, tenant: str) -> Sequence[PolicyVersion]:
        """Return a tenant's versions, oldest first."""
        ...

    def get_version(self, tenant: str, version_id: str) -> PolicyVersion | None:
        """Return one version, or None."""
        ...

    def put_version(self, version: PolicyVersion) -> None:
        """Insert or replace a version (by tenant and id)."""
        ...

    def get_active(self, tenant: str) -> PolicyVersion | None:
        """Return the tenant's active version, or None (the shipped default applies)."""
        ...


class InMemoryPolicyRepository:
    """A PolicyRepository in a dict, for tests and embedded use."""

    def __init__(self) -> None:
        self._versions: dict[str, dict[str, PolicyVersion]] = {}

    def list_versions(self, tenant: str) -> Sequence[PolicyVersion]:
        """Return a tenant's versions in insertion order."""
        return list(self._versions.get(tenant, {}).values())

    def get_version(self, tenant: str, version_id: str) -> PolicyVersion | None:
        """Return one version, or None."""
        return self._versions.get(tenant, {}).get(version_id)

    def put_version(self, version: PolicyVersion) -> None:
        """Store a version."""
        self._versions.setdefault(version.tenant, {})[version.id] = version

    def get_active(self, tenant: str) -> PolicyVersion | None:
        """Return the version whose status is active."""
        for version in self._versions.get(tenant, {}).values():
            if version.status == "active":
                return version
        return None


def diff(old: PolicyVersion, new: PolicyVersion) -> str:
    """Return a unified diff from one version's text to another's."""
    return "".join(
        difflib.unified_diff(
            old.text.splitlines(keepends=True),
            new.text.splitlines(keepends=True),
            fromfile=f"{old.id} ({old.content_hash[:12]})",
            tofile=f"{new.id} ({new.content_hash[:12]})",
        )
    )


class PolicyAdmin:
    """Applies the rules of policy change to a repository.

    `required_approvals` is the default number of approvers besides the author (1 = two-person
    rule); `per_tenant` overrides it for some tenants. 0 makes a valid version active at once.
    """

    def __init__(
        self,
        repository: PolicyRepository,
        *,
        required_approvals: int = 1,
        per_tenant: Mapping[str, int] | None = None,
        schema_text: str | None = None,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
    ) -> None:
        if required_approvals < 0 or any(n < 0 for n in (per_tenant or {}).values()):
            raise InvalidRequest(
                "required approvals cannot be negative", param="required_approvals"
            )
        self.repository = repository
        self._required = required_approvals
        self._per_tenant = dict(per_tenant or {})
        self._schema = schema_text
        self._clock: Clock = clock or SystemClock()
        self._ids = ids or IdGenerator()

    def required_approvals(self, tenant: str) -> int:
        """How many distinct approvers besides the author a tenant's versions need."""
        return self._per_tenant.get(tenant, self._required)

    def active(self, tenant: str) -> PolicyVersion | None:
        """The tenant's active version (None: the shipped default policy applies)."""
        return self.repository.get_active(tenant)

    def active_text(self, tenant: str) -> str:
        """The text of the policy in force for a tenant."""
        version = self.active(tenant)
        return version.text if version else compiler.default_policy_text()

    def history(self, tenant: str) -> Sequence[PolicyVersion]:
        """Every version of a tenant, oldest first."""
        return self.repository.list_versions(tenant)

    def get(self, tenant: str, version_id: str) -> PolicyVersion:
        """One version (NotFound when the tenant has no such version)."""
        version = self.repository.get_version(tenant, version_id)
        if version is None:
            raise NotFound("policy version not found", param="version")
        return version

    def propose(self, tenant: str, author: str, text: str, *, note: str = "") -> PolicyVersion:
        """Validate text and store it as a pending version whose parent is the active one.

        Raises InvalidRequest (with the validator's message) when the text is not valid; an
        invalid text is never stored.
        """
        if not author:
            raise InvalidRequest("a policy version needs an author", param="author")
        canonical = compiler.validate(text, self._schema)
        active = self.active(tenant)
        version = PolicyVersion(
            id=self._ids.new("polv"),
            tenant=tenant,
            author=author,
            created_at=self._clock.now(),
            content_hash=compiler.content_hash(canonical),
            parent=active.id if active else None,
            text=canonical,
            note=note,
        )
        self.repository.put_version(version)
        if self.required_approvals(tenant) == 0:
            return self._activate(version)
        return version

    def approve(self, tenant: str, version_id: str, approver: str) -> PolicyVersion:
        """Record an approval; activate the version once it has enough distinct approvers.

        The author cannot approve (PermissionDenied); one person approves once (Conflict); a
        version proposed against a policy that has since changed must be proposed again
        (Conflict), so an approval never silently undoes a newer change.
        """
        version = self.get(tenant, version_id)
        if version.status != "pending":
            raise Conflict(f"policy version is {version.status}, not pending")
        if not approver:
            raise InvalidRequest("an approval needs an approver", param="approver")
        if approver == version.author:
            raise PermissionDenied("the author of a policy version cannot approve it")
        if approver in version.approvals:
            raise Conflict("this approver has already approved this version")
        version = replace(version, approvals=(*version.approvals, approver))
        self.repository.put_version(version)
        if len(version.approvals) >= self.required_approvals(tenant):
            return self._activate(version)
        return version

    def reject(self, tenant: str, version_id: str, by: str) -> PolicyVersion:
        """Reject a pending version; it can never take effect."""
        version = self.get(tenant, version_id)
        if version.status != "pending":
            raise Conflict(f"policy version is {version.status}, not pending")
        rejected = replace(version, status="rejected", note=version.note or f"rejected by {by}")
        self.repository.put_version(rejected)
        return rejected

    def rollback(self, tenant: str, to_version_id: str, author: str) -> PolicyVersion:
        """Propose a new version whose text is exactly an old one's (it needs approval too)."""
        old = self.get(tenant, to_version_id)
        return self.propose(tenant, author, old.text, note=f"rollback to {old.id}")

    def diff(self, tenant: str, old_id: str, new_id: str) -> str:
        """A unified diff between two versions of a tenant."""
        return diff(self.get(tenant, old_id), self.get(tenant, new_id))

    def _activate(self, version: PolicyVersion) -> PolicyVersion:
        active = self.active(version.tenant)
        current = active.id if active else None
        if version.parent != current:
            raise Conflict("the active policy changed since this version was proposed")
        if active is not None:
            self.repository.put_version(replace(active, status="superseded"))
        activated = replace(version, status="active", activated_at=self._clock.now())
        self.repository.put_version(activated)
        return activated
