"""Key backends: rewrap throughput (local, transit, pkcs11) and unwrap latency per backend.

Targets (issue 6): rewrap ≥ 20,000 data keys/s on `local:` and ≥ 10,000/s on `transit:`
(server-side batches). SoftHSM2 and OpenBao come from the environment that scripts/test.sh
exports, or are started once per run by benchmarks.services.
"""

from __future__ import annotations

import base64
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.harness import scenario, target
from benchmarks.services import ensure_service
from chatseal.keys.base import KeyManager, WrappedKey

ROOT = Path(__file__).resolve().parent.parent


def _rewrap_rate(km: KeyManager, tenant: str, count: int) -> float:
    """Wrap `count` data keys, rotate, and time the rewrap of all of them: µs per data key."""
    batch: list[tuple[WrappedKey, bytes]] = []
    for i in range(count):
        ctx = f"conv-{i}".encode()
        batch.append((km.wrap(tenant, os.urandom(32), ctx), ctx))
    km.rotate(tenant)
    start = time.perf_counter()
    moved: list[WrappedKey] = []
    for at in range(0, count, 1000):
        moved += km.rewrap(tenant, batch[at : at + 1000])
    elapsed = time.perf_counter() - start
    assert len(moved) == count
    assert moved[-1].kek_version == 2
    return elapsed / count * 1e6


def _unwrap_latency(km: KeyManager, tenant: str, count: int) -> float:
    """µs per single unwrap (no cache: every call reaches the backend)."""
    _, wrapped = km.generate_data_key(tenant, b"latency")
    start = time.perf_counter()
    for _ in range(count):
        km.unwrap(tenant, wrapped, b"latency")
    return (time.perf_counter() - start) / count * 1e6


def _backends(stack: ExitStack, root: Path) -> dict[str, Callable[[], KeyManager]]:
    from chatseal.keys.local import LocalKeyManager, RootKeySource

    key = base64.b64encode(os.urandom(32)).decode()
    makers: dict[str, Callable[[], KeyManager]] = {
        "local": lambda: LocalKeyManager(root / "keyring.json", RootKeySource(key_b64=key))
    }
    ensure_service("openbao", "CHATSEAL_TEST_BAO_ADDR")
    ensure_service("softhsm", "SOFTHSM2_CONF")
    from chatseal.keys._transit_auth import TransitConfig
    from chatseal.keys.pkcs11 import Pkcs11Config, Pkcs11KeyManager
    from chatseal.keys.transit import TransitKeyManager

    addr = os.environ["CHATSEAL_TEST_BAO_ADDR"].removeprefix("http://")
    transit_url = f"transit://{addr}?tls=off&token-env=CHATSEAL_TEST_BAO_TOKEN"
    module = os.environ["CHATSEAL_TEST_PKCS11_MODULE"]
    token = os.environ["CHATSEAL_TEST_PKCS11_TOKEN"]
    pkcs11_url = f"pkcs11://{module}?token={token}&pin-env=CHATSEAL_PKCS11_PIN"
    makers["transit"] = lambda: TransitKeyManager(TransitConfig.from_url(transit_url))
    makers["pkcs11"] = lambda: Pkcs11KeyManager(Pkcs11Config.from_url(pkcs11_url))
    return makers


def run(quick: bool = False) -> dict[str, Any]:
    """Measure rewrap throughput and unwrap latency on every backend."""
    counts = {"local": 5000, "transit": 5000, "pkcs11": 1000} if quick else {
        "local": 40_000, "transit": 40_000, "pkcs11": 5000}  # fmt: skip
    latency_count = 200 if quick else 1000
    scenarios: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="chatseal-bench-keys-"))
        for name, make in _backends(stack, root).items():
            km = make()
            try:
                tenant = f"bench_{name}_{os.urandom(4).hex()}"
                km.create_tenant_key(tenant)
                scenarios[f"rewrap_{name}"] = scenario(_rewrap_rate(km, tenant, counts[name]))
                scenarios[f"unwrap_{name}"] = scenario(_unwrap_latency(km, tenant, latency_count))
                km.destroy(tenant)
            finally:
                km.close()
    local = scenarios["rewrap_local"]["ops_per_s"]
    transit = scenarios["rewrap_transit"]["ops_per_s"]
    return {
        "scenarios": scenarios,
        "ratios": {
            "rewrap_transit_vs_local": round(transit / local, 3),
            "rewrap_pkcs11_vs_local": round(scenarios["rewrap_pkcs11"]["ops_per_s"] / local, 3),
        },
        "targets": {
            "rewrap_local_keys_per_s": target(local, ">= 20000", local >= 20_000),
            "rewrap_transit_keys_per_s": target(transit, ">= 10000", transit >= 10_000),
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1))
