"""Policy test cases: `chatseal policy test CASES_FILE` runs request -> expected decision cases.

A cases file is TOML (`.toml`) or JSON (anything else) holding a list `case` of tables:

    [[case]]
    name = "support reads a confidential conversation for support"
    action = "conversation.read"
    expect = "allow"                  # or "deny"
    visible = true                    # optional: when denied, 403 (true) or 404 (false)
    principal = { tenant = "acme", subject = "sam", roles = ["support"], purpose = "support" }
    resource = { type = "Conversation", tenant = "acme", id = "conv_1",
                 classification = "confidential", owner = "alice", consents = ["analytics"] }
    grants = [{ tenant = "acme", actions = ["conversation.read"], conversations = ["conv_1"] }]

Resource keys by type: every type takes `tenant` (and `id`); Conversation, Item and
PromptMaterial take `classification`, `owner`, `consents` (Item and PromptMaterial name their
conversation as `conversation`); Item takes `role` and `item_type`; PolicySet takes `version`
and `author`; BreakGlassRequest takes `requester` and `requester_tenant`. `grants` (optional)
are active break-glass grants of the principal. A team runs its cases in CI against a proposed
policy before approving it: any mismatch fails the run.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatseal.clock import FixedClock
from chatseal.errors import InvalidRequest
from chatseal.model import Principal
from chatseal.policy import resources as res
from chatseal.policy.decision import Decision, PolicyEngine
from chatseal.policy.grants import Grant

MAX_CASES = 100_000
_CASES_AT = 1_700_000_000.0


@dataclass(frozen=True)
class PolicyCase:
    """One request and the decision it must get."""

    name: str
    principal: Principal
    action: str
    resource: res.Resource
    allow: bool
    visible: bool | None = None
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True)
class Mismatch:
    """A case whose decision differs from the expected one."""

    case: PolicyCase
    decision: Decision

    def describe(self) -> str:
        """One line for the CLI: the case, what was expected and what was decided."""
        expected = "allow" if self.case.allow else "deny"
        got = "allow" if self.decision.allowed else "deny"
        if self.case.visible is not None and self.case.allow == self.decision.allowed:
            expected += f" (visible={self.case.visible})"
            got += f" (visible={self.decision.visible})"
        return (
            f"{self.case.name}: expected {expected}, got {got} [{', '.join(self.decision.reasons)}]"
        )


@dataclass
class _StaticGrants:
    grants: Sequence[Grant] = field(default_factory=tuple)

    def active_grants(self, tenant: str, subject: str, now: float) -> Sequence[Grant]:
        return [
            g
            for g in self.grants
            if (g.grantee_tenant, g.grantee_subject) == (tenant, subject) and g.is_active(now)
        ]


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise InvalidRequest(f"{where}: '{key}' must be a string", param=f"{where}.{key}")
    return value


def _strings(table: Mapping[str, Any], key: str, where: str) -> frozenset[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest(f"{where}: '{key}' must be a list of strings", param=f"{where}.{key}")
    return frozenset(value)


def _principal(table: Any, where: str) -> Principal:
    if not isinstance(table, dict):
        raise InvalidRequest(f"{where}: 'principal' must be a table", param=where)
    return Principal(
        tenant=_text(table, "tenant", where),
        subject=_text(table, "subject", where),
        roles=_strings(table, "roles", where),
        purpose=table.get("purpose") or None,
        scopes=_strings(table, "scopes", where),
        credential_kind=_text(table, "credential_kind", where, "token"),
        clearance=table.get("clearance") or None,
    )


def _resource(table: Any, where: str) -> res.Resource:
    if not isinstance(table, dict):
        raise InvalidRequest(f"{where}: 'resource' must be a table", param=where)
    kind = _text(table, "type", where)
    tenant = _text(table, "tenant", where)
    if kind in {"Conversation", "Item", "PromptMaterial"}:
        conversation = res.Conversation(
            tenant=tenant,
            id=_text(table, "conversation" if kind != "Conversation" else "id", where),
            classification=_text(table, "classification", where, "internal"),
            owner_subject=table.get("owner") or None,
            consents=_strings(table, "consents", where),
        )
        if kind == "Conversation":
            return conversation
        if kind == "PromptMaterial":
            return res.PromptMaterial(conversation)
        return res.Item(
            conversation,
            _text(table, "id", where),
            role=_text(table, "role", where, ""),
            type=_text(table, "item_type", where, "message"),
        )
    if kind == "PolicySet":
        return res.PolicySet(
            tenant, _text(table, "version", where, ""), _text(table, "author", where, "")
        )
    if kind == "BreakGlassRequest":
        return res.BreakGlassRequest(
            tenant,
            _text(table, "id", where),
            _text(table, "requester_tenant", where),
            _text(table, "requester", where),
        )
    simple: dict[str, Callable[[str, str], res.Resource]] = {
        "Tenant": res.Tenant,
        "AuditLog": res.AuditLog,
        "Key": res.Key,
        "Backup": res.Backup,
    }
    if kind not in simple:
        raise InvalidRequest(f"{where}: unknown resource type", param=f"{where}.type")
    return simple[kind](tenant, _text(table, "id", where, ""))


def _grants(items: Any, principal: Principal, where: str) -> tuple[Grant, ...]:
    if not isinstance(items, list):
        raise InvalidRequest(f"{where}: 'grants' must be a list", param=where)
    grants: list[Grant] = []
    for index, table in enumerate(items):
        at = f"{where}.grants[{index}]"
        if not isinstance(table, dict):
            raise InvalidRequest(f"{at}: a grant must be a table", param=at)
        grants.append(
            Grant(
                id=f"case-grant-{index}",
                grantee_tenant=principal.tenant,
                grantee_subject=principal.subject,
                tenant=_text(table, "tenant", at),
                actions=_strings(table, "actions", at),
                expires_at=_CASES_AT + float(table.get("expires_in", 3600)),
                conversation_ids=_strings(table, "conversations", at),
            )
        )
    return tuple(grants)


def parse_cases(document: Any) -> list[PolicyCase]:
    """Build cases from a parsed TOML/JSON document ({"case": [...]} or a bare list)."""
    tables = document.get("case") if isinstance(document, dict) else document
    if not isinstance(tables, list) or len(tables) > MAX_CASES:
        raise InvalidRequest(f"a cases file holds a list 'case' of at most {MAX_CASES} tables")
    cases: list[PolicyCase] = []
    for index, table in enumerate(tables):
        where = f"case[{index}]"
        if not isinstance(table, dict):
            raise InvalidRequest(f"{where}: each case must be a table", param=where)
        expect = table.get("expect")
        if expect not in {"allow", "deny"}:
            raise InvalidRequest(f"{where}: 'expect' is allow or deny", param=f"{where}.expect")
        visible = table.get("visible")
        if visible is not None and not isinstance(visible, bool):
            raise InvalidRequest(f"{where}: 'visible' is true or false", param=f"{where}.visible")
        principal = _principal(table.get("principal"), where)
        cases.append(
            PolicyCase(
                name=_text(table, "name", where, where),
                principal=principal,
                action=_text(table, "action", where),
                resource=_resource(table.get("resource"), where),
                allow=expect == "allow",
                visible=visible,
                grants=_grants(table.get("grants", []), principal, where),
            )
        )
    return cases


def load_cases(path: str | Path) -> list[PolicyCase]:
    """Read a cases file: TOML when it ends in .toml, JSON otherwise."""
    file = Path(path)
    try:
        raw = file.read_bytes()
        document = tomllib.loads(raw.decode("utf-8")) if file.suffix == ".toml" else json.loads(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"cannot read cases file: {exc}", param="cases") from None
    return parse_cases(document)


def run_cases(
    cases: Sequence[PolicyCase], policy_text: str | None = None, *, schema_text: str | None = None
) -> list[Mismatch]:
    """Decide every case with the given policy (default: the shipped one); return mismatches."""
    grants = _StaticGrants([g for case in cases for g in case.grants])
    engine = PolicyEngine(
        policy_text, schema_text=schema_text, grants=grants, clock=FixedClock(_CASES_AT)
    )
    mismatches: list[Mismatch] = []
    for case in cases:
        # Decisions are cached on the granted actions too, so swapping grants needs no flush.
        grants.grants = case.grants
        decision = engine.decide(case.principal, case.action, case.resource)
        wrong = decision.allowed != case.allow
        if not wrong and not decision.allowed and case.visible is not None:
            wrong = decision.visible != case.visible
        if wrong:
            mismatches.append(Mismatch(case, decision))
    return mismatches
