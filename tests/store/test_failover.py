"""Failover on a real HA stack: Patroni + etcd (scripts/ha/ha.sh), two PostgreSQL nodes in
synchronous mode. Appends run through ChatSeal while the primary is killed; afterwards every
acknowledged append is stored (on the promoted standby) and the store and audit log agree."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.errors import ChatSealError
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.reconcile import reconcile
from chatseal.store.postgres import PostgresStore

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ha" / "ha.sh"
ALICE = Principal.of("acme", "alice@example.com", "user")
WRITERS = 4


def ha(command: str, directory: Path, timeout: float = 150) -> str:
    """Run scripts/ha/ha.sh and return its stdout."""
    done = subprocess.run(
        ["bash", str(SCRIPT), command, str(directory)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"ha.sh {command} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh two-node Patroni cluster under a temporary directory, stopped afterwards."""
    base = os.environ.get("CHATSEAL_TEST_TMP") or None
    work = Path(tempfile.mkdtemp(prefix="ha-", dir=base))
    work.chmod(0o755)  # the postgres OS user runs the cluster under it
    directory = work / "ha"
    try:
        out = ha("start", directory)
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in out.splitlines()
            if line.startswith("export ")
        )
        yield directory, exports
    finally:
        ha("stop", directory, timeout=60)
        subprocess.run(["rm", "-rf", str(work)], check=False)


def test_acknowledged_appends_survive_failover(
    cluster: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Kill the primary mid-appends: the standby takes over, nothing acknowledged is lost."""
    directory, env = cluster
    owner = PostgresStore(env["CHATSEAL_HA_ADMIN_URL"])
    owner.migrate()
    owner.close()
    url = env["CHATSEAL_HA_URL"] + f"&pool_max_size={WRITERS + 2}&pool_timeout=5"
    seal = ChatSeal.open(tmp_path / "home", store_url=url, create=True)
    try:
        seal.tenants.create("acme")
        conv = seal.session(ALICE).conversations.create(items=[])
        assert seal.audit is not None
        seal.audit.start(interval=0.05)
        acknowledged: list[str] = []
        attempted: list[str] = []
        failures = [0]
        lock = threading.Lock()
        stop = threading.Event()
        killed_at: list[float] = []

        def writer(w: int) -> None:
            session = seal.session(ALICE)
            i = 0
            while not stop.is_set():
                text = f"w{w}-{i}"
                i += 1
                with lock:
                    attempted.append(text)
                try:
                    session.conversations.items.create(
                        conv.id, items=[{"role": "user", "content": text}]
                    )
                except ChatSealError:
                    with lock:
                        failures[0] += 1
                    time.sleep(0.2)  # the store is failing over: retry with the next append
                    continue
                with lock:
                    acknowledged.append(text)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        before = ha("primary", directory).strip()
        assert ha("kill-primary", directory).strip() == before
        killed_at.append(time.monotonic())
        with lock:
            at_kill = len(acknowledged)
        # Keep appending until writes have been acknowledged by the new primary for a while.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with lock:
                if len(acknowledged) >= at_kill + 40:
                    break
        stop.set()
        for t in threads:
            t.join(timeout=30)
        after = ha("primary", directory).strip()
        assert after and after != before, "the standby was not promoted"
        assert len(acknowledged) >= at_kill + 40, "no appends were acknowledged after failover"
        assert at_kill > 0
        seal.audit.checkpoint()  # the sequencer reconnects to the new primary
        session = seal.session(ALICE)
        stored: list[str] = []
        after_id = None
        while True:
            page = session.conversations.items.list(conv.id, order="asc", after=after_id)
            stored += [item["content"][0]["text"] for item in page.data]
            if not page.has_more:
                break
            after_id = page.data[-1]["id"]
        missing = set(acknowledged) - set(stored)
        assert not missing, f"{len(missing)} acknowledged appends lost in the failover"
        assert set(stored) <= set(attempted)
        assert len(stored) == len(set(stored))
        leaves = seal.audit.tree.entries(0, seal.audit.tree.size)
        report = reconcile(seal.store, leaves)
        assert report.ok, report.problems
        assert seal.audit.verify().ok
    finally:
        seal.close()
