"""Tokens of external OIDC issuers, checked against the issuer's JWKS (RFC 7517, RFC 8725).

Configured in `chatseal.toml` only (never from a token): one `[oidc]` table, or several
`[[oidc.issuers]]` tables. The JWKS comes from a file or an HTTPS URL fetched with no redirects,
a time limit and a size limit, cached and refreshed (and re-fetched, at most every
`jwks_min_refresh_seconds`, when a token names a key id we do not hold: the issuer rotated).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt

from chatseal.auth.jwt_decode import decode_claims, invalid_token
from chatseal.errors import AuthenticationError, ConfigError
from chatseal.model import Principal

# One asymmetric family per issuer (HARDENING.md: one key, one algorithm; never HMAC, never none).
FAMILIES: dict[str, tuple[str, frozenset[str]]] = {
    "RSA": ("RSA", frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})),
    "EC": ("EC", frozenset({"ES256", "ES384", "ES512"})),
    "OKP": ("OKP", frozenset({"EdDSA"})),
}


def _family(algorithms: list[str]) -> str:
    for kty, (_, allowed) in FAMILIES.items():
        if algorithms and set(algorithms) <= allowed:
            return kty
    raise ConfigError(
        "oidc.algorithms must be asymmetric algorithms of one family (RS*/PS*, ES* or EdDSA)"
    )


@dataclass(frozen=True)
class OidcIssuer:
    """One trusted issuer and how its claims map onto a principal."""

    issuer: str
    audience: str
    algorithms: list[str]
    jwks_file: str | None = None
    jwks_url: str | None = None
    jwks_ca_file: str | None = None
    leeway_seconds: int = 60
    tenant_claim: str = "tenant"
    subject_claim: str = "sub"
    roles_claim: str = "roles"
    purpose_claim: str = "purpose"
    scope_claim: str = "scope"
    default_roles: list[str] = field(default_factory=list)
    token_type: str | None = None
    jwks_refresh_seconds: float = 300.0
    jwks_min_refresh_seconds: float = 30.0
    jwks_timeout_seconds: float = 5.0
    jwks_max_bytes: int = 65_536

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> OidcIssuer:
        """Validate one issuer table."""
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ConfigError("unknown [oidc] keys: " + ", ".join(sorted(unknown)))
        for needed in ("issuer", "audience"):
            if not isinstance(raw.get(needed), str) or not raw[needed]:
                raise ConfigError(f"oidc.{needed} is required")
        raw = {"algorithms": ["RS256"], **raw}
        _family(list(raw["algorithms"]))
        if bool(raw.get("jwks_file")) == bool(raw.get("jwks_url")):
            raise ConfigError("set exactly one of oidc.jwks_file and oidc.jwks_url")
        url = raw.get("jwks_url")
        if url and not str(url).startswith("https://"):
            raise ConfigError("oidc.jwks_url must be an https:// URL")
        return cls(**raw)


def _claim(claims: dict[str, Any], path: str) -> Any:
    """Read a claim by a dotted path (e.g. Keycloak's `realm_access.roles`)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class JwksCache:
    """An issuer's keys by kid, from a file or a bounded HTTPS fetch, refreshed on a schedule."""

    def __init__(self, issuer: OidcIssuer) -> None:
        self.issuer = issuer
        self.kty = _family(issuer.algorithms)
        self._keys: dict[str | None, Any] = {}
        self._fetched = 0.0
        self._lock = threading.Lock()

    def _read(self) -> bytes:
        cfg = self.issuer
        if cfg.jwks_file:
            data = Path(cfg.jwks_file).read_bytes()
            if len(data) > cfg.jwks_max_bytes:
                raise ConfigError("the JWKS file is too large")
            return data
        assert cfg.jwks_url
        # No redirects, no proxies from the environment, bounded time and size (an SSRF door).
        verify: Any = cfg.jwks_ca_file or True
        with (
            httpx.Client(
                timeout=cfg.jwks_timeout_seconds,
                follow_redirects=False,
                verify=verify,
                trust_env=False,
            ) as client,
            client.stream("GET", cfg.jwks_url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise ConfigError(f"the JWKS URL answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > cfg.jwks_max_bytes:
                    raise ConfigError("the JWKS document is too large")
            return bytes(body)

    def refresh(self) -> None:
        """Fetch and parse the key set; keep only keys of the configured family."""
        try:
            doc = json.loads(self._read())
            entries = doc["keys"]
            if not isinstance(entries, list):
                raise TypeError
        except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError):
            raise ConfigError("the issuer's JWKS could not be loaded") from None
        keys: dict[str | None, Any] = {}
        for entry in entries:
            if (
                not isinstance(entry, dict)
                or entry.get("kty") != self.kty
                or entry.get("use", "sig") != "sig"
            ):
                continue  # never an `oct` (HMAC) key, never a key of another family
            try:
                jwk = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue
            keys[entry.get("kid") if isinstance(entry.get("kid"), str) else None] = jwk.key
        self._keys = keys
        self._fetched = time.monotonic()

    def key(self, kid: object) -> Any:
        """The key for a kid (or the only key when the token names none)."""
        age = time.monotonic() - self._fetched
        with self._lock:
            if not self._fetched or age >= self.issuer.jwks_refresh_seconds:
                self.refresh()
            found = self._lookup(kid)
            if found is None and age >= self.issuer.jwks_min_refresh_seconds:
                self.refresh()
                found = self._lookup(kid)
        return found

    def _lookup(self, kid: object) -> Any:
        if isinstance(kid, str):
            return self._keys.get(kid)
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return None


class OidcVerifier:
    """Verify one issuer's tokens and map their claims to a principal."""

    def __init__(self, issuer: OidcIssuer) -> None:
        self.config = issuer
        self.jwks = JwksCache(issuer)

    def verify(self, token: str, header: dict[str, Any]) -> Principal:
        """Check signature, algorithm, iss, aud, exp and nbf; map claims. Never echoes the token."""
        cfg = self.config
        alg = header.get("alg")
        if alg not in cfg.algorithms:
            raise invalid_token("algorithm not allowed")
        if cfg.token_type is not None and header.get("typ") != cfg.token_type:
            raise invalid_token("wrong token type")
        if "crit" in header:
            raise invalid_token("unsupported header")
        try:
            key = self.jwks.key(header.get("kid"))
        except ConfigError:
            raise AuthenticationError("the token issuer's keys are unavailable") from None
        if key is None:
            raise invalid_token("unknown key")
        claims = decode_claims(
            token,
            key,
            algorithm=str(alg),
            audience=cfg.audience,
            issuer=cfg.issuer,
            leeway=cfg.leeway_seconds,
            require=("exp", "iss", "aud"),
        )
        return self.principal(claims)

    def principal(self, claims: dict[str, Any]) -> Principal:
        """Map verified claims onto a principal by the configured claim names."""
        cfg = self.config
        tenant = _claim(claims, cfg.tenant_claim)
        subject = _claim(claims, cfg.subject_claim)
        roles = _claim(claims, cfg.roles_claim)
        roles = cfg.default_roles if roles is None else roles
        purpose = _claim(claims, cfg.purpose_claim)
        scope = _claim(claims, cfg.scope_claim) or ""
        if isinstance(scope, list):
            scope = " ".join(str(s) for s in scope)
        if not isinstance(tenant, str) or not tenant or not isinstance(subject, str) or not subject:
            raise invalid_token("the tenant or subject claim is missing")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise invalid_token("the roles claim is not a list of strings")
        return Principal(
            tenant=tenant,
            subject=f"{cfg.issuer}#{subject}",
            roles=frozenset(roles),
            purpose=purpose if isinstance(purpose, str) else None,
            scopes=frozenset(str(scope).split()),
            credential_kind="oidc",
        )


def load_issuers(section: dict[str, Any]) -> list[OidcIssuer]:
    """Read `[oidc]` (one issuer) or `[[oidc.issuers]]` (several) from the configuration."""
    if not section:
        return []
    if "issuers" in section:
        tables = section["issuers"]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ConfigError("[[oidc.issuers]] must be tables")
        return [OidcIssuer.from_config(dict(t)) for t in tables]
    return [OidcIssuer.from_config(dict(section))]
