"""ChatSeal access tokens: RFC 9068 shape, pinned EdDSA, bounded lifetimes, strict claims."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from chatseal.auth import SigningKeys, TokenService, TokenSettings
from chatseal.errors import AuthenticationError, InvalidRequest


@pytest.fixture
def service(tmp_path: Path) -> TokenService:
    """A token service over a fresh signing key."""
    keys = SigningKeys(tmp_path)
    keys.ensure()
    return TokenService(keys, TokenSettings(max_ttl_seconds=7200))


def test_round_trip_carries_the_claims(service: TokenService) -> None:
    """A minted token verifies and carries tenant, subject, roles, scope, purpose and RFC 9068 claims."""
    token = service.mint(
        tenant="acme",
        subject="user:alice",
        roles=["user", "agent"],
        purpose="support",
        scopes=["a", "b"],
    )
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["typ"], header["kid"]) == (
        "EdDSA",
        "at+jwt",
        service.keys.current().kid,
    )
    claims = service.verify(token)
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"]
    assert (claims["iss"], claims["aud"], claims["client_id"]) == (
        "chatseal",
        "chatseal",
        "chatseal-cli",
    )
    principal = service.principal(claims)
    assert principal.tenant == "acme" and principal.subject == "user:alice"
    assert principal.roles == frozenset({"user", "agent"}) and principal.scopes == frozenset(
        {"a", "b"}
    )
    assert principal.purpose == "support" and principal.credential_kind == "token"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"ttl_seconds": 0}, "ttl"),
        ({"ttl_seconds": 7201}, "ttl"),
        ({"subject": ""}, "subject"),
        ({"subject": "a b"}, "subject"),
        ({"tenant": "Not A Tenant"}, "tenant"),
        ({"roles": ["bad role"]}, "roles"),
        ({"roles": [f"r{i}" for i in range(17)]}, "roles"),
    ],
)
def test_mint_validates_its_input(
    service: TokenService, kwargs: dict[str, object], param: str
) -> None:
    """Lifetimes outside 1..max, odd subjects, tenants or roles are refused before signing."""
    args: dict[str, object] = {
        "tenant": "acme",
        "subject": "user:alice",
        "roles": ["user"],
        **kwargs,
    }
    with pytest.raises(InvalidRequest) as caught:
        service.mint(**args)  # type: ignore[arg-type]
    assert caught.value.param == param


def test_leeway_bounds_expiry(tmp_path: Path) -> None:
    """A token expired by less than the leeway passes; by more, it fails."""
    keys = SigningKeys(tmp_path)
    keys.ensure()
    service = TokenService(keys, TokenSettings(leeway_seconds=30))
    now = time.time()
    inside = service.mint(tenant="acme", subject="u", roles=["user"], now=now - 70, ttl_seconds=60)
    assert service.verify(inside)["sub"] == "u"
    outside = service.mint(
        tenant="acme", subject="u", roles=["user"], now=now - 200, ttl_seconds=60
    )
    with pytest.raises(AuthenticationError, match="expired"):
        service.verify(outside)


def test_crit_header_and_bad_claims_are_refused(service: TokenService) -> None:
    """A `crit` header is refused, and claims of the wrong type never become a principal."""
    key = service.keys.current()
    claims = service.verify(service.mint(tenant="acme", subject="u", roles=["user"]))
    token = jwt.encode(
        claims,
        key.private,
        algorithm="EdDSA",
        headers={"kid": key.kid, "typ": "at+jwt", "crit": ["exp"]},
    )
    with pytest.raises(AuthenticationError):
        service.verify(token)
    for bad in ({"roles": "admin"}, {"tenant": 7}, {"purpose": ["x"]}, {"scope": ["a"]}):
        with pytest.raises(AuthenticationError):
            service.principal({**claims, **bad})
