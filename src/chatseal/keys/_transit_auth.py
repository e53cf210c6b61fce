"""The `transit:` URL and the credentials it names: a token, or AppRole with renewal.

URL: `transit://127.0.0.1:8200?mount=transit&token-env=BAO_TOKEN` (or `token-file=`), or
`transit://bao.internal:8200?role-id-env=R&secret-id-file=/run/secrets/bao` for AppRole.
Secrets come from the environment or files only; `tls=off` is accepted for loopback only.

Short-lived credentials (Vault/OpenBao token leases): a token is renewed through
`auth/token/renew-self` once a third of its TTL is left; when renewal fails or the maximum TTL
caps it, AppRole logs in again (`auth/<mount>/login`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatseal.errors import ConfigError, KeyUnavailable
from chatseal.keys._secrets import query_params, read_secret

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_ALLOWED = {
    "mount", "token-env", "token-file", "role-id-env", "role-id-file", "secret-id-env",
    "secret-id-file", "approle-mount", "tls", "ca-file", "namespace", "prefix", "timeout",
}  # fmt: skip
_SECRETS = {"token", "secret-id", "role-id", "secret"}
RENEW_FRACTION = 1 / 3


@dataclass(frozen=True)
class TransitConfig:
    """What a `transit:` URL says, with the secrets it points at read in."""

    base_url: str
    mount: str = "transit"
    prefix: str = "chatseal-"
    namespace: str | None = None
    verify: str | bool = True
    timeout: float = 5.0
    token: str | None = field(default=None, repr=False)
    role_id: str | None = field(default=None, repr=False)
    secret_id: str | None = field(default=None, repr=False)
    approle_mount: str = "approle"

    @classmethod
    def from_url(cls, url: str) -> TransitConfig:
        """Parse the URL; refuse secrets in it and clear HTTP off loopback."""
        parts = urlsplit(url)
        if parts.scheme != "transit" or not parts.hostname:
            raise ConfigError("a transit: URL looks like transit://host:8200?mount=transit&…")
        params = query_params(parts.query, _ALLOWED, _SECRETS)
        tls = params.get("tls", "on")
        if tls not in ("on", "off"):
            raise ConfigError("tls= is 'on' or 'off'")
        if tls == "off" and parts.hostname not in LOOPBACK:
            raise ConfigError("tls=off is allowed only for a loopback address")
        scheme = "https" if tls == "on" else "http"
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        port = f":{parts.port}" if parts.port else ""
        token = read_secret(params, "token")
        role_id = read_secret(params, "role-id")
        secret_id = read_secret(params, "secret-id")
        if token is None and (role_id is None or secret_id is None):
            raise ConfigError(
                "the transit: URL needs token-env/token-file, or role-id-* and secret-id-*"
            )
        try:
            timeout = float(params.get("timeout", "5"))
        except ValueError:
            raise ConfigError("timeout= is a number of seconds") from None
        return cls(
            base_url=f"{scheme}://{host}{port}",
            mount=params.get("mount", "transit").strip("/"),
            prefix=params.get("prefix", "chatseal-"),
            namespace=params.get("namespace") or None,
            verify=params.get("ca-file") or True,
            timeout=timeout,
            token=token,
            role_id=role_id,
            secret_id=secret_id,
            approle_mount=params.get("approle-mount", "approle").strip("/"),
        )


class TransitAuth:
    """Holds the current token and keeps it alive (renew, or log in again with AppRole)."""

    def __init__(
        self,
        config: TransitConfig,
        client: httpx.Client,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._client = client
        self._now = now
        self._lock = threading.Lock()
        self._token: str | None = config.token
        self._expires_at: float | None = None  # None: does not expire (or not yet known)
        self._ttl = 0.0
        self._renewable = False
        self._checked = False
        self.logins = 0
        self.renewals = 0

    @property
    def uses_approle(self) -> bool:
        """Whether a failed renewal can be healed by logging in again."""
        return self._config.role_id is not None and self._config.secret_id is not None

    def token(self) -> str:
        """Return a token that is valid now, renewing or logging in first if it is due."""
        with self._lock:
            if self._token is None:
                if not self.uses_approle:
                    raise KeyUnavailable("the transit server refused the credentials")
                self._login()
            elif not self._checked:
                self._lookup()
            elif self._expires_at is not None and self._due():
                self._renew_or_login()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the token after the server refused it (AppRole logs in again next time)."""
        with self._lock:
            if self.uses_approle:
                self._token = None
            self._checked = False

    def _due(self) -> bool:
        assert self._expires_at is not None
        return self._expires_at - self._now() <= self._ttl * RENEW_FRACTION

    def _post(self, path: str, token: str | None, body: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"X-Vault-Token": token} if token else {}
        if self._config.namespace:
            headers["X-Vault-Namespace"] = self._config.namespace
        try:
            if body is None:
                response = self._client.get(path, headers=headers)
            else:
                response = self._client.post(path, headers=headers, json=body)
        except httpx.HTTPError:
            raise KeyUnavailable("the transit server cannot be reached") from None
        if response.status_code >= 400:
            raise KeyUnavailable("the transit server refused the credentials")
        try:
            doc: dict[str, Any] = response.json()
        except ValueError:
            raise KeyUnavailable("the transit server sent an unreadable answer") from None
        return doc

    def _set_lease(self, ttl: float, renewable: bool) -> None:
        self._ttl = ttl
        self._renewable = renewable
        self._expires_at = self._now() + ttl if ttl > 0 else None
        self._checked = True

    def _login(self) -> None:
        body = {"role_id": self._config.role_id, "secret_id": self._config.secret_id}
        doc = self._post(f"/v1/auth/{self._config.approle_mount}/login", None, body)
        auth = doc.get("auth") or {}
        if not auth.get("client_token"):
            raise KeyUnavailable("the transit server refused the AppRole login")
        self._token = str(auth["client_token"])
        self._set_lease(float(auth.get("lease_duration", 0)), bool(auth.get("renewable")))
        self.logins += 1

    def _lookup(self) -> None:
        data = self._post("/v1/auth/token/lookup-self", self._token, None).get("data") or {}
        self._set_lease(float(data.get("ttl", 0)), bool(data.get("renewable")))

    def _renew_or_login(self) -> None:
        previous_ttl = self._ttl
        try:
            if not self._renewable:
                raise KeyUnavailable("the token is not renewable")
            doc = self._post("/v1/auth/token/renew-self", self._token, {})
            lease = float((doc.get("auth") or {}).get("lease_duration", 0))
            # A lease capped by the token's max TTL cannot be renewed much longer: log in anew.
            if lease <= 0 or (self.uses_approle and lease < previous_ttl * RENEW_FRACTION):
                raise KeyUnavailable("the token reached its maximum TTL")
            self._expires_at = self._now() + lease
            self.renewals += 1
        except KeyUnavailable:
            if not self.uses_approle:
                raise
            self._login()
