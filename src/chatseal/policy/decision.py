"""The decision point: every ChatSeal operation asks `PolicyEngine.decide` before it acts.

A decision is a pure function of the policy version, the principal, the action, what Cedar
sees of the resource and the break-glass actions granted on it; it is cached on exactly that
key. Parsed policy sets are cached by their content hash, Cedar entities by principal and
resource. When the policy never looks at ids (true of the default policy; see
CompiledPolicy.observes_ids), the resource is keyed by type and attributes alone, so appending
item after item to one conversation is decided once.

Visibility (DESIGN.md, "Tenancy"): a denied caller is told 404 when it may not know that the
resource exists, and 403 when it may. A principal may know that a content resource
(conversation, item, prompt material) exists when it may perform at least one action on it;
tenant-level resources (the tenant, its audit log, keys, policy, backups, break-glass requests)
are known to every principal of the tenant. A resource of another tenant is never visible
without a grant covering it.

Fail closed: an unknown action, an action on the wrong kind of resource, a malformed principal
or any Cedar error (including an error in a single policy, which Cedar alone would skip) denies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from chatseal.clock import Clock, SystemClock
from chatseal.errors import NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.policy import compiler
from chatseal.policy.actions import APPLIES_TO, CONTENT_TYPES, GRANTABLE, PROBES
from chatseal.policy.grants import GrantSource, granted_actions
from chatseal.policy.resources import NAMESPACE, Resource

ACTION_TYPE = f"{NAMESPACE}::Action"
PRINCIPAL_TYPE = f"{NAMESPACE}::Principal"
DEFAULT_DENY = "default-deny"
EVALUATION_ERROR = "evaluation-error"
NOT_APPLICABLE = "action-not-applicable"
INVALID_PRINCIPAL = "invalid-principal"
INVALID_RESOURCE = "invalid-resource"
PURPOSE_NOT_ALLOWED = "purpose-not-allowed"


@dataclass(frozen=True)
class Decision:
    """The answer for one request; `policy_version_hash` names the policy that gave it."""

    allowed: bool
    reasons: tuple[str, ...]
    policy_version_hash: str
    visible: bool

    @property
    def http_status(self) -> int:
        """200 when allowed, else 403 (visible) or 404 (not visible)."""
        if self.allowed:
            return 200
        return 403 if self.visible else 404

    def enforce(self, what: str = "resource") -> None:
        """Raise NotFound or PermissionDenied unless allowed (messages name no ids)."""
        if self.allowed:
            return
        if self.visible:
            raise PermissionDenied(f"not allowed to perform this action on this {what}")
        raise NotFound(f"{what} not found")


@dataclass(frozen=True)
class RequestContext:
    """Per-request facts from the front door.

    `purpose` is a purpose declared for this request (for example by a header); it replaces the
    principal's purpose only when the credential allows it: it equals the token's purpose or the
    token carries the scope `purpose:<name>`.
    """

    purpose: str | None = None


def _principal_allows_purpose(principal: Principal, purpose: str) -> bool:
    return purpose == principal.purpose or f"purpose:{purpose}" in principal.scopes


def _principal_uid(principal: Principal) -> dict[str, str]:
    # A JSON uid, not Cedar surface syntax: ids may hold any character without escaping.
    return {"type": PRINCIPAL_TYPE, "id": f"{principal.tenant}/{principal.subject}"}


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class _Target:
    """What Cedar sees of a resource, hashable: the key of the entity and decision caches.

    When the policy cannot observe ids (CompiledPolicy.observes_ids), the id and parents are
    left out, so every resource with the same type and attributes shares one cached decision.
    """

    kind: str
    id: str
    tenant: str
    attrs: tuple[tuple[str, Any], ...]
    parents: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, resource: Resource, *, anonymous: bool) -> _Target:
        attrs = resource.attrs()
        return cls(
            kind=resource.ENTITY_TYPE,
            id="_" if anonymous else resource.entity_id,
            tenant=attrs["tenant"],
            attrs=tuple(sorted((name, _frozen(value)) for name, value in attrs.items())),
            parents=()
            if anonymous
            else tuple((uid["type"], uid["id"]) for uid in resource.parents()),
        )

    def uid(self) -> dict[str, str]:
        return {"type": f"{NAMESPACE}::{self.kind}", "id": self.id}

    def entity(self) -> dict[str, Any]:
        return {
            "uid": self.uid(),
            "attrs": dict(self.attrs),
            "parents": [{"type": kind, "id": id_} for kind, id_ in self.parents],
        }


def principal_entity(principal: Principal, granted: frozenset[str]) -> dict[str, Any]:
    """Return the Cedar entity of a principal with the actions granted on this resource."""
    return {
        "uid": _principal_uid(principal),
        "attrs": {
            "tenant": principal.tenant,
            "subject": principal.subject,
            "roles": sorted(principal.roles),
            "purpose": principal.purpose or "",
            "clearance": principal.clearance or "",
            "credential_kind": principal.credential_kind,
            "granted": [{"__entity": {"type": ACTION_TYPE, "id": a}} for a in sorted(granted)],
        },
        "parents": [],
    }


def _valid_principal(principal: object) -> bool:
    return (
        isinstance(principal, Principal)
        and isinstance(principal.tenant, str)
        and bool(principal.tenant)
        and isinstance(principal.subject, str)
        and bool(principal.subject)
        and all(isinstance(role, str) for role in principal.roles)
    )


class PolicyEngine:
    """Decides every request against the active policy version of the resource's tenant.

    The data owner's policy decides: a request on tenant T's resource is judged by T's active
    policy (or the engine-wide one when T has none), so no tenant's policy can open another's.
    """

    def __init__(
        self,
        policy_text: str | None = None,
        *,
        schema_text: str | None = None,
        grants: GrantSource | None = None,
        clock: Clock | None = None,
        decision_cache_size: int = 65_536,
        entity_cache_size: int = 16_384,
    ) -> None:
        self._cedar = compiler.cedar()
        self._schema = schema_text or compiler.schema_text()
        self._grants = grants
        self._clock: Clock = clock or SystemClock()
        self._compiled: dict[str, compiler.CompiledPolicy] = {}
        self._active: dict[str | None, compiler.CompiledPolicy] = {}
        # The schema's action entities carry the action groups (`action in Action::"content"`):
        # without them every group test is false and the policy's guards would never fire.
        self._action_entities = self._cedar.Entities.from_json_str("[]", self._schema)
        self._decide_cached = lru_cache(maxsize=decision_cache_size)(self._evaluate)
        self._entities_cached = lru_cache(maxsize=entity_cache_size)(self._entities)
        self._principal_cached = lru_cache(maxsize=entity_cache_size)(self._principal_entities)
        self.activate(policy_text if policy_text is not None else compiler.default_policy_text())

    # -- policy versions -----------------------------------------------------------------

    def compile(self, text: str) -> compiler.CompiledPolicy:
        """Validate and parse policy text once per content hash (InvalidRequest if invalid)."""
        found = self._compiled.get(compiler.content_hash(text))
        if found is not None:
            return found
        compiled = compiler.compile_policy(text, self._schema)
        self._compiled[compiled.hash] = compiled
        return compiled

    def activate(self, text: str, *, tenant: str | None = None) -> str:
        """Make a policy the active one (for one tenant, or engine-wide); return its hash.

        The service calls this only with a version that versions.PolicyAdmin has made active.
        """
        compiled = self.compile(text)
        self._active[tenant] = compiled
        return compiled.hash

    def deactivate(self, tenant: str) -> None:
        """Let a tenant fall back to the engine-wide policy."""
        self._active.pop(tenant, None)

    def active_hash(self, tenant: str | None = None) -> str:
        """Return the content hash of the policy that decides for a tenant."""
        return self._policy_for(tenant).hash

    def _policy_for(self, tenant: str | None) -> compiler.CompiledPolicy:
        return self._active.get(tenant) or self._active[None]

    # -- decisions -----------------------------------------------------------------------

    def decide(
        self,
        principal: Principal,
        action: str,
        resource: Resource,
        context: RequestContext | None = None,
    ) -> Decision:
        """Decide whether `principal` may perform `action` on `resource`."""
        compiled = self._policy_for(getattr(resource, "tenant", None))
        if not _valid_principal(principal):
            return Decision(False, (INVALID_PRINCIPAL,), compiled.hash, False)
        if getattr(resource, "ENTITY_TYPE", None) not in APPLIES_TO.get(action, frozenset()):
            return Decision(False, (NOT_APPLICABLE,), compiled.hash, False)
        if context is not None and context.purpose is not None:
            if not _principal_allows_purpose(principal, context.purpose):
                # Independent of the resource, so a 403 here reveals nothing about it.
                return Decision(False, (PURPOSE_NOT_ALLOWED,), compiled.hash, True)
            principal = replace(principal, purpose=context.purpose)
        try:
            target = _Target.of(resource, anonymous=not compiled.observes_ids)
            granted: frozenset[str] = frozenset()
            if self._grants is not None:
                now = self._clock.now()
                active = self._grants.active_grants(principal.tenant, principal.subject, now)
                if active:
                    granted = granted_actions(active, resource, now, GRANTABLE)
        except Exception:  # a malformed descriptor or grant source: fail closed
            return Decision(False, (INVALID_RESOURCE,), compiled.hash, False)
        try:
            return self._decide_cached(compiled.hash, principal, action, target, granted)
        except TypeError:
            # Unhashable parts (a set passed where a frozenset belongs): decide without the cache.
            return self._evaluate(compiled.hash, principal, action, target, granted)

    def has_active_grants(self, principal: Principal) -> bool:
        """Whether break-glass grants are active for the principal now (they change decisions)."""
        if self._grants is None:
            return False
        return bool(
            self._grants.active_grants(principal.tenant, principal.subject, self._clock.now())
        )

    def authorize(
        self,
        principal: Principal,
        action: str,
        resource: Resource,
        context: RequestContext | None = None,
        *,
        what: str = "resource",
    ) -> Decision:
        """Decide, then raise NotFound/PermissionDenied unless allowed; return the decision."""
        decision = self.decide(principal, action, resource, context)
        decision.enforce(what)
        return decision

    def decide_many(
        self,
        principal: Principal,
        requests: Iterable[tuple[str, Resource]],
        context: RequestContext | None = None,
    ) -> list[Decision]:
        """Decide several (action, resource) requests of one principal, in order."""
        return [self.decide(principal, action, resource, context) for action, resource in requests]

    def clear_caches(self) -> None:
        """Forget cached decisions and entities (parsed policies stay, keyed by hash)."""
        self._decide_cached.cache_clear()
        self._entities_cached.cache_clear()
        self._principal_cached.cache_clear()

    # -- evaluation ----------------------------------------------------------------------

    def _principal_entities(
        self, principal: Principal, granted: frozenset[str], with_actions: bool
    ) -> Any:
        document = json.dumps([principal_entity(principal, granted)])
        if with_actions:
            return self._action_entities.with_added_json_str(document)
        return self._cedar.Entities.from_json_str(document)

    def _entities(
        self, principal: Principal, granted: frozenset[str], target: _Target, with_actions: bool
    ) -> Any:
        # Parse only the resource on top of the cached principal (cedarpy clones the base
        # handle instead of re-parsing it).
        try:
            base = self._principal_cached(principal, granted, with_actions)
        except TypeError:
            base = self._principal_entities(principal, granted, with_actions)
        return base.with_added_json_str(json.dumps([target.entity()]))

    @staticmethod
    def _request(principal: Principal, action: str, target: _Target) -> dict[str, Any]:
        return {
            "principal": _principal_uid(principal),
            "action": {"type": ACTION_TYPE, "id": action},
            "resource": target.uid(),
        }

    @staticmethod
    def _read(result: Any) -> tuple[bool, tuple[str, ...]]:
        diagnostics = result.diagnostics
        if diagnostics.errors:
            return False, (EVALUATION_ERROR,)
        names = diagnostics.id_annotations_by_reason
        reasons = tuple(sorted(names.get(pid, pid) for pid in diagnostics.reasons))
        if result.allowed:
            return True, reasons
        return False, reasons or (DEFAULT_DENY,)

    def _evaluate(
        self,
        policy_hash: str,
        principal: Principal,
        action: str,
        target: _Target,
        granted: frozenset[str],
    ) -> Decision:
        compiled = self._compiled[policy_hash]
        with_actions = compiled.needs_action_entities
        try:
            try:
                entities = self._entities_cached(principal, granted, target, with_actions)
            except TypeError:
                entities = self._entities(principal, granted, target, with_actions)
            result = self._cedar.is_authorized(
                self._request(principal, action, target), compiled.for_action(action), entities
            )
            allowed, reasons = self._read(result)
        except Exception:  # fail closed on anything the engine raises
            return Decision(False, (EVALUATION_ERROR,), policy_hash, False)
        if allowed:
            return Decision(True, reasons, policy_hash, True)
        visible = self._visible(compiled, principal, action, target, granted, entities)
        return Decision(False, reasons, policy_hash, visible)

    def _visible(
        self,
        compiled: compiler.CompiledPolicy,
        principal: Principal,
        action: str,
        target: _Target,
        granted: frozenset[str],
        entities: Any,
    ) -> bool:
        if granted:
            return True
        same_tenant = principal.tenant == target.tenant
        if target.kind not in CONTENT_TYPES or action == "conversation.create":
            return same_tenant
        if not same_tenant:
            return False
        try:
            for probe in PROBES[target.kind]:
                if probe == action:
                    continue
                request = self._request(principal, probe, target)
                result = self._cedar.is_authorized(request, compiled.for_action(probe), entities)
                if self._read(result)[0]:
                    return True
        except Exception:  # fail closed: an error hides the resource
            return False
        return False
