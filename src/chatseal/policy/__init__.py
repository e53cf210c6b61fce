"""Access policy: one decision point (Cedar), versioned policies, break-glass grants.

Pure: no I/O through store or keys. The service builds one `PolicyEngine` and asks it before
every operation; `PolicyAdmin` and `BreakGlassBook` hold the rules of change and of emergency
access over repositories the service provides. See docs/access.md.
"""

from chatseal.policy import resources
from chatseal.policy.actions import ACTIONS, APPLIES_TO, GRANTABLE, ROLES
from chatseal.policy.breakglass import (
    BreakGlassBook,
    BreakGlassRepository,
    BreakGlassRequest,
    InMemoryBreakGlassRepository,
)
from chatseal.policy.cases import Mismatch, PolicyCase, load_cases, parse_cases, run_cases
from chatseal.policy.compiler import (
    CompiledPolicy,
    canonical_text,
    content_hash,
    default_policy_text,
    format_policy,
    schema_text,
    validate,
)
from chatseal.policy.decision import Decision, PolicyEngine, RequestContext
from chatseal.policy.grants import Grant, GrantSource
from chatseal.policy.versions import (
    InMemoryPolicyRepository,
    PolicyAdmin,
    PolicyRepository,
    PolicyVersion,
    diff,
)

__all__ = [
    "ACTIONS",
    "APPLIES_TO",
    "GRANTABLE",
    "ROLES",
    "BreakGlassBook",
    "BreakGlassRepository",
    "BreakGlassRequest",
    "CompiledPolicy",
    "Decision",
    "Grant",
    "GrantSource",
    "InMemoryBreakGlassRepository",
    "InMemoryPolicyRepository",
    "Mismatch",
    "PolicyAdmin",
    "PolicyCase",
    "PolicyEngine",
    "PolicyRepository",
    "PolicyVersion",
    "RequestContext",
    "canonical_text",
    "content_hash",
    "default_policy_text",
    "diff",
    "format_policy",
    "load_cases",
    "parse_cases",
    "resources",
    "run_cases",
    "schema_text",
    "validate",
]
