"""Issue 6: appends through ChatSeal with each key backend, in one run.

The same store settings and policy for every backend; only the KEK holder changes. The data-key
cache is what should make an HSM or a KMS cost about as much as the local keyring: it is asked
once per conversation, not once per message. Appends go round-robin over 50 conversations.
Target: pkcs11 and transit reach >= 90% of local's appends/s.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.bench_keys import _backends
from benchmarks.harness import interleaved, scenario, target
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.cedar import CedarAuthorizer
from chatseal.store.sqlite import SqliteStore

MESSAGE = ("The quick brown fox jumps over the lazy dog. " * 24)[:1024]
CONVERSATIONS = 50


def run(quick: bool = False) -> dict[str, Any]:
    """Append 1 KiB messages through ChatSeal on local, pkcs11 and transit; compare rates."""
    count, rounds = (300, 3) if quick else (1500, 5)
    item = {"type": "message", "role": "user", "content": MESSAGE}
    ops: dict[str, Callable[[int], object]] = {}
    seals = []
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="chatseal-bench-backends-"))
        for name, make in _backends(stack, root).items():
            store = SqliteStore(f"sqlite:///{root / name}.db")
            store.migrate()
            seal = ChatSeal(store=store, keys=make(), authorizer=CedarAuthorizer())
            seals.append(seal)
            tenant = f"bench-{name}"
            seal.tenants.create(tenant)
            items = seal.session(Principal.of(tenant, "alice", "user")).conversations
            ids = [items.create().id for _ in range(CONVERSATIONS)]

            def append(i: int, items: Any = items, ids: list[str] = ids) -> object:
                return items.items.create(ids[i % CONVERSATIONS], items=[item])

            ops[f"append_{name}"] = append
        us = interleaved(ops, count, rounds)
        for seal in seals:
            seal.close()
    shares = {name: us["append_local"] / us[f"append_{name}"] for name in ("pkcs11", "transit")}
    return {
        "scenarios": {name: scenario(value) for name, value in us.items()},
        "ratios": {f"{name}_vs_local_throughput": round(v, 3) for name, v in shares.items()},
        "targets": {
            f"{name}_append_vs_local": target(v, ">= 0.90", v >= 0.90) for name, v in shares.items()
        },
        "notes": (
            f"1 KiB appends round-robin over {CONVERSATIONS} conversations per backend, audit log "
            "off for all three, Cedar policy on; medians of alternating rounds."
        ),
    }
