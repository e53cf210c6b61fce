"""Key lifecycle through `KeyOps`: rewrap throughput, and destroy time against stored messages.

Targets (issue 6): rewrap ≥ 20,000 data keys/s on `local:` and ≥ 10,000/s on `transit:`,
measured end to end (store reads, backend batch rewrap, compare-and-set writes); destroying a
tenant's keys takes the same time with 1,000 and with 1,000,000 stored messages (100,000 with
`quick=True`). OpenBao comes from the environment or is started through scripts/services.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.harness import scenario, target
from benchmarks.services import ensure_service
from chatseal.keys.base import KeyManager
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.sealing import data_key_context
from chatseal.store import ConversationRow, DataKeyRow, ItemRow
from chatseal.store.sqlite import SqliteStore

CONVERSATIONS_FOR_DESTROY = 100
DESTROY_ROUNDS = 5


def _open(root: Path, name: str, keys: KeyManager) -> ChatSeal:
    store = SqliteStore(f"sqlite:///{root / name}.db")
    store.migrate()
    return ChatSeal(store=store, keys=keys)


def _admin(tenant: str) -> Principal:
    return Principal.of(tenant, "bench", "key-admin")


def _conversations(seal: ChatSeal, tenant: str, count: int, workers: int) -> list[str]:
    """Insert `count` conversations with a real wrapped data key each and dummy sealed bytes."""
    tenant_id = seal.tenant_keys(tenant).row.tenant_id
    ids = [f"conv_{tenant}_{i:08d}" for i in range(count)]

    def wrap(cid: str) -> DataKeyRow:
        context = data_key_context(tenant_id, cid, "content")
        wrapped = seal.keys.wrap(tenant_id, os.urandom(32), context)
        return DataKeyRow(tenant_id, cid, "content", wrapped.kek_version, wrapped.blob, 0)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        keys = list(pool.map(wrap, ids, chunksize=256))
    with seal.write() as tx:
        for key in keys:
            row = ConversationRow(tenant_id, key.conversation_id, 0, "internal", b"o", b"m")
            tx.insert_conversation(row, [key])
    return ids


def _messages(seal: ChatSeal, tenant: str, ids: list[str], total: int) -> None:
    """Insert `total` items spread over the conversations, with dummy sealed bytes."""
    tenant_id = seal.tenant_keys(tenant).row.tenant_id
    per = total // len(ids)
    sealed = os.urandom(96)
    for cid in ids:
        rows = [
            ItemRow(tenant_id, cid, p, f"msg_{cid}_{p}", "message", "user", 0, sealed)
            for p in range(per)
        ]
        with seal.write() as tx:
            tx.insert_items(rows)


def _rewrap_rate(make: Callable[[], KeyManager], root: Path, name: str, count: int) -> float:
    """µs per data key for `KeyOps.rewrap` of `count` keys after a rotation."""
    seal = _open(root, f"rewrap-{name}", make())
    try:
        tenant = f"bench-{name}-{os.urandom(3).hex()}"
        seal.tenants.create(tenant)
        _conversations(seal, tenant, count, 16 if name == "transit" else 1)
        seal.key_ops.rotate(_admin(tenant), tenant)
        start = time.perf_counter()
        result = seal.key_ops.rewrap(_admin(tenant), tenant, batch_size=5000)
        elapsed = time.perf_counter() - start
        assert result["rewrapped"] == count
        assert result["pending"] == 0
        seal.keys.destroy(seal.tenant_keys(tenant).row.tenant_id)
        return elapsed / count * 1e6
    finally:
        seal.close()


def _destroy_times(root: Path, sizes: dict[str, int]) -> dict[str, dict[str, float]]:
    """Median µs to destroy an old KEK version, and µs to destroy the whole tenant key."""
    from chatseal.keys.local import LocalKeyManager, RootKeySource

    key = RootKeySource(key_b64="q" * 43 + "=")
    seal = _open(root, "destroy", LocalKeyManager(root / "destroy-keyring.json", key))
    try:
        for tenant, messages in sizes.items():
            seal.tenants.create(tenant)
            ids = _conversations(seal, tenant, CONVERSATIONS_FOR_DESTROY, 1)
            _messages(seal, tenant, ids, messages)
        samples: dict[str, list[float]] = {tenant: [] for tenant in sizes}
        for _ in range(DESTROY_ROUNDS):
            for tenant in sizes:
                # Each round: a fresh version, every key moved onto it, the old one destroyed.
                info = seal.key_ops.rotate(_admin(tenant), tenant)
                seal.key_ops.rewrap(_admin(tenant), tenant)
                start = time.perf_counter()
                seal.key_ops.destroy(_admin(tenant), tenant, info.primary_version - 1)
                samples[tenant].append((time.perf_counter() - start) * 1e6)
        whole: dict[str, float] = {}
        for tenant in sizes:
            tenant_id = seal.tenant_keys(tenant).row.tenant_id
            start = time.perf_counter()
            seal.keys.destroy(tenant_id)  # what `chatseal tenant delete` does first
            seal.forget_tenant(tenant)
            whole[tenant] = (time.perf_counter() - start) * 1e6
        return {
            tenant: {"version": statistics.median(samples[tenant]), "tenant": whole[tenant]}
            for tenant in sizes
        }
    finally:
        seal.close()


def run(quick: bool = False) -> dict[str, Any]:
    """Measure rewrap through KeyOps on local and transit, and destroy time against data size."""
    count = 10_000 if quick else 40_000
    big = 100_000 if quick else 1_000_000
    scenarios: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chatseal-bench-lc-")))
        ensure_service("openbao", "CHATSEAL_TEST_BAO_ADDR")
        from chatseal.keys._transit_auth import TransitConfig
        from chatseal.keys.local import LocalKeyManager, RootKeySource
        from chatseal.keys.transit import TransitKeyManager

        addr = os.environ["CHATSEAL_TEST_BAO_ADDR"].removeprefix("http://")
        transit_url = f"transit://{addr}?tls=off&token-env=CHATSEAL_TEST_BAO_TOKEN"
        makers: dict[str, Callable[[], KeyManager]] = {
            "local": lambda: LocalKeyManager(
                root / "keyring.json", RootKeySource(key_b64="q" * 43 + "=")
            ),
            "transit": lambda: TransitKeyManager(TransitConfig.from_url(transit_url)),
        }
        for name, make in makers.items():
            scenarios[f"keyops_rewrap_{name}"] = scenario(_rewrap_rate(make, root, name, count))
        times = _destroy_times(root, {"small": 1000, "big": big})
    for tenant, figures in times.items():
        scenarios[f"destroy_version_{tenant}"] = scenario(figures["version"])
        scenarios[f"destroy_tenant_key_{tenant}"] = scenario(figures["tenant"])
    local = scenarios["keyops_rewrap_local"]["ops_per_s"]
    transit = scenarios["keyops_rewrap_transit"]["ops_per_s"]
    version_ratio = times["big"]["version"] / times["small"]["version"]
    tenant_ratio = times["big"]["tenant"] / times["small"]["tenant"]
    return {
        "scenarios": scenarios,
        "ratios": {
            "rewrap_transit_vs_local": round(transit / local, 3),
            f"destroy_version_{big}_vs_1000_messages": round(version_ratio, 3),
            f"destroy_tenant_key_{big}_vs_1000_messages": round(tenant_ratio, 3),
        },
        "targets": {
            "keyops_rewrap_local_keys_per_s": target(local, ">= 20000", local >= 20_000),
            "keyops_rewrap_transit_keys_per_s": target(transit, ">= 10000", transit >= 10_000),
            # "The same time": within noise of the small tenant (a ratio, not an absolute time).
            "destroy_version_time_ratio": target(version_ratio, "<= 1.5", version_ratio <= 1.5),
            "destroy_tenant_key_time_ratio": target(tenant_ratio, "<= 1.5", tenant_ratio <= 1.5),
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1))
