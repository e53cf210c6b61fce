"""The actions every ChatSeal operation is decided as, and the resource types they apply to.

These constants mirror `schema.cedarschema.json` (a test keeps the two equal); Python code uses
them to refuse an action on the wrong kind of resource before Cedar is asked.
"""

from __future__ import annotations

# Action -> the Cedar entity types (in the ChatSeal namespace) it applies to.
APPLIES_TO: dict[str, frozenset[str]] = {
    "conversation.create": frozenset({"Conversation"}),
    "conversation.read": frozenset({"Conversation"}),
    "conversation.update": frozenset({"Conversation"}),
    "conversation.delete": frozenset({"Conversation"}),
    "item.append": frozenset({"Item"}),
    "item.read": frozenset({"Item"}),
    "item.delete": frozenset({"Item"}),
    "prompts.read": frozenset({"PromptMaterial"}),
    "audit.read": frozenset({"AuditLog"}),
    "keys.rotate": frozenset({"Key"}),
    "keys.retire": frozenset({"Key"}),
    "keys.destroy": frozenset({"Key"}),
    "keys.status": frozenset({"Key"}),
    "policy.read": frozenset({"PolicySet"}),
    "policy.write": frozenset({"PolicySet"}),
    "policy.approve": frozenset({"PolicySet"}),
    "backup.create": frozenset({"Backup"}),
    "backup.restore": frozenset({"Backup"}),
    "retention.run": frozenset({"Tenant"}),
    "reidentify": frozenset({"Conversation", "Item"}),
    "breakglass.request": frozenset({"Tenant"}),
    "breakglass.approve": frozenset({"BreakGlassRequest"}),
}

ACTIONS: tuple[str, ...] = tuple(APPLIES_TO)

# Action groups declared in the schema (Cedar `action in ChatSeal::Action::"content"`).
CONTENT: frozenset[str] = frozenset(
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
CONTENT_CHANGE: frozenset[str] = frozenset(
    {
        "conversation.create",
        "conversation.update",
        "conversation.delete",
        "item.append",
        "item.delete",
    }
)
# What a break-glass grant may ever allow: never policy, key destruction or more break-glass.
GRANTABLE: frozenset[str] = frozenset(
    {
        "conversation.read",
        "conversation.update",
        "conversation.delete",
        "item.append",
        "item.read",
        "item.delete",
        "prompts.read",
        "reidentify",
        "audit.read",
        "keys.status",
        "backup.create",
        "backup.restore",
        "retention.run",
    }
)
GROUPS: dict[str, frozenset[str]] = {
    "content": CONTENT,
    "content.change": CONTENT_CHANGE,
    "grantable": GRANTABLE,
}

# Resource types whose existence is secret inside a tenant (a denied caller who may do nothing
# with them is told 404); tenant-level resources are known to every member of the tenant.
CONTENT_TYPES: frozenset[str] = frozenset({"Conversation", "Item", "PromptMaterial"})

# For each content type, the actions that reveal the resource exists when any one is allowed.
PROBES: dict[str, tuple[str, ...]] = {
    kind: tuple(
        a for a, kinds in APPLIES_TO.items() if kind in kinds and a != "conversation.create"
    )
    for kind in CONTENT_TYPES
}

ROLES: tuple[str, ...] = (
    "user",
    "agent",
    "support",
    "auditor",
    "key-admin",
    "tenant-admin",
    "security-admin",
    "approver",
)
