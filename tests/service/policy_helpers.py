"""Shared helpers for the policy service tests: principals, audit leaves, a restrictive policy."""

from __future__ import annotations

import json
from typing import Any

from chatseal.model import Principal
from chatseal.policy import default_policy_text
from chatseal.service import ChatSeal

SAM = Principal.of("acme", "sam", "security-admin")
SID = Principal.of("acme", "sid", "security-admin")
ANN = Principal.of("acme", "ann", "approver")
AL = Principal.of("acme", "al", "approver")
SUE = Principal.of("acme", "sue", "support", purpose="support")
GLOBEX_SAM = Principal.of("globex", "gsam", "security-admin")

# The default policy plus one guard: end users may not read conversations.
NO_USER_READS = default_policy_text() + (
    '\n@id("test-no-user-reads")\n'
    'forbid (principal, action == ChatSeal::Action::"conversation.read", resource)\n'
    'when { principal.roles.contains("user") };\n'
)


def leaves(seal: ChatSeal) -> list[dict[str, Any]]:
    """Every audit leaf so far, parsed."""
    assert seal.audit is not None
    seal.audit.checkpoint()
    tree = seal.audit.tree
    return [json.loads(leaf) for leaf in tree.entries(0, tree.size)]


def steps(seal: ChatSeal, prefix: str) -> list[tuple[str, str, str]]:
    """(type, action, decision) of the leaves whose type or action starts with `prefix`."""
    return [
        (e["type"], e["action"], e["decision"]["result"])
        for e in leaves(seal)
        if e["type"].startswith(prefix) or e["action"].startswith(prefix)
    ]
