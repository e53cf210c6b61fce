"""ChatSeal's own access tokens: EdDSA JWTs in the RFC 9068 profile, checked per RFC 8725.

Header: `alg: EdDSA` (pinned, never read from the token), `typ: at+jwt` (RFC 9068 §2.1, so an ID
token or any other JWT cannot pass as an access token), `kid` (the RFC 7638 thumbprint).
Claims: iss, aud, sub, exp, nbf, iat, jti, client_id (RFC 9068 §2.2), tenant, roles, scope
(space-separated, RFC 9068 §2.2.3) and purpose.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from chatseal.auth.jwt_decode import decode_claims, invalid_token
from chatseal.auth.signing import SigningKeys
from chatseal.errors import InvalidRequest
from chatseal.model import Principal, validate_tenant_name

ALGORITHM = "EdDSA"
TOKEN_TYPE = "at+jwt"  # noqa: S105  (a media type, not a secret)
CLI_CLIENT_ID = "chatseal-cli"
DEFAULT_TTL_SECONDS = 900
MAX_TOKEN_CHARS = 8192
MAX_ROLES = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}")
_FORBIDDEN_HEADERS = frozenset({"crit"})  # RFC 7515 §4.1.11: we understand no extension


def check_names(values: list[str] | tuple[str, ...] | frozenset[str], what: str) -> list[str]:
    """Validate role or scope names: short, plain characters, at most 16."""
    clean = sorted(set(values))
    if len(clean) > MAX_ROLES or not all(_NAME.fullmatch(v) for v in clean):
        raise InvalidRequest(
            f"{what} are up to {MAX_ROLES} names of letters, digits and _.:@/-", param=what
        )
    return clean


@dataclass(frozen=True)
class TokenSettings:
    """Who we are and how long tokens live."""

    issuer: str = "chatseal"
    audience: str = "chatseal"
    default_ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_ttl_seconds: int = 86_400
    leeway_seconds: int = 30


class TokenService:
    """Mint and verify ChatSeal access tokens."""

    def __init__(self, keys: SigningKeys, settings: TokenSettings | None = None) -> None:
        self.keys = keys
        self.settings = settings or TokenSettings()

    def mint(
        self,
        *,
        tenant: str,
        subject: str,
        roles: list[str] | tuple[str, ...],
        purpose: str | None = None,
        scopes: list[str] | tuple[str, ...] = (),
        ttl_seconds: int | None = None,
        client_id: str = CLI_CLIENT_ID,
        now: float | None = None,
        not_before: float | None = None,
    ) -> str:
        """Return a signed token. `now`/`not_before` let tests mint old or future tokens."""
        s = self.settings
        ttl = s.default_ttl_seconds if ttl_seconds is None else ttl_seconds
        if not 1 <= ttl <= s.max_ttl_seconds:
            raise InvalidRequest(
                f"the token lifetime must be 1-{s.max_ttl_seconds} seconds", param="ttl"
            )
        validate_tenant_name(tenant)
        if not _NAME.fullmatch(subject):
            raise InvalidRequest("the subject is 1-128 letters, digits and _.:@/-", param="subject")
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": s.issuer,
            "aud": s.audience,
            "sub": subject,
            "iat": issued,
            "nbf": int(issued if not_before is None else not_before),
            "exp": issued + ttl,
            "jti": secrets.token_urlsafe(16),
            "client_id": client_id,
            "tenant": tenant,
            "roles": check_names(tuple(roles), "roles"),
            "scope": " ".join(check_names(tuple(scopes), "scopes")),
        }
        if purpose:
            claims["purpose"] = purpose
        key = self.keys.current()
        return jwt.encode(
            claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TOKEN_TYPE}
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Return a valid token's claims, else AuthenticationError (never echoing the token)."""
        if len(token) > MAX_TOKEN_CHARS:
            raise invalid_token("too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token("malformed") from None
        # RFC 8725 §3.1: the algorithm is ours to choose; `none` and every other value are refused.
        if header.get("alg") != ALGORITHM:
            raise invalid_token("algorithm not allowed")
        if header.get("typ") != TOKEN_TYPE:
            raise invalid_token("wrong token type")
        if _FORBIDDEN_HEADERS & header.keys():
            raise invalid_token("unsupported header")
        kid = header.get("kid")
        if not isinstance(kid, str) or len(kid) > 64:
            raise invalid_token("unknown key")
        key = self.keys.find(kid)  # jku, x5u and embedded jwk headers are ignored (RFC 8725 §3.10)
        if key is None:
            raise invalid_token("unknown key")
        s = self.settings
        return decode_claims(
            token,
            key.public,
            algorithm=ALGORITHM,
            audience=s.audience,
            issuer=s.issuer,
            leeway=s.leeway_seconds,
            require=("exp", "nbf", "iat", "iss", "aud", "sub"),
        )

    def principal(self, claims: dict[str, Any]) -> Principal:
        """Build the principal a verified token speaks for."""
        tenant, subject, roles = claims.get("tenant"), claims.get("sub"), claims.get("roles", [])
        scope = claims.get("scope", "")
        purpose = claims.get("purpose")
        if (
            not isinstance(tenant, str)
            or not isinstance(subject, str)
            or not isinstance(scope, str)
        ):
            raise invalid_token("missing claims")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise invalid_token("bad roles")
        if purpose is not None and not isinstance(purpose, str):
            raise invalid_token("bad purpose")
        client_id = claims.get("client_id")
        kind = "token" if client_id == CLI_CLIENT_ID else "client"
        return Principal(
            tenant=tenant,
            subject=subject,
            roles=frozenset(roles),
            purpose=purpose,
            scopes=frozenset(scope.split()),
            credential_kind=kind,
        )
