"""Audit log benchmark: batched append, proofs at 1,000,000 entries, full verification.

Targets (issue 4): raw append >= 50,000 events/s (batched); inclusion and consistency proofs at
1,000,000 entries <= 2 ms each; full verification >= 500,000 leaves/s (reported for one process
and for verify_log with one worker process per CPU). The tree is built with the SQLite storage in
a temporary directory (quick=True uses 100,000 entries). Ratios compare against a baseline
measured in the same run: hashing the same leaves with SHA-256 and nothing else.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.note import Signer
from chatseal.audit.sqlite_storage import SqliteTreeStorage, create_tables, open_readonly
from chatseal.audit.tree import AuditTree
from chatseal.audit.verify import verify_log

BATCH = 1000


def _event(i: int) -> bytes:
    # About the size of a real canonical-JSON event leaf.
    return (
        b'{"action":"items:append","actor":{"credential_kind":"token","roles":["user"],'
        b'"subject":"hs1:An2v9PdzgmE7vv7QXBY8VpEmx3hHUojFRAvV17glyp8","tenant":"ten_1"},'
        b'"decision":{"reason":"owner","result":"allow"},"policy_version":"sha256:ab12",'
        b'"request_id":"req_%d","resource":{"conversation":"conv_1","item":"item_%d"},'
        b'"time":"2026-11-27T17:58:28.123Z","type":"item.append"}' % (i, i)
    )


def _scenario(count: int, seconds: float) -> dict[str, float]:
    return {"ops_per_s": count / seconds, "us_per_op": seconds / count * 1e6}


def run(quick: bool = False) -> dict[str, object]:
    """Run the audit benchmark and return scenarios, ratios and targets."""
    size = 100_000 if quick else 1_000_000
    events = [_event(i) for i in range(size)]
    with tempfile.TemporaryDirectory(prefix="chatseal-bench-audit-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "audit.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        create_tables(conn)
        conn.commit()
        storage = SqliteTreeStorage(conn)
        tree = AuditTree(storage)

        start = time.perf_counter()
        for pos in range(0, size, BATCH):
            with storage.transaction():
                tree.append_many(events[pos : pos + BATCH])
        append_s = time.perf_counter() - start
        signer = Signer.from_seed("bench.example/chatseal", bytes(32))
        CheckpointSigner(tree, signer).sign()

        start = time.perf_counter()
        sha = hashlib.sha256
        for data in events:
            sha(b"\x00" + data).digest()
        hash_s = time.perf_counter() - start

        rng = random.Random(4)
        rounds = 2000
        start = time.perf_counter()
        for _ in range(rounds):
            tree.inclusion_proof(rng.randrange(size), size)
        inclusion_s = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(rounds):
            tree.consistency_proof(rng.randrange(1, size), size)
        consistency_s = time.perf_counter() - start

        start = time.perf_counter()
        report = verify_log(storage, signer.verifier)
        verify_s = time.perf_counter() - start
        workers = max(2, os.cpu_count() or 1)
        opener = functools.partial(open_readonly, str(Path(tmp) / "audit.db"))
        start = time.perf_counter()
        parallel = verify_log(storage, signer.verifier, workers=workers, open_storage=opener)
        parallel_s = time.perf_counter() - start
        conn.close()
    if not report.ok or not parallel.ok:
        raise RuntimeError("benchmark log failed verification")

    append = _scenario(size, append_s)
    baseline = _scenario(size, hash_s)
    inclusion = _scenario(rounds, inclusion_s)
    consistency = _scenario(rounds, consistency_s)
    verify_one = _scenario(size, verify_s)
    verify = _scenario(size, parallel_s)
    inc_ms = inclusion["us_per_op"] / 1000
    con_ms = consistency["us_per_op"] / 1000
    return {
        "scenarios": {
            "append_batched_sqlite": append,
            "baseline_sha256_leaf_hash": baseline,
            f"inclusion_proof_at_{size}": inclusion,
            f"consistency_proof_at_{size}": consistency,
            "verify_log_leaves_1_process": verify_one,
            f"verify_log_leaves_{workers}_processes": verify,
        },
        "ratios": {
            "append_vs_sha256_only": append["ops_per_s"] / baseline["ops_per_s"],
            "verify_vs_sha256_only": verify["ops_per_s"] / baseline["ops_per_s"],
            "verify_parallel_vs_one_process": verify["ops_per_s"] / verify_one["ops_per_s"],
        },
        "targets": {
            "append_events_per_s": {
                "value": append["ops_per_s"],
                "target": ">= 50000",
                "met": append["ops_per_s"] >= 50_000,
            },
            "inclusion_proof_ms": {"value": inc_ms, "target": "<= 2", "met": inc_ms <= 2},
            "consistency_proof_ms": {"value": con_ms, "target": "<= 2", "met": con_ms <= 2},
            "verify_leaves_per_s": {
                "value": verify["ops_per_s"],
                "target": ">= 500000",
                "met": verify["ops_per_s"] >= 500_000,
            },
        },
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
