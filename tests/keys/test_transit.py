"""The `transit:` backend against a real OpenBao dev server: the contract, auth, URL rules."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

import pytest

from chatseal.clock import SystemClock
from chatseal.errors import ConfigError, Conflict, KeyUnavailable
from chatseal.keys.registry import KeyContext, open_key_manager
from chatseal.keys.transit import TransitConfig, TransitKeyManager
from keys.contract import Harness, KeyManagerContract, require_env


def _token_url(address: str | None = None) -> str:
    addr = (address or require_env("CHATSEAL_TEST_BAO_ADDR")).removeprefix("http://")
    require_env("CHATSEAL_TEST_BAO_TOKEN")
    return f"transit://{addr}?tls=off&token-env=CHATSEAL_TEST_BAO_TOKEN"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def harness() -> Harness:
    url = _token_url()
    down = _token_url(f"127.0.0.1:{_closed_port()}")
    return Harness(
        open=lambda: TransitKeyManager(TransitConfig.from_url(url)),
        outage=lambda: TransitKeyManager(TransitConfig.from_url(down)),
    )


class TestTransitContract(KeyManagerContract):
    """`transit:` on OpenBao passes the backend contract."""


def _approle_url(monkeypatch: pytest.MonkeyPatch) -> str:
    addr = require_env("CHATSEAL_TEST_BAO_ADDR").removeprefix("http://")
    monkeypatch.setenv("CHATSEAL_TEST_ROLE_ID", require_env("CHATSEAL_TEST_BAO_ROLE_ID"))
    secret_file = require_env("CHATSEAL_TEST_BAO_SECRET_ID_FILE")
    return (
        f"transit://{addr}?tls=off&role-id-env=CHATSEAL_TEST_ROLE_ID&secret-id-file={secret_file}"
    )


def test_approle_login_and_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppRole logs in once, and its policy is enough for the whole lifecycle."""
    manager = TransitKeyManager(TransitConfig.from_url(_approle_url(monkeypatch)))
    tenant = "t_" + secrets.token_hex(6)
    try:
        manager.create_tenant_key(tenant)
        key, wrapped = manager.generate_data_key(tenant, b"c")
        manager.rotate(tenant)
        (moved,) = manager.rewrap(tenant, [(wrapped, b"c")])
        assert moved.kek_version == 2 and manager.unwrap(tenant, moved, b"c") == key
        manager.destroy(tenant)
        assert manager.auth.logins == 1
    finally:
        manager.close()


def test_short_lived_token_renewed_then_relogin(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token near expiry is renewed; when renewal is capped, AppRole logs in again."""
    manager = TransitKeyManager(TransitConfig.from_url(_approle_url(monkeypatch)))
    tenant = "t_" + secrets.token_hex(6)
    clock = [0.0]
    manager.auth._now = lambda: clock[0]
    try:
        manager.create_tenant_key(tenant)
        key, wrapped = manager.generate_data_key(tenant, b"c")
        assert manager.auth.logins == 1
        clock[0] += 3600 * 0.7  # two thirds of the 1 h TTL gone: renew
        assert manager.unwrap(tenant, wrapped, b"c") == key
        assert manager.auth.renewals == 1
        manager.auth._token = "expired-token"  # the server forgot it: 403, log in again
        assert manager.unwrap(tenant, wrapped, b"c") == key
        assert manager.auth.logins == 2
        manager.destroy(tenant)
    finally:
        manager.close()


def test_bad_token_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token the server refuses fails closed, and the message does not carry it."""
    monkeypatch.setenv("BAD_BAO_TOKEN", "s.not-a-real-token-5678")
    addr = require_env("CHATSEAL_TEST_BAO_ADDR").removeprefix("http://")
    manager = TransitKeyManager(
        TransitConfig.from_url(f"transit://{addr}?tls=off&token-env=BAD_BAO_TOKEN")
    )
    with pytest.raises(KeyUnavailable) as caught:
        manager.describe("anyone")
    assert "5678" not in str(caught.value)
    manager.close()


def test_url_rules() -> None:
    """No token in the URL, and clear HTTP only on loopback."""
    with pytest.raises(ConfigError):
        TransitConfig.from_url("transit://127.0.0.1:8200?tls=off&token=s.abc")
    with pytest.raises(ConfigError):
        TransitConfig.from_url("transit://bao.example:8200?tls=off&token-env=HOME")
    config = TransitConfig.from_url("transit://bao.example:8200?token-env=HOME")
    assert config.base_url == "https://bao.example:8200"


def test_destroy_versions_oldest_first() -> None:
    """Transit trims versions oldest first: destroying v2 before v1 is a Conflict."""
    manager = TransitKeyManager(TransitConfig.from_url(_token_url()))
    tenant = "t_" + secrets.token_hex(6)
    try:
        manager.create_tenant_key(tenant)
        manager.rotate(tenant)
        manager.rotate(tenant)
        with pytest.raises(Conflict):
            manager.destroy(tenant, 2)
        manager.destroy(tenant, 1)
        manager.destroy(tenant, 2)
        states = [v.state for v in manager.describe(tenant).versions]
        assert states == ["destroyed", "destroyed", "active"]
    finally:
        manager.close()


def test_registry_opens_transit(tmp_path: Path) -> None:
    """The registry imports the backend for a transit: URL."""
    manager = open_key_manager(_token_url(), KeyContext(tmp_path, SystemClock()))
    try:
        assert manager.scheme == "transit"
        manager.ping()
    finally:
        manager.close()
