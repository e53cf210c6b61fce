"""The decision point every operation passes through, as the service sees it.

`Authorizer` is the seam: the Cedar engine in `chatseal.policy` plugs in here. `RolePolicy` is the
built-in fallback with the same role names, used when no policy engine is configured.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from chatseal.model import Principal

DATA_ROLES = frozenset({"user", "agent", "support", "tenant-admin"})
KEY_ADMIN = "key-admin"
# A deployment-wide key admin (the operator's CLI, the rotation scheduler) acts with this tenant.
# Tenant names cannot contain '*', so it never matches a data resource.
ANY_TENANT = "*"
CLASSIFICATION_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


class Resource(NamedTuple):
    """What an action is about. `owned` says whether the principal owns it.

    Named tuples (here and for `Decision`): built and hashed on every request, in C.
    """

    kind: str
    tenant: str
    id: str | None = None
    classification: str = "internal"
    owned: bool = False
    consents: frozenset[str] = frozenset()
    item_role: str | None = None


class Decision(NamedTuple):
    """Allowed or not; `visible` says whether the principal may learn the resource exists."""

    allowed: bool
    visible: bool
    reason: str
    policy_version: str = "builtin-roles-v1"


class Authorizer(Protocol):
    """Decides whether a principal may perform an action on a resource."""

    def decide(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """Return the decision (never raises for a denial)."""
        ...


class RolePolicy:
    """Role-based rules: users see their own conversations, support up to confidential for the
    support purpose, agents the tenant's for a declared purpose, tenant admins the tenant's."""

    def _may_see(self, principal: Principal, resource: Resource) -> bool:
        roles = principal.roles
        if "tenant-admin" in roles:
            return True
        if "agent" in roles and principal.purpose:
            return True
        if "support" in roles and principal.purpose == "support":
            return (
                CLASSIFICATION_RANK.get(resource.classification, 3)
                <= CLASSIFICATION_RANK["confidential"]
            )
        return "user" in roles and resource.owned

    def decide(  # noqa: PLR0911 - one early return per rule reads as the rule table it is
        self, principal: Principal, action: str, resource: Resource
    ) -> Decision:
        """Decide by role, tenant and ownership; default deny."""
        if action.startswith("keys.") or resource.kind == "key":
            return _decide_key(principal, action, resource)
        if principal.tenant != resource.tenant:
            return Decision(False, False, "another tenant")
        if action == "audit.read":
            # Auditors read the log, never content (separation of duties).
            return Decision("auditor" in principal.roles, True, "auditor reads the audit log")
        if not principal.roles & DATA_ROLES:
            return Decision(False, False, "no data role")
        if KEY_ADMIN in principal.roles:
            # Separation of duties (DESIGN.md, Access): a key admin never reads content.
            return Decision(False, False, "key admins may not act on data")
        if action == "conversation.create":
            return Decision(True, True, "data role")
        visible = self._may_see(principal, resource)
        if not visible:
            return Decision(False, False, "not visible to this principal")
        if action == "prompts.read" and not roles_allow_prompts(principal.roles):
            return Decision(False, True, "prompt material needs the agent or tenant-admin role")
        if action == "reidentify" and "tenant-admin" not in principal.roles:
            # Pseudonym originals (docs/minimisation.md) are for the tenant's admins alone.
            return Decision(False, True, "re-identification needs the tenant-admin role")
        if (
            action.endswith(".delete")
            and "support" in principal.roles
            and len(principal.roles) == 1
        ):
            return Decision(False, True, "support may not delete")
        return Decision(True, True, "role grants it")


def _decide_key(principal: Principal, action: str, resource: Resource) -> Decision:
    """Key actions (`keys.*`) are for key-admin alone; data roles get nothing here."""
    if principal.tenant not in (resource.tenant, ANY_TENANT):
        return Decision(False, False, "another tenant")
    if not action.startswith("keys."):
        return Decision(False, False, "keys take key actions only")
    if KEY_ADMIN not in principal.roles:
        return Decision(False, True, "key operations need the key-admin role")
    return Decision(True, True, "key-admin")


def roles_allow_prompts(roles: frozenset[str]) -> bool:
    """System and developer prompts are for the application and its admins, not end users."""
    return bool(roles & {"agent", "tenant-admin"})
