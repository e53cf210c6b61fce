"""The authenticator's cache of verified tokens never outlives what made a token valid."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chatseal.auth import Authenticator, Clients
from chatseal.config import Config
from chatseal.errors import AuthenticationError
from chatseal.service import ChatSeal


@pytest.fixture
def auth(seal: ChatSeal, home: Path) -> Authenticator:
    """An authenticator with no leeway, so expiry is exact."""
    (home / "chatseal.toml").write_text("[auth]\nleeway_seconds = 0\n")
    return Authenticator(seal, home, Config.load(home))


def test_cached_token_still_expires(auth: Authenticator) -> None:
    """A token verified once is refused after its exp even though it is cached."""
    token = auth.tokens.mint(tenant="acme", subject="u", roles=["user"], ttl_seconds=1)
    assert auth.authenticate(f"Bearer {token}").subject == "u"
    assert auth.authenticate(f"Bearer {token}").subject == "u"  # served from the cache
    time.sleep(1.2)
    with pytest.raises(AuthenticationError):
        auth.authenticate(f"Bearer {token}")


def test_cached_token_of_a_dropped_key_is_refused(auth: Authenticator) -> None:
    """Two rotations drop the key a cached token was signed with; the token stops working."""
    token = auth.tokens.mint(tenant="acme", subject="u", roles=["user"])
    assert auth.authenticate(f"Bearer {token}").tenant == "acme"
    auth.tokens.keys.rotate()
    assert auth.authenticate(f"Bearer {token}").tenant == "acme"
    auth.tokens.keys.rotate()
    with pytest.raises(AuthenticationError):
        auth.authenticate(f"Bearer {token}")


def test_cached_client_token_is_refused_after_revocation(
    seal: ChatSeal, home: Path, auth: Authenticator
) -> None:
    """Revoking a client ends its cached tokens at once."""
    info, _ = Clients(seal, home).create("acme", ["agent"])
    token = auth.tokens.mint(
        tenant="acme", subject=info.client_id, roles=["agent"], client_id=info.client_id
    )
    assert auth.authenticate(f"Bearer {token}").credential_kind == "client"
    Clients(seal, home).revoke(info.client_id)
    with pytest.raises(AuthenticationError, match="revoked"):
        auth.authenticate(f"Bearer {token}")


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Basic abc", "Bearer a b", "bearer " + "x" * 9000]
)
def test_malformed_headers(auth: Authenticator, header: str) -> None:
    """Missing or malformed Authorization headers are authentication errors."""
    with pytest.raises(AuthenticationError):
        auth.authenticate(header or None)
