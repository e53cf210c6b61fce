"""Policy text: canonical form, content hash, schema validation and parsing.

A policy version is identified by the SHA-256 of its canonical text, so the same rules always
carry the same hash (a rollback to an old text reproduces the old hash exactly), and every
decision can name the version that made it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as package_files
from typing import Any

from chatseal.errors import InvalidRequest, MissingExtra

SCHEMA_FILE = "schema.cedarschema.json"
DEFAULT_POLICY_FILE = "default.cedar"
MAX_POLICY_CHARS = 256 * 1024


def cedar() -> Any:
    """Return the `cedarpy` module, or explain which extra provides it."""
    try:
        import cedarpy  # an optional extra, imported only when policy is used
    except ImportError:  # pragma: no cover - the extra is installed in development
        raise MissingExtra("policy", "access policy") from None
    return cedarpy


def _package_text(name: str) -> str:
    return package_files.files("chatseal.policy").joinpath(name).read_text("utf-8")


@cache
def schema_text() -> str:
    """Return the shipped Cedar schema (JSON schema format)."""
    return _package_text(SCHEMA_FILE)


@cache
def default_policy_text() -> str:
    """Return the shipped default policy, in canonical form."""
    return canonical_text(_package_text(DEFAULT_POLICY_FILE))


def canonical_text(text: str) -> str:
    """Return the canonical form of policy text: LF line ends, no trailing spaces, one final LF.

    Only whitespace that Cedar ignores is normalised; comments and layout are kept, so what a
    reviewer approved is byte for byte what is hashed and enforced.
    """
    if not isinstance(text, str):
        raise InvalidRequest("policy text must be a string", param="policy")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "\n".join(line.rstrip() for line in lines).strip("\n")
    return body + "\n"


def content_hash(text: str) -> str:
    """Return the hex SHA-256 of the canonical policy text."""
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()


def validate(text: str, schema: str | None = None) -> str:
    """Validate policy text against the schema; return its canonical form.

    Raises InvalidRequest carrying the validator's messages (they name policies and attributes,
    never data) when the text does not parse or does not type-check.
    """
    canonical = canonical_text(text)
    if len(canonical) > MAX_POLICY_CHARS:
        raise InvalidRequest(
            f"policy text is limited to {MAX_POLICY_CHARS} characters", param="policy"
        )
    cedarpy = cedar()
    try:
        result = cedarpy.validate_policies(canonical, schema or schema_text())
    except (ValueError, RuntimeError) as exc:
        raise InvalidRequest(f"policy does not parse: {exc}", param="policy") from None
    if not result.validation_passed:
        messages = "; ".join(str(error) for error in result.errors) or "validation failed"
        raise InvalidRequest(f"policy is not valid: {messages}", param="policy")
    return canonical


def format_policy(text: str) -> str:
    """Return policy text in Cedar's standard layout (for `policy show --format`)."""
    try:
        formatted: str = cedar().format_policies(canonical_text(text))
    except ValueError as exc:
        raise InvalidRequest(f"policy does not parse: {exc}", param="policy") from None
    return canonical_text(formatted)


@dataclass(frozen=True)
class CompiledPolicy:
    """A validated, parsed policy set, named by its content hash.

    `by_action` holds, per action, the slice of the set whose action scope can match it. A
    policy whose scope excludes the request's action is never applicable and never evaluates
    its conditions (Cedar evaluates the scope first), so a slice decides exactly as the whole
    set does, in fewer steps. In a slice every action scope is rewritten to `action`, which is
    then exactly equivalent, so unless a condition names an action group
    (`needs_action_entities`), requests need not carry the schema's action hierarchy.

    Cedar shows a policy an entity's id only through `==`/`in` against an entity literal, or
    `in` over the entity hierarchy. When no policy does either for principals or resources
    (`observes_ids` false, as for the default policy), a decision depends only on the entity
    types and attributes, so the engine may key its caches on those alone.
    """

    hash: str
    text: str
    policy_set: Any
    by_action: Mapping[str, Any] = field(default_factory=dict)
    needs_action_entities: bool = True
    observes_ids: bool = True

    def for_action(self, action: str) -> Any:
        """Return the slice for an action, or the whole set."""
        return self.by_action.get(action, self.policy_set)


