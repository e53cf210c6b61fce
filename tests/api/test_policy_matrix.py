"""The access matrix over HTTP: principals x actions x resources, against the independent oracle.

Principals: every role (alone, a few combinations, none) x two tenants x purposes x two subjects
(the owner of the seeded conversations and someone else), each with its own signed token.
Resources: one conversation per tenant and classification, owned by `alice`, holding a user
message and a system message. Actions, over the OpenAI-shaped routes: create, retrieve,
update, delete a conversation; append, retrieve, delete an item; and `prompts.read`, seen as
whether a retrieved system message is withheld. Each answer must equal `policy/oracle.py`:
2xx allow, 403 denied but visible, 404 denied and invisible. No request may ever succeed on
another tenant's data. Deletes the oracle allows run on a fresh copy, so the shared resources
stay for the other cases.

The service passes no consent flags or clearance to the decision point yet (conversations have
no consent field; tokens carry no clearance), so the oracle is asked with none: consent-gated
purposes (`analytics`) are denied content, as the oracle says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chatseal.model import CLASSIFICATIONS, Principal
from chatseal.policy import ROLES
from policy.oracle import What, Who, expected, expected_visible

from .conftest import Live, start_server

TENANTS = ("acme", "globex")
PURPOSES = ("", "support", "analytics")
SUBJECTS = ("alice", "bob")
ROLE_SETS = [frozenset({role}) for role in sorted(ROLES)] + [
    frozenset({"user", "key-admin"}),
    frozenset({"agent", "auditor"}),
    frozenset({"support", "user"}),
    frozenset(),
]
OWNER = "alice"
ACTIONS = (
    "conversation.read",
    "conversation.update",
    "conversation.delete",
    "item.append",
    "item.read",
    "item.delete",
    "prompts.read",
)


@dataclass(frozen=True)
class Seeded:
    """A conversation of the matrix, with its user and system message ids."""

    tenant: str
    classification: str
    id: str
    user_item: str
    system_item: str


def _seed(live: Live, tenant: str, classification: str) -> Seeded:
    """A conversation owned by alice, made through the library (HTTP cannot set a tier)."""
    seal = live.seal
    maker = Principal.of(tenant, OWNER, "user")
    conv = seal.session(maker).conversations.create(metadata={}, classification=classification)
    agent = Principal(
        tenant, "seeder", frozenset({"agent"}), purpose="operations", clearance="restricted"
    )
    added = seal.session(agent).conversations.items.create(
        conv.id,
        items=[
            {"type": "message", "role": "user", "content": "hello"},
            {"type": "message", "role": "system", "content": "be brief"},
        ],
    )
    return Seeded(tenant, classification, conv.id, added.data[0]["id"], added.data[1]["id"])


@pytest.fixture(scope="module")
def matrix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server of its own (the matrix deletes things), with generous rate limits."""
    server = start_server(
        Path(tmp_path_factory.mktemp("matrix")) / "home",
        config_text="[api]\nrate_limit_per_second = 100000\nrate_limit_burst = 100000\n",
        tenants=TENANTS,
    )
    yield server
    server.stop()


def _principals() -> Iterator[Who]:
    for tenant, roles, purpose, subject in itertools.product(
        TENANTS, ROLE_SETS, PURPOSES, SUBJECTS
    ):
        yield Who(tenant, subject, roles, purpose, "")


def _what(kind: str, seeded: Seeded) -> What:
    return What(kind, seeded.tenant, seeded.classification, OWNER, frozenset(), item_role="")


def _status(allowed: bool, visible: bool) -> str:
    return "allow" if allowed else ("deny-403" if visible else "deny-404")


