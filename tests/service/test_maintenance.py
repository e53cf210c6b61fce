"""The background work of a serving process: checkpoints get signed while it serves, and
retention and rotation by age run on their schedule."""

from __future__ import annotations

import time
from pathlib import Path

from chatseal.clock import FixedClock
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.maintenance import Maintenance


def test_checkpoints_are_signed_while_serving(tmp_path: Path) -> None:
    """With the maintenance thread running, appends reach a signed external checkpoint quickly."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "chatseal.toml").write_text("[audit]\ncheckpoint_every_seconds = 0.2\n")
    seal = ChatSeal.open(home, create=True)
    seal.tenants.create("acme")
    maintenance = Maintenance(seal)
    maintenance.start()
    try:
        s = seal.session(Principal.of("acme", "alice", "user"))
        conv = s.conversations.create(items=[{"role": "user", "content": "x"}])
        s.conversations.items.create(conv.id, items=[{"role": "user", "content": "y"}])
        assert seal.audit is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and seal.audit.tree.size < 5:
            time.sleep(0.05)
        while time.monotonic() < deadline and not seal.audit.external.sizes():
            time.sleep(0.05)
        assert seal.audit.tree.size >= 5
        assert seal.audit.external.sizes()
    finally:
        maintenance.stop()
        seal.close()


def test_run_once_purges_and_rotates(tmp_path: Path) -> None:
    """One maintenance pass purges expired conversations and rotates keys past their period."""
    clock = FixedClock(1_800_000_000.0)
    seal = ChatSeal.open(tmp_path / "home", create=True, clock=clock)
    seal.tenants.create("acme", settings={"rotation_period": "1d"})
    s = seal.session(Principal.of("acme", "alice", "user"))
    conv = s.conversations.create(
        items=[{"role": "user", "content": "old"}], classification="restricted"
    )
    before = seal.keys.describe(seal.tenant_keys("acme").row.tenant_id).primary_version
    clock.advance(400 * 86_400)
    Maintenance(seal).run_once()
    with seal.store.transaction() as tx:
        row = tx.get_tenant("acme")
        assert row is not None
        assert tx.get_conversation(row.tenant_id, conv.id) is None
    assert seal.keys.describe(row.tenant_id).primary_version == before + 1
    seal.close()
