"""Access-policy decisions per second with the shipped default policy (issue 5: ≥ 20,000/s).

Scenarios, all through `PolicyEngine.decide` unless named `cedar_`:
- steady: a warmed working set of 64 principals x 64 conversations (every tier, owner and
  consent mix) x 3 actions, each request a fresh item id: the hot path of a running service,
  served by the decision cache (decisions are keyed by type and attributes, not ids).
- cold_resource: caches kept for principals but every request a resource with attributes never
  seen before (a new owner each time): policy evaluation + parsing one entity.
- cold: no cache can help: a new principal (the owner) and a new resource every request.
- denied_probe_cold: cold requests that are denied, so visibility (403/404) is worked out too.
- cedar_is_authorized: the baseline in the same run, cedarpy alone with the whole default policy
  parsed once and the entities pre-parsed (no schema, no fail-closed checks, no visibility).
The ratios compare the engine with that baseline (ops/s engine / ops/s cedarpy).
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

from benchmarks.harness import interleaved, scenario, target
from chatseal.model import CLASSIFICATIONS, Principal
from chatseal.policy import PolicyEngine, default_policy_text
from chatseal.policy import resources as res
from chatseal.policy.decision import principal_entity

GOAL = 20_000.0
ROLES = ("user", "agent", "support", "tenant-admin")
PURPOSES = ("support", "service", "analytics")
CONSENTS: tuple[frozenset[str], ...] = (frozenset(), frozenset({"analytics"}))
ACTIONS = ("item.append", "item.read", "conversation.read")


def _working_set(seed: int) -> tuple[list[Principal], list[res.Conversation]]:
    rng = random.Random(seed)
    principals = [
        Principal(
            "acme",
            f"user{i}",
            frozenset({rng.choice(ROLES)}),
            purpose=rng.choice(PURPOSES),
            credential_kind="token",
        )
        for i in range(64)
    ]
    conversations = [
        res.Conversation("acme", f"conv_{i}", rng.choice(CLASSIFICATIONS), f"user{i}", c)
        for i, c in zip(range(64), itertools.cycle(CONSENTS), strict=False)
    ]
    return principals, conversations


def run(quick: bool = False) -> dict[str, Any]:
    """Measure decisions per second; return scenarios, ratios and targets."""
    count, rounds = (2_000, 3) if quick else (20_000, 5)
    engine = PolicyEngine()
    principals, conversations = _working_set(7)
    rng = random.Random(11)
    steady = [
        (
            rng.choice(principals),
            rng.choice(ACTIONS),
            res.Item(rng.choice(conversations), f"msg_{i}", "user"),
        )
        for i in range(count * rounds)
    ]
    agent = Principal("acme", "bot", frozenset({"agent"}), purpose="service")
    fresh_owner = [
        res.Item(res.Conversation("acme", f"c{i}", "internal", f"owner{i}"), f"m{i}", "user")
        for i in range(count * rounds)
    ]
    fresh_principal = [
        Principal("acme", f"owner{i}", frozenset({"user"}), purpose="service")
        for i in range(count * rounds)
    ]
    stranger_items = [
        res.Item(res.Conversation("acme", f"d{i}", "internal", f"other{i}"), f"n{i}", "user")
        for i in range(count * rounds)
    ]

    # The baseline: cedarpy alone, whole policy parsed once, entities parsed once.
    cedarpy = engine._cedar  # the same module the engine uses
    whole = cedarpy.PolicySet.from_str(default_policy_text())
    sample = steady[0][2]
    entities = cedarpy.Entities.from_json_str(
        json.dumps(
            [
                principal_entity(agent, frozenset()),
                res.entity(sample),
                # the schema's action entities: without them action groups never match
                *json.loads(str(cedarpy.Entities.from_json_str("[]", engine._schema))),
            ]
        )
    )
    request = {
        "principal": {"type": "ChatSeal::Principal", "id": "acme/bot"},
        "action": {"type": "ChatSeal::Action", "id": "item.append"},
        "resource": {"type": "ChatSeal::Item", "id": sample.id},
    }
    assert cedarpy.is_authorized(request, whole, entities).allowed
    check = PolicyEngine()
    assert check.decide(agent, "item.append", fresh_owner[0]).allowed
    assert check.decide(fresh_principal[0], "item.append", fresh_owner[0]).allowed
    assert not check.decide(fresh_principal[0], "item.read", stranger_items[0]).allowed
    # One engine per scenario, so the cold scenarios' misses do not evict the steady set.
    cold_resource, cold, denied = PolicyEngine(), PolicyEngine(), PolicyEngine()

    # Warm the working set: every (principal, action, conversation) once, as a running service
    # would have after its first minutes. New item ids then hit the decision cache, because the
    # default policy never looks at ids (CompiledPolicy.observes_ids).
    for who, action, conversation in itertools.product(principals, ACTIONS, conversations):
        engine.decide(who, action, res.Item(conversation, "msg_warm", "user"))

    timings = interleaved(
        {
            "steady": lambda i: engine.decide(*steady[i]),
            "cold_resource": lambda i: cold_resource.decide(agent, "item.append", fresh_owner[i]),
            "cold": lambda i: cold.decide(fresh_principal[i], "item.append", fresh_owner[i]),
            "denied_probe_cold": lambda i: denied.decide(
                fresh_principal[i], "item.read", stranger_items[i]
            ),
            "cedar_is_authorized": lambda i: cedarpy.is_authorized(request, whole, entities),
        },
        count,
        rounds,
    )
    scenarios = {name: scenario(us) for name, us in timings.items()}
    base = scenarios["cedar_is_authorized"]["ops_per_s"]
    ratios = {
        f"{name}_vs_cedar": round(scenarios[name]["ops_per_s"] / base, 3)
        for name in ("steady", "cold_resource", "cold", "denied_probe_cold")
    }
    steady_rate = scenarios["steady"]["ops_per_s"]
    cold_rate = scenarios["cold_resource"]["ops_per_s"]
    return {
        "scenarios": scenarios,
        "ratios": ratios,
        "targets": {
            "decisions_per_s": target(
                steady_rate, "≥ 20,000/s (steady working set)", steady_rate >= GOAL
            ),
            "cold_decisions_per_s": target(
                cold_rate, "≥ 20,000/s (every resource new)", cold_rate >= GOAL
            ),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(quick=True), indent=2))