def _observed(response: httpx.Response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "allow"
    if code in (403, 404):
        return f"deny-{code}"
    return f"error-{code}"


class Matrix:
    """Runs the cases of one principal and collects mismatches."""

    def __init__(self, live: Live, client: httpx.Client, resources: list[Seeded]) -> None:
        self.live = live
        self.client = client
        self.resources = resources
        self.cases = 0
        self.mismatches: list[str] = []
        self.cross_tenant_allowed: list[str] = []
        self.outcomes: dict[str, int] = {}

    def check(self, who: Who, action: str, seeded: Seeded | None, want: str, got: str) -> None:
        self.cases += 1
        self.outcomes[want] = self.outcomes.get(want, 0) + 1
        where = f"{seeded.tenant}/{seeded.classification}" if seeded else who.tenant
        label = f"{sorted(who.roles)} {who.tenant}/{who.subject} purpose={who.purpose!r}"
        if got != want:
            self.mismatches.append(f"{label} {action} {where}: want {want}, got {got}")
        if seeded is not None and seeded.tenant != who.tenant and got == "allow":
            self.cross_tenant_allowed.append(f"{label} {action} {where}")

    def fresh(self, seeded: Seeded) -> Seeded:
        """A new conversation like `seeded`, for a delete the oracle allows."""
        return _seed(self.live, seeded.tenant, seeded.classification)

    def run(self, who: Who) -> None:
        token = self.live.token(
            tenant=who.tenant, subject=who.subject, roles=tuple(who.roles),
            purpose=who.purpose or None,
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        c = self.client
        create = What("Conversation", who.tenant, "internal", who.subject)
        want = _status(
            expected(who, "conversation.create", create),
            expected_visible(who, "conversation.create", create),
        )
        got = _observed(c.post("/v1/conversations", json={}, headers=headers))
        self.check(who, "conversation.create", None, want, got)
        for seeded in self.resources:
            for action in ACTIONS:
                self.one(who, action, seeded, headers)

    def one(self, who: Who, action: str, seeded: Seeded, headers: dict[str, str]) -> None:
        kind = {"conversation": "Conversation", "item": "Item", "prompts": "PromptMaterial"}[
            action.split(".", maxsplit=1)[0]
        ]
        what = _what(kind, seeded)
        allowed = expected(who, action, what)
        want = _status(allowed, expected_visible(who, action, what))
        c = self.client
        base = f"/v1/conversations/{seeded.id}"
        if action == "prompts.read":
            # Observable only through item.read: the system message is withheld or not.
            item_what = _what("Item", seeded)
            if not expected(who, "item.read", item_what):
                return
            response = c.get(f"{base}/items/{seeded.system_item}", headers=headers)
            got = _observed(response)
            if got == "allow":
                got = "deny-403" if "withheld" in response.json() else "allow"
            want = "allow" if allowed else "deny-403"
        elif action == "conversation.read":
            got = _observed(c.get(base, headers=headers))
        elif action == "conversation.update":
            got = _observed(c.post(base, json={"metadata": {"k": "v"}}, headers=headers))
        elif action == "conversation.delete":
            target = self.fresh(seeded) if allowed else seeded
            got = _observed(c.delete(f"/v1/conversations/{target.id}", headers=headers))
        elif action == "item.append":
            body = {"items": [{"type": "message", "role": "user", "content": "more"}]}
            got = _observed(c.post(f"{base}/items", json=body, headers=headers))
        elif action == "item.read":
            got = _observed(c.get(f"{base}/items/{seeded.user_item}", headers=headers))
        else:  # item.delete
            target = self.fresh(seeded) if allowed else seeded
            path = f"/v1/conversations/{target.id}/items/{target.user_item}"
            got = _observed(c.delete(path, headers=headers))
        self.check(who, action, seeded, want, got)


def test_policy_matrix_over_http(matrix_server: Live) -> None:
    """At least 2,000 HTTP decisions equal the oracle's; nothing crosses tenants."""
    resources = [_seed(matrix_server, t, c) for t in TENANTS for c in CLASSIFICATIONS]
    # One connection per request: on a kept-alive connection this server answers each request
    # ~40 ms late (a delayed-ACK stall), which would make the matrix take minutes.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=matrix_server.url, timeout=30, limits=limits) as client:
        matrix = Matrix(matrix_server, client, resources)
        for who in _principals():
            matrix.run(who)
    assert matrix.cases >= 2_000, matrix.cases
    # Not a degenerate matrix: each answer (allow, 403, 404) is expected many times.
    assert all(matrix.outcomes.get(k, 0) >= 100 for k in ("allow", "deny-403", "deny-404")), (
        matrix.outcomes
    )
    assert matrix.cross_tenant_allowed == []
    assert matrix.mismatches == [], "\n".join(matrix.mismatches[:40])
