"""The Cedar decision point (`chatseal.policy.PolicyEngine`) behind the service's `Authorizer`.

The service describes what an action is about with its own small `Resource`; this adapter turns
it into the policy's resource descriptors. The owner is known only as a keyed hash in the store,
so the service says whether the caller owns the conversation and the adapter names the owner
accordingly (the caller, or nobody the caller could be).
"""

from __future__ import annotations

import dataclasses

from chatseal.model import Principal
from chatseal.policy import PolicyEngine
from chatseal.policy import resources as res
from chatseal.service.access import ANY_TENANT, Decision, Resource

_NOT_THE_CALLER = "~another-subject"
_ITEM_ACTIONS = frozenset({"item.append", "item.read", "item.delete"})


def describe(principal: Principal, action: str, resource: Resource) -> res.Resource:
    """Map the service's resource to the policy's descriptor for `action`."""
    tenant = resource.tenant
    if resource.kind == "key" or action.startswith("keys."):
        return res.Key(tenant)
    if action == "retention.run" or resource.kind == "tenant":
        return res.Tenant(tenant)
    if resource.kind == "audit":
        return res.AuditLog(tenant)
    conversation = res.Conversation(
        tenant,
        resource.id or "conv_new",
        resource.classification,
        owner_subject=principal.subject if resource.owned else _NOT_THE_CALLER,
        consents=resource.consents,
    )
    if action in _ITEM_ACTIONS:
        return res.Item(conversation, "item", role=resource.item_role or "")
    if action == "prompts.read":
        return res.PromptMaterial(conversation)
    return conversation


_RECENT_DECISIONS = 8192


class CedarAuthorizer:
    """An `Authorizer` that asks the Cedar engine; any Cedar error denies (the engine's rule).

    The engine caches Cedar's answers, but describing the request for it (descriptors, attribute
    tuples, grants) costs more than Cedar's cached answer. So the decisions of recent requests
    are remembered here too, keyed by the request itself and valid while the tenant's active
    policy is the one that made them and the principal holds no break-glass grant.
    """

    def __init__(self, engine: PolicyEngine | None = None) -> None:
        self.engine = engine or PolicyEngine()
        self._recent: dict[tuple[Principal, str, Resource], tuple[str, Decision]] = {}

    @property
    def version(self) -> str:
        """The content hash of the default tenant's active policy (for audit events)."""
        return self.engine.active_hash()

    def decide(self, principal: Principal, action: str, resource: Resource) -> Decision:
        """Decide through Cedar; the reasons become the audit reason."""
        try:
            key = (principal, action, resource)
            recent = self._recent.get(key)
        except TypeError:  # an unhashable part: decide without remembering
            return self._decide(principal, action, resource)
        policy = self.engine.active_hash(resource.tenant)
        if self.engine.has_active_grants(principal):
            return self._decide(principal, action, resource)
        if recent is not None and recent[0] == policy:
            return recent[1]
        decision = self._decide(principal, action, resource)
        if decision.policy_version == policy:
            if len(self._recent) >= _RECENT_DECISIONS:
                self._recent.clear()
            self._recent[key] = (policy, decision)
        return decision

    def _decide(self, principal: Principal, action: str, resource: Resource) -> Decision:
        if principal.tenant == ANY_TENANT:
            # The deployment-wide key operator (CLI without --tenant, the rotation scheduler) is
            # decided as a key admin of each tenant in turn, and for key actions only.
            if not action.startswith("keys."):
                return Decision(False, False, "operator-keys-only", self.version)
            principal = dataclasses.replace(principal, tenant=resource.tenant)
        decision = self.engine.decide(principal, action, describe(principal, action, resource))
        reason = ",".join(decision.reasons) or ("allowed" if decision.allowed else "denied")
        return Decision(decision.allowed, decision.visible, reason, decision.policy_version_hash)
