"""The `pkcs11:` backend against SoftHSM2: the contract, PIN handling, key attributes."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from pkcs11 import Attribute, ObjectClass

from chatseal.clock import SystemClock
from chatseal.errors import ConfigError, KeyUnavailable
from chatseal.keys.pkcs11 import Pkcs11Config, Pkcs11KeyManager, _load_module
from chatseal.keys.registry import KeyContext, open_key_manager
from keys.contract import Harness, KeyManagerContract, require_env


def _url(token: str | None = None, pin: str = "pin-env=CHATSEAL_PKCS11_PIN") -> str:
    module = require_env("CHATSEAL_TEST_PKCS11_MODULE")
    require_env("SOFTHSM2_CONF")
    require_env("CHATSEAL_PKCS11_PIN")
    label = token or require_env("CHATSEAL_TEST_PKCS11_TOKEN")
    return f"pkcs11://{module}?token={label}&{pin}"


@pytest.fixture
def harness() -> Harness:
    url = _url()
    return Harness(
        open=lambda: Pkcs11KeyManager(Pkcs11Config.from_url(url)),
        outage=lambda: Pkcs11KeyManager(Pkcs11Config.from_url(_url(token="unplugged"))),
    )


class TestPkcs11Contract(KeyManagerContract):
    """`pkcs11:` on SoftHSM2 passes the backend contract."""


def test_registry_opens_pkcs11(tmp_path: Path) -> None:
    """The registry imports the backend for a pkcs11: URL."""
    manager = open_key_manager(_url(), KeyContext(tmp_path, SystemClock()))
    try:
        assert manager.scheme == "pkcs11"
        manager.ping()
    finally:
        manager.close()


def test_pin_in_url_refused() -> None:
    """A PIN in the URL itself is a configuration error (RFC 7512 pin-value included)."""
    for pin in ("pin=1234", "pin-value=1234"):
        with pytest.raises(ConfigError) as caught:
            Pkcs11Config.from_url(_url(pin=pin))
        assert "1234" not in str(caught.value)


def test_pin_from_file(tmp_path: Path) -> None:
    """A PIN file works in place of the environment variable."""
    pin_file = tmp_path / "pin"
    pin_file.write_text(require_env("CHATSEAL_PKCS11_PIN") + "\n")
    manager = Pkcs11KeyManager(Pkcs11Config.from_url(_url(pin=f"pin-file={pin_file}")))
    try:
        manager.ping()
    finally:
        manager.close()


def test_wrong_pin_is_unavailable_and_silent(tmp_path: Path) -> None:
    """A wrong PIN fails closed, and the message does not contain it."""
    pin_file = tmp_path / "pin"
    pin_file.write_text("wrong-pin-4321")
    manager = Pkcs11KeyManager(Pkcs11Config.from_url(_url(pin=f"pin-file={pin_file}")))
    with pytest.raises(KeyUnavailable) as caught:
        manager.ping()
    assert "4321" not in str(caught.value)
    manager.close()


def test_kek_is_sensitive_and_never_extractable() -> None:
    """KEKs are token objects, sensitive, never extractable; metadata lives in the token."""
    manager = Pkcs11KeyManager(Pkcs11Config.from_url(_url()))
    tenant = "attr_" + secrets.token_hex(4)
    manager.create_tenant_key(tenant)
    manager.rotate(tenant)
    manager.close()
    lib = _load_module(require_env("CHATSEAL_TEST_PKCS11_MODULE"))
    token = lib.get_token(token_label=require_env("CHATSEAL_TEST_PKCS11_TOKEN"))
    with token.open(user_pin=os.environ["CHATSEAL_PKCS11_PIN"]) as session:
        keys = list(session.get_objects({Attribute.LABEL: f"chatseal:{tenant}:v2"}))
        assert len(keys) == 1
        key = keys[0]
        assert key[Attribute.SENSITIVE] and key[Attribute.NEVER_EXTRACTABLE]
        assert not key[Attribute.EXTRACTABLE] and key[Attribute.TOKEN]
        assert not key[Attribute.WRAP]
        meta = list(
            session.get_objects(
                {Attribute.CLASS: ObjectClass.DATA, Attribute.LABEL: f"chatseal:{tenant}:meta"}
            )
        )
        assert len(meta) == 1 and b'"primary":2' in bytes(meta[0][Attribute.VALUE])


def test_retired_kek_refuses_decrypt_in_token() -> None:
    """Retiring clears CKA_DECRYPT, so the token itself enforces the minimum version."""
    manager = Pkcs11KeyManager(Pkcs11Config.from_url(_url()))
    tenant = "ret_" + secrets.token_hex(4)
    manager.create_tenant_key(tenant)
    manager.rotate(tenant)
    manager.retire(tenant, 2)
    manager.close()
    lib = _load_module(require_env("CHATSEAL_TEST_PKCS11_MODULE"))
    token = lib.get_token(token_label=require_env("CHATSEAL_TEST_PKCS11_TOKEN"))
    with token.open(user_pin=os.environ["CHATSEAL_PKCS11_PIN"]) as session:
        (old,) = session.get_objects({Attribute.LABEL: f"chatseal:{tenant}:v1"})
        (new,) = session.get_objects({Attribute.LABEL: f"chatseal:{tenant}:v2"})
        assert old[Attribute.DECRYPT] is False and new[Attribute.DECRYPT] is True