def action_ancestors(schema: str) -> dict[str, frozenset[str]]:
    """Return each action's groups (transitively) from a JSON schema; {} for other formats."""
    try:
        document = json.loads(schema)
    except ValueError:
        return {}
    parents: dict[str, set[str]] = {}
    for namespace in document.values() if isinstance(document, dict) else ():
        for name, action in (namespace.get("actions") or {}).items():
            groups = {str(member["id"]) for member in action.get("memberOf") or ()}
            parents.setdefault(name, set()).update(groups)
    closed: dict[str, frozenset[str]] = {}
    for name, direct in parents.items():
        seen: set[str] = set()
        todo = list(direct)
        while todo:
            group = todo.pop()
            if group not in seen:
                seen.add(group)
                todo.extend(parents.get(group, ()))
        closed[name] = frozenset(seen)
    return closed


def _scope_matches(scope: Mapping[str, Any], action: str, groups: frozenset[str]) -> bool:
    # Cedar JSON policy format, action scope: All, == entity, in entity, in [entities].
    op = scope.get("op")
    if op == "All":
        return True
    if op == "==":
        return bool(scope["entity"]["id"] == action)
    if op == "in" and "entity" in scope:
        target = scope["entity"]["id"]
        return target == action or target in groups
    if op == "in" and "entities" in scope:
        return any(e["id"] == action or e["id"] in groups for e in scope["entities"])
    return True  # an unknown form: keep the policy, never drop one we do not understand


def _names_action_group(node: Any, groups: frozenset[str]) -> bool:
    """True when a JSON policy expression mentions an action group entity."""
    if isinstance(node, dict):
        if str(node.get("type", "")).endswith("Action") and node.get("id") in groups:
            return True
        return any(_names_action_group(value, groups) for value in node.values())
    if isinstance(node, list):
        return any(_names_action_group(value, groups) for value in node)
    return False


def _observes_ids(node: Any) -> bool:
    """True when a JSON policy expression can tell entities apart by id or hierarchy."""
    if isinstance(node, dict):
        literal = node.get("__entity")
        if isinstance(literal, dict) and not str(literal.get("type", "")).endswith("::Action"):
            return True
        membership = node.get("in")
        if isinstance(membership, dict) and membership.get("left") != {"Var": "action"}:
            return True
        type_test = node.get("is")
        if isinstance(type_test, dict) and "in" in type_test:
            return True
        return any(_observes_ids(value) for value in node.values())
    if isinstance(node, list):
        return any(_observes_ids(value) for value in node)
    return False


def _scope_observes_ids(scope: Mapping[str, Any]) -> bool:
    return scope.get("op") not in {"All", "is"} or "in" in scope


def observes_ids(document: Mapping[str, Any]) -> bool:
    """True when any policy of a JSON policy set can see principal or resource ids."""
    if document.get("templates") or document.get("templateLinks"):
        return True
    return any(
        _scope_observes_ids(policy["principal"])
        or _scope_observes_ids(policy["resource"])
        or _observes_ids(policy["conditions"])
        for policy in document["staticPolicies"].values()
    )


def _slices(canonical: str, schema: str) -> tuple[dict[str, Any], bool]:
    cedarpy = cedar()
    document = json.loads(cedarpy.policies_to_json_str(canonical))
    ancestors = action_ancestors(schema)
    if document.get("templates") or document.get("templateLinks") or not ancestors:
        return {}, True  # templates are linked at run time; decide with the whole set
    all_groups = frozenset().union(*ancestors.values())
    policies = document["staticPolicies"]
    needs_hierarchy = any(
        _names_action_group(p["conditions"], all_groups) for p in policies.values()
    )
    slices: dict[str, Any] = {}
    for action, groups in ancestors.items():
        kept = {
            pid: {**policy, "action": {"op": "All"}}
            for pid, policy in policies.items()
            if _scope_matches(policy["action"], action, groups)
        }
        body = {"staticPolicies": kept, "templates": {}, "templateLinks": []}
        slices[action] = cedarpy.PolicySet.from_json_str(json.dumps(body))
    return slices, needs_hierarchy


def compile_policy(text: str, schema: str | None = None) -> CompiledPolicy:
    """Validate and parse policy text (raises InvalidRequest when it is not valid)."""
    schema = schema or schema_text()
    canonical = validate(text, schema)
    try:
        parsed = cedar().PolicySet.from_str(canonical)
        slices, needs_hierarchy = _slices(canonical, schema)
        sees_ids = observes_ids(json.loads(cedar().policies_to_json_str(canonical)))
    except ValueError as exc:  # pragma: no cover - validation parses the same text first
        raise InvalidRequest(f"policy does not parse: {exc}", param="policy") from None
    return CompiledPolicy(
        hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        text=canonical,
        policy_set=parsed,
        by_action=slices,
        needs_action_entities=needs_hierarchy,
        observes_ids=sees_ids,
    )
