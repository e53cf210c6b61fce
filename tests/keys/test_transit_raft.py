"""The transit backend against a raft-backed OpenBao (persistent storage): keys, versions and the
minimum decryption version survive a restart of the server, and an outage fails closed."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatseal.errors import KeyUnavailable, KeyVersionRetired
from chatseal.keys.transit import TransitConfig, TransitKeyManager
from keys.contract import require_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Raft:
    """One raft-backed OpenBao node in a directory, started and stopped by the test."""

    def __init__(self, bao: str, root: Path) -> None:
        self.bao, self.root = bao, root
        self.port, cluster = _free_port(), _free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        (root / "data").mkdir(parents=True)
        (root / "bao.hcl").write_text(
            f'storage "raft" {{\n  path = "{root / "data"}"\n  node_id = "n1"\n}}\n'
            f'listener "tcp" {{\n  address = "127.0.0.1:{self.port}"\n  tls_disable = true\n}}\n'
            f'api_addr = "{self.addr}"\ncluster_addr = "http://127.0.0.1:{cluster}"\n'
            "disable_mlock = true\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.unseal_key = ""
        self.token = ""

    def start(self) -> None:
        """Start the server and wait until it answers."""
        log = (self.root / "bao.log").open("ab")
        self.proc = subprocess.Popen(
            [self.bao, "server", f"-config={self.root / 'bao.hcl'}"], stdout=log, stderr=log
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.addr}/v1/sys/seal-status", timeout=0.5)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the raft OpenBao did not start")

    def api(
        self, method: str, path: str, body: dict[str, object] | None = None
    ) -> dict[str, object]:
        """Call the HTTP API with the root token."""
        answer = httpx.request(
            method,
            f"{self.addr}/v1/{path}",
            json=body,
            headers={"X-Vault-Token": self.token},
            timeout=60,
        )
        answer.raise_for_status()
        return dict(answer.json()) if answer.content else {}

    def init_and_unseal(self) -> None:
        """Initialise with one key share and unseal; enable transit."""
        keys = self.api("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        self.unseal_key = str(keys["keys"][0])  # type: ignore[index]
        self.token = str(keys["root_token"])
        self.unseal()
        self.api("POST", "sys/mounts/transit", {"type": "transit"})

    def unseal(self) -> None:
        """Unseal and wait for the node to become active."""
        self.api("PUT", "sys/unseal", {"key": self.unseal_key})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = httpx.get(f"{self.addr}/v1/sys/health", timeout=1)
            if health.status_code == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("the raft OpenBao did not become active")

    def stop(self) -> None:
        """Stop the server."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.fixture
def raft(tmp_path: Path) -> Iterator[Raft]:
    """A fresh raft node, initialised and unsealed."""
    node = Raft(require_env("CHATSEAL_TEST_BAO"), tmp_path)
    node.start()
    try:
        node.init_and_unseal()
        yield node
    finally:
        node.stop()


def _manager(node: Raft, monkeypatch: pytest.MonkeyPatch) -> TransitKeyManager:
    monkeypatch.setenv("RAFT_BAO_TOKEN", node.token)
    host = node.addr.removeprefix("http://")
    return TransitKeyManager(
        TransitConfig.from_url(f"transit://{host}?tls=off&token-env=RAFT_BAO_TOKEN")
    )


def test_keys_survive_a_restart(raft: Raft, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrapped keys unwrap after a restart; versions and the retired minimum persist."""
    km = _manager(raft, monkeypatch)
    km.create_tenant_key("ten_raft")
    old, wrapped_old = km.generate_data_key("ten_raft", b"ctx-old")
    km.rotate("ten_raft")
    new, wrapped_new = km.generate_data_key("ten_raft", b"ctx-new")
    km.retire("ten_raft", 2)
    km.close()
    raft.stop()
    with pytest.raises(KeyUnavailable):
        _manager(raft, monkeypatch).unwrap("ten_raft", wrapped_new, b"ctx-new")
    raft.start()
    raft.unseal()
    km = _manager(raft, monkeypatch)
    assert km.unwrap("ten_raft", wrapped_new, b"ctx-new") == new
    info = km.describe("ten_raft")
    assert (info.primary_version, info.min_decryption_version) == (2, 2)
    with pytest.raises(KeyVersionRetired) as retired:
        km.unwrap("ten_raft", wrapped_old, b"ctx-old")
    assert "v1" in str(retired.value) and old.hex() not in str(retired.value)
    assert json.dumps(info.to_dict())
    km.close()
