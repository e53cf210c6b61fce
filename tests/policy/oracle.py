"""The default policy restated as plain Python, independently of Cedar, for the matrix tests.

Written from docs/access.md's role table, not from default.cedar: a test compares every decision
of the engine with `expected()` here. The lead's HTTP matrix can import the same oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

# The role table of docs/access.md: which actions each role is granted, before any guard.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "user": frozenset(
        {
            "conversation.create",
            "conversation.read",
            "conversation.update",
            "conversation.delete",
            "item.append",
            "item.read",
            "item.delete",
        }
    ),
    "agent": frozenset(
        {
            "conversation.create",
            "conversation.read",
            "conversation.update",
            "conversation.delete",
            "item.append",
            "item.read",
            "item.delete",
            "prompts.read",
        }
    ),
    "support": frozenset({"conversation.read", "item.read", "item.append", "breakglass.request"}),
    "auditor": frozenset({"audit.read"}),
    "key-admin": frozenset({"keys.rotate", "keys.retire", "keys.destroy", "keys.status"}),
    "tenant-admin": frozenset(
        {
            "conversation.delete",
            "item.delete",
            "retention.run",
            "backup.create",
            "backup.restore",
            "keys.status",
            "policy.read",
            "breakglass.request",
        }
    ),
    "security-admin": frozenset(
        {"policy.read", "policy.write", "policy.approve", "breakglass.request"}
    ),
    "approver": frozenset({"policy.read", "policy.approve", "breakglass.approve"}),
}

CONTENT_ACTIONS = frozenset(
    {
        "conversation.create",
        "conversation.read",
        "conversation.update",
        "conversation.delete",
        "item.append",
        "item.read",
        "item.delete",
        "prompts.read",
        "reidentify",
    }
)
CHANGING_ACTIONS = frozenset(
    {
        "conversation.create",
        "conversation.update",
        "conversation.delete",
        "item.append",
        "item.delete",
    }
)
CONSENT_PURPOSES = frozenset({"analytics", "training"})
PROMPT_ROLES = frozenset({"system", "developer"})
CONTENT_KINDS = frozenset({"Conversation", "Item", "PromptMaterial"})
PROBES = {
    "Conversation": (
        "conversation.read",
        "conversation.update",
        "conversation.delete",
        "reidentify",
    ),
    "Item": ("item.append", "item.read", "item.delete", "reidentify"),
    "PromptMaterial": ("prompts.read",),
}


@dataclass(frozen=True)
class Who:
    """A principal, flattened."""

    tenant: str
    subject: str
    roles: frozenset[str]
    purpose: str = ""
    clearance: str = ""


@dataclass(frozen=True)
class What:
    """A resource, flattened: kind plus every attribute any kind may have."""

    kind: str
    tenant: str
    classification: str = "internal"
    owner: str = ""
    consents: frozenset[str] = frozenset()
    item_role: str = ""
    author: str = ""
    requester: str = ""
    requester_tenant: str = ""


def _role_allows(who: Who, action: str, what: What) -> bool:
    for role in who.roles:
        if action not in ROLE_ACTIONS.get(role, frozenset()):
            continue
        if role == "user" and what.owner != who.subject:
            continue
        if role == "agent" and not who.purpose:
            continue
        support_gate = who.purpose != "support" or what.classification == "restricted"
        if role == "support" and action != "breakglass.request" and support_gate:
            continue
        return True
    return False


def _guard_denies(who: Who, action: str, what: What) -> bool:
    if who.tenant != what.tenant:
        security_request = action == "breakglass.request" and "security-admin" in who.roles
        if not security_request:
            return True
    if action in CONTENT_ACTIONS:
        if who.roles & {"key-admin", "auditor"}:
            return True
        if (
            what.classification == "restricted"
            and who.clearance != "restricted"
            and what.owner != who.subject
        ):
            return True
        consent_missing = who.purpose not in what.consents or action in CHANGING_ACTIONS
        if who.purpose in CONSENT_PURPOSES and consent_missing:
            return True
    if (
        what.kind == "Item"
        and action in {"item.read", "item.append"}
        and what.item_role in PROMPT_ROLES
        and "agent" not in who.roles
    ):
        return True
    if action == "policy.approve" and what.author == who.subject:
        return True
    return (
        action == "breakglass.approve"
        and what.requester == who.subject
        and what.requester_tenant == who.tenant
    )


def expected(who: Who, action: str, what: What) -> bool:
    """Whether the default policy allows `who` to perform `action` on `what` (no grants)."""
    return _role_allows(who, action, what) and not _guard_denies(who, action, what)


def expected_visible(who: Who, action: str, what: What) -> bool:
    """Whether a denied `who` may know that `what` exists (403) rather than not (404)."""
    if expected(who, action, what):
        return True
    if what.kind not in CONTENT_KINDS or action == "conversation.create":
        return who.tenant == what.tenant
    if who.tenant != what.tenant:
        return False
    return any(expected(who, probe, what) for probe in PROBES[what.kind])
