"""One front for every credential: ChatSeal tokens, OAuth2 client tokens, OIDC tokens, mTLS.

The tenant always comes from the credential, never from the request (DESIGN.md, Tenancy).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import jwt

from chatseal.auth.clients import Clients
from chatseal.auth.mtls import CertificateMapping, certificate_principal, load_subjects
from chatseal.auth.oidc import OidcVerifier, load_issuers
from chatseal.auth.signing import SigningKeys
from chatseal.auth.tokens import MAX_TOKEN_CHARS, TokenService, TokenSettings
from chatseal.config import Config
from chatseal.errors import AuthenticationError, ConfigError
from chatseal.model import Principal
from chatseal.service import ChatSeal

# principal, signing kid (None for OIDC), nbf, exp, client id (None unless a client token)
_Verified = tuple[Principal, str | None, float, float, str | None]
CACHE_ENTRIES = 10_000


def token_settings(config: Config) -> TokenSettings:
    """Read `[auth]`: issuer, audience, default_ttl_seconds, max_ttl_seconds, leeway_seconds."""
    section = config.section("auth")
    defaults = TokenSettings()
    try:
        return TokenSettings(
            issuer=str(section.get("issuer", defaults.issuer)),
            audience=str(section.get("audience", defaults.audience)),
            default_ttl_seconds=int(
                section.get("default_ttl_seconds", defaults.default_ttl_seconds)
            ),
            max_ttl_seconds=int(section.get("max_ttl_seconds", defaults.max_ttl_seconds)),
            leeway_seconds=int(section.get("leeway_seconds", defaults.leeway_seconds)),
        )
    except (TypeError, ValueError):
        raise ConfigError("[auth] has a value of the wrong type") from None


def token_service(home: Path, config: Config, *, create: bool = False) -> TokenService:
    """The token service of a home; `create=True` makes the signing key if there is none."""
    keys = SigningKeys(home)
    if create:
        keys.ensure()
    return TokenService(keys, token_settings(config))


class Authenticator:
    """Turn a request's credentials into a principal, or raise AuthenticationError."""

    def __init__(self, seal: ChatSeal, home: Path, config: Config) -> None:
        self.tokens = token_service(home, config, create=True)
        self.tokens.keys.reload()
        self.clients = Clients(seal, home)
        self.oidc: dict[str, OidcVerifier] = {
            issuer.issuer: OidcVerifier(issuer) for issuer in load_issuers(config.section("oidc"))
        }
        if self.tokens.settings.issuer in self.oidc:
            raise ConfigError("an [oidc] issuer may not use ChatSeal's own issuer name")
        self.subjects: dict[str, CertificateMapping] = load_subjects(config.section("mtls"))
        self._verified: dict[str, _Verified] = {}
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None, peer_cert: bytes | None = None) -> Principal:
        """Authenticate a bearer token (RFC 6750 §2.1), else a mapped client certificate."""
        if not authorization:
            if peer_cert is not None:
                return certificate_principal(peer_cert, self.subjects)
            raise AuthenticationError(
                "You didn't provide an API key. Send 'Authorization: Bearer <token>'.",
                code="missing_api_key",
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError("invalid access token: malformed")
        return self.bearer(token)

    def bearer(self, token: str) -> Principal:
        """Verify a bearer token, through a cache of tokens already verified in this process.

        A hit still re-checks what can change after verification: the time window (exp, nbf with
        the leeway), that the signing key is still held (a rotation may have dropped it), and for
        client tokens that the client is not revoked. Signature checks are what the cache saves.
        """
        hit = self._verified.get(token)
        if hit is not None:
            if self._still_valid(hit):
                return hit[0]
            with self._lock:
                self._verified.pop(token, None)
        principal, kid, not_before, expires, client_id = self._verify(token)
        with self._lock:
            self._verified[token] = (principal, kid, not_before, expires, client_id)
            while len(self._verified) > CACHE_ENTRIES:
                self._verified.pop(next(iter(self._verified)))
        return principal

    def _still_valid(self, hit: _Verified) -> bool:
        principal, kid, not_before, expires, client_id = hit
        now, leeway = time.time(), self.tokens.settings.leeway_seconds
        if not not_before - leeway <= now < expires + leeway:
            return False
        if kid is not None and self.tokens.keys.find(kid) is None:
            return False
        return client_id is None or self.clients.is_active(client_id, principal.tenant)

    def _verify(self, token: str) -> _Verified:
        """Pick the verifier by the (untrusted) issuer; each verifier checks everything itself."""
        try:
            header: dict[str, Any] = jwt.get_unverified_header(token)
            peek: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationError("invalid access token: malformed") from None
        issuer = peek.get("iss")
        if issuer == self.tokens.settings.issuer:
            claims = self.tokens.verify(token)
            principal = self.tokens.principal(claims)
            client_id = (
                str(claims.get("client_id")) if principal.credential_kind == "client" else None
            )
            # Revocation takes effect at once: every client token is checked against the store.
            if client_id is not None and not self.clients.is_active(client_id, principal.tenant):
                raise AuthenticationError("invalid access token: the client was revoked")
            return (
                principal,
                str(header["kid"]),
                float(claims["nbf"]),
                float(claims["exp"]),
                client_id,
            )
        verifier = self.oidc.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise AuthenticationError("invalid access token: wrong audience or issuer")
        principal = verifier.verify(token, header)
        nbf, exp = peek.get("nbf", 0), peek.get("exp")
        if not isinstance(nbf, int | float) or not isinstance(exp, int | float):
            raise AuthenticationError("invalid access token: bad time claims")
        return principal, None, float(nbf), float(exp), None
