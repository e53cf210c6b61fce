"""The KeyManager contract run against the `local:` backend."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from chatseal.keys.local import LocalKeyManager, RootKeySource
from keys.contract import Harness, KeyManagerContract


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    root = RootKeySource(key_b64=base64.b64encode(os.urandom(32)).decode())
    keyring = tmp_path / "keyring.json"

    def outage() -> LocalKeyManager:
        broken = tmp_path / "broken" / "keyring.json"
        broken.parent.mkdir(exist_ok=True)
        broken.write_bytes(keyring.read_bytes())
        manager = LocalKeyManager(broken, root)
        broken.write_bytes(b"\x00 not a keyring")  # the disk under it went bad
        return manager

    return Harness(open=lambda: LocalKeyManager(keyring, root), outage=outage)


class TestLocalContract(KeyManagerContract):
    """`local:` passes the backend contract."""
