"""OAuth2 clients: secrets shown once and kept only as peppered hashes; revocation is final."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatseal.auth import Clients
from chatseal.auth.clients import PEPPER_FILE
from chatseal.errors import AuthenticationError, NotFound
from chatseal.service import ChatSeal


def test_secret_is_never_stored(seal: ChatSeal, home: Path) -> None:
    """The secret appears nowhere in the home; only its keyed hash is kept."""
    clients = Clients(seal, home)
    info, secret = clients.create("acme", ["agent"], purpose="billing")
    assert info.client_id.startswith("csc_") and secret.startswith("cs_secret_")
    seal.store.compact()
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path.name
    assert (home / PEPPER_FILE).stat().st_mode & 0o777 == 0o600
    assert "secret" not in str(info.to_dict()).replace("client_secret", "")


def test_authenticate_and_revoke(seal: ChatSeal, home: Path) -> None:
    """Right credentials authenticate; wrong, unknown and revoked ones fail the same way."""
    clients = Clients(seal, home)
    info, secret = clients.create("acme", ["agent"])
    assert clients.authenticate(info.client_id, secret).tenant == "acme"
    assert clients.is_active(info.client_id, "acme") and not clients.is_active(
        info.client_id, "globex"
    )
    failures = [
        (info.client_id, secret + "x"),
        ("csc_" + "0" * 32, secret),
        (info.client_id, "x" * 300),
    ]
    messages = set()
    for client_id, offered in failures:
        with pytest.raises(AuthenticationError) as caught:
            clients.authenticate(client_id, offered)
        messages.add(caught.value.message)
    clients.revoke(info.client_id)
    with pytest.raises(AuthenticationError) as caught:
        clients.authenticate(info.client_id, secret)
    messages.add(caught.value.message)
    assert len(messages) == 1 and not clients.is_active(info.client_id, "acme")
    with pytest.raises(NotFound):
        clients.revoke(info.client_id)
    assert clients.list("acme")[0].revoked_at is not None


def test_unknown_tenant_is_refused(seal: ChatSeal, home: Path) -> None:
    """A client cannot be made for a tenant that does not exist."""
    with pytest.raises(NotFound):
        Clients(seal, home).create("nobody", ["user"])
