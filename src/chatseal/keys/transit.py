"""The `transit:` backend: one OpenBao/Vault Transit key per tenant, over HTTP.

- Each tenant has a transit key `<prefix>t-<tenant>` (or `<prefix>h-<sha256>` for tenant ids that
  are not URL-safe) of type `aes256-gcm96` with `derived=true`: every call carries `context`, the
  server derives a per-context key (HKDF-SHA256) from the key version, so a wrapped data key opens
  only under the context it was wrapped for. Derivation rather than `associated_data`, because
  OpenBao's `rewrap` endpoint takes `context` but not `associated_data`.
- Wrapped data keys are the server's ciphertext strings `vault:v<n>:…`, whose `n` is the KEK
  version. Rewrap runs server-side in batches (`batch_input`), so data keys never leave it.
- The server enforces `min_decryption_version`; destroying a version trims it
  (`min_available_version`), which transit allows only oldest first; destroying the tenant
  deletes the key (`deletion_allowed`).
- Fail closed: connection errors and 5xx are KeyUnavailable, never a fallback.

See `_transit_auth` for the URL and the token/AppRole credentials.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chatseal.errors import (
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    MissingExtra,
    NotFound,
)
from chatseal.keys import registry
from chatseal.keys.base import KeyInfo, KeyVersion, WrappedKey

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtra("transit", "the transit: key backend") from exc

from chatseal.keys._transit_auth import TransitAuth, TransitConfig

# OpenBao refuses JSON bodies with more than ~1,000 strings; an item carries four.
BATCH_SIZE = 200
PARALLEL_BATCHES = 4  # requests in flight during a large rewrap
INFO_TTL_SECONDS = 2.0
_SAFE_TENANT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CIPHERTEXT = re.compile(rb"vault:v([0-9]{1,9}):[A-Za-z0-9+/=]+")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _error_text(body: Any) -> str:
    if isinstance(body, dict):
        errors = body.get("errors") or []
        if errors:
            return " ".join(str(e) for e in errors)
        return str(body.get("error") or "")
    return ""


class TransitKeyManager:
    """Per-tenant KEKs in OpenBao/Vault Transit."""

    scheme = "transit"

    def __init__(self, config: TransitConfig, client: httpx.Client | None = None) -> None:
        self._config = config
        self._client = client or httpx.Client(
            base_url=config.base_url, verify=config.verify, timeout=config.timeout
        )
        self.auth = TransitAuth(config, self._client)
        self._info: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    # -- HTTP ------------------------------------------------------------------------------

    def key_name(self, tenant: str) -> str:
        """The transit key of a tenant: readable when the id is URL-safe, hashed otherwise."""
        if _SAFE_TENANT.fullmatch(tenant):
            return f"{self._config.prefix}t-{tenant}"
        digest = hashlib.sha256(tenant.encode("utf-8")).hexdigest()[:40]
        return f"{self._config.prefix}h-{digest}"

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """Send one call; KeyUnavailable on outage, 5xx or refused credentials (after re-login)."""
        url = f"/v1/{self._config.mount}/{path}"
        for attempt in (1, 2):
            headers = {"X-Vault-Token": self.auth.token()}
            if self._config.namespace:
                headers["X-Vault-Namespace"] = self._config.namespace
            try:
                response = self._client.request(method, url, json=body, headers=headers)
            except httpx.HTTPError:
                raise KeyUnavailable("the transit server cannot be reached") from None
            if response.status_code == 403 and attempt == 1 and self.auth.uses_approle:
                self.auth.invalidate()
                continue
            if response.status_code == 403:
                raise KeyUnavailable("the transit server denied the request")
            if response.status_code >= 500:
                raise KeyUnavailable("the transit server is unavailable")
            try:
                doc = response.json() if response.content else {}
            except ValueError:
                raise KeyUnavailable("the transit server sent an unreadable answer") from None
            return response.status_code, doc
        raise KeyUnavailable("the transit server denied the request")  # pragma: no cover

    def _key_info(self, tenant: str, *, fresh: bool = False) -> dict[str, Any]:
        """GET the transit key (cached briefly); NotFound if it does not exist."""
        now = time.monotonic()
        cached = self._info.get(tenant)
        if cached is not None and not fresh and now - cached[0] < INFO_TTL_SECONDS:
            return cached[1]
        status, doc = self._request("GET", f"keys/{self.key_name(tenant)}")
        if status == 404:
            self._info.pop(tenant, None)
            raise NotFound("no key for this tenant")
        if status != 200:
            raise KeyUnavailable("the transit server did not describe the key")
        data: dict[str, Any] = doc["data"]
        self._info[tenant] = (now, data)
        return data

    def _fail(
        self, tenant: str, message: str, version: int | None
    ) -> KeyUnavailable | IntegrityError:
        """Turn a transit error message into ChatSeal's error, naming only the key version."""
        if "encryption key not found" in message or "key not found" in message:
            self._info.pop(tenant, None)
            return KeyDestroyed("the tenant's key was destroyed")
        if "too old" in message or "disallowed by policy" in message:
            try:
                info = self._key_info(tenant, fresh=True)
            except NotFound:
                return KeyDestroyed("the tenant's key was destroyed")
            if version is not None and version < int(info.get("min_available_version") or 0):
                return KeyDestroyed(f"key version v{version} was destroyed")
            return KeyVersionRetired(f"key version v{version} is retired")
        if "authentication failed" in message or "ciphertext" in message or "decode" in message:
            return IntegrityError()
        return KeyUnavailable("the transit server refused the operation")

    @staticmethod
    def _parse(wrapped: WrappedKey) -> str:
        match = _CIPHERTEXT.fullmatch(wrapped.blob)
        if match is None or int(match.group(1)) != wrapped.kek_version:
            raise IntegrityError
        return wrapped.blob.decode("ascii")

    @staticmethod
    def _wrapped(ciphertext: Any) -> WrappedKey:
        raw = str(ciphertext).encode("ascii")
        match = _CIPHERTEXT.fullmatch(raw)
        if match is None:
            raise KeyUnavailable("the transit server sent an unexpected ciphertext")
        return WrappedKey(int(match.group(1)), raw)

    def _key_path(self, action: str, tenant: str) -> str:
        return f"{action}/{self.key_name(tenant)}"

    # -- the KeyManager protocol -----------------------------------------------------------

    def create_tenant_key(self, tenant: str) -> KeyInfo:
        """Create the tenant's derived aes256-gcm96 transit key; Conflict if it exists."""
        with self._lock:
            try:
                self._key_info(tenant, fresh=True)
            except NotFound:
                pass
            else:
                raise Conflict("this tenant already has a key")
            status, doc = self._request(
                "POST", f"keys/{self.key_name(tenant)}", {"type": "aes256-gcm96", "derived": True}
            )
            if status not in (200, 204):
                raise self._fail(tenant, _error_text(doc), None)
        return self.describe(tenant)

    def generate_data_key(self, tenant: str, context: bytes) -> tuple[bytes, WrappedKey]:
        """Ask the server for a 256-bit data key and its wrapping (`datakey/plaintext`)."""
        status, doc = self._request(
            "POST",
            self._key_path("datakey/plaintext", tenant),
            {"context": _b64(context), "bits": 256},
        )
        if status != 200:
            raise self._fail(tenant, _error_text(doc), None)
        data_key = base64.b64decode(doc["data"]["plaintext"])
        if len(data_key) != 32:
            raise KeyUnavailable("the transit server sent a data key of the wrong size")
        return data_key, self._wrapped(doc["data"]["ciphertext"])

    def wrap(self, tenant: str, data_key: bytes, context: bytes) -> WrappedKey:
        """Encrypt an existing data key; checks the key exists, since `encrypt` would upsert it."""
        if len(data_key) != 32:
            raise ValueError("a data key is 32 bytes")
        self._key_info(tenant)
        body = {"plaintext": _b64(data_key), "context": _b64(context)}
        status, doc = self._request("POST", self._key_path("encrypt", tenant), body)
        if status != 200:
            raise self._fail(tenant, _error_text(doc), None)
        return self._wrapped(doc["data"]["ciphertext"])

    def unwrap(self, tenant: str, wrapped: WrappedKey, context: bytes) -> bytes:
        """Decrypt on the server; IntegrityError if it does not open under `context`."""
        body = {"ciphertext": self._parse(wrapped), "context": _b64(context)}
        status, doc = self._request("POST", self._key_path("decrypt", tenant), body)
        if status != 200:
            raise self._fail(tenant, _error_text(doc), wrapped.kek_version)
        data_key = base64.b64decode(doc["data"]["plaintext"])
        if len(data_key) != 32:
            raise IntegrityError
        return data_key

    def rewrap(self, tenant: str, batch: Sequence[tuple[WrappedKey, bytes]]) -> list[WrappedKey]:
        """Rewrap on the server in batches of BATCH_SIZE, a few in flight; keys never leave it."""
        chunks = [batch[at : at + BATCH_SIZE] for at in range(0, len(batch), BATCH_SIZE)]
        if len(chunks) <= 1:
            return [w for chunk in chunks for w in self._rewrap_chunk(tenant, chunk)]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_BATCHES, len(chunks))) as pool:
            done = list(pool.map(lambda chunk: self._rewrap_chunk(tenant, chunk), chunks))
        return [w for chunk in done for w in chunk]

    def _rewrap_chunk(
        self, tenant: str, chunk: Sequence[tuple[WrappedKey, bytes]]
    ) -> list[WrappedKey]:
        items = [{"ciphertext": self._parse(w), "context": _b64(ctx)} for w, ctx in chunk]
        _, doc = self._request("POST", self._key_path("rewrap", tenant), {"batch_input": items})
        data = doc.get("data") if isinstance(doc, dict) else None
        results = data.get("batch_results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(chunk):
            raise self._fail(tenant, _error_text(doc), None)
        out: list[WrappedKey] = []
        for (w, _), result in zip(chunk, results, strict=True):
            if result.get("error") or "ciphertext" not in result:
                raise self._fail(tenant, str(result.get("error", "")), w.kek_version)
            out.append(self._wrapped(result["ciphertext"]))
        return out

    def rotate(self, tenant: str) -> KeyInfo:
        """Add a key version on the server; it becomes the encryption version."""
        self._key_info(tenant, fresh=True)
        status, doc = self._request("POST", f"keys/{self.key_name(tenant)}/rotate", {})
        if status not in (200, 204):
            raise self._fail(tenant, _error_text(doc), None)
        return self.describe(tenant)

    def _config_key(self, tenant: str, settings: dict[str, Any]) -> None:
        status, doc = self._request("POST", f"keys/{self.key_name(tenant)}/config", settings)
        if status not in (200, 204):
            raise self._fail(tenant, _error_text(doc), None)
        self._info.pop(tenant, None)

    def retire(self, tenant: str, min_decryption_version: int) -> KeyInfo:
        """Set `min_decryption_version` on the server (never down, never above the primary)."""
        info = self._key_info(tenant, fresh=True)
        current, latest = int(info["min_decryption_version"]), int(info["latest_version"])
        if not current <= min_decryption_version <= latest:
            raise Conflict(
                "the minimum decryption version must be between the current one and the primary"
            )
        self._config_key(tenant, {"min_decryption_version": min_decryption_version})
        return self.describe(tenant)

    def destroy(self, tenant: str, version: int | None = None) -> None:
        """Trim one version (oldest first, as transit requires) or delete the tenant's key."""
        info = self._key_info(tenant, fresh=True)
        if version is None:
            self._config_key(tenant, {"deletion_allowed": True})
            status, doc = self._request("DELETE", f"keys/{self.key_name(tenant)}")
            if status not in (200, 204):
                raise self._fail(tenant, _error_text(doc), None)
            self._info.pop(tenant, None)
            return
        latest = int(info["latest_version"])
        lowest = max(1, int(info.get("min_available_version") or 0))
        if version == latest:
            raise Conflict("the primary key version cannot be destroyed; rotate first")
        if not 1 <= version < latest or version < lowest:
            raise NotFound(f"no key version v{version}")
        if version != lowest:
            raise Conflict(f"transit destroys key versions oldest first: destroy v{lowest} first")
        # Trimming needs min_decryption_version and min_encryption_version at or above it.
        floor = version + 1
        settings = {
            "min_decryption_version": max(floor, int(info["min_decryption_version"])),
            "min_encryption_version": max(floor, int(info.get("min_encryption_version") or 0)),
        }
        self._config_key(tenant, settings)
        status, doc = self._request(
            "POST", f"keys/{self.key_name(tenant)}/trim", {"min_available_version": floor}
        )
        if status not in (200, 204):
            raise self._fail(tenant, _error_text(doc), None)
        self._info.pop(tenant, None)

    def describe(self, tenant: str) -> KeyInfo:
        """Return the versions: trimmed ones are destroyed, those below the minimum retired."""
        try:
            info = self._key_info(tenant, fresh=True)
        except NotFound:
            raise NotFound("no key for this tenant (never created, or destroyed)") from None
        latest = int(info["latest_version"])
        minimum = int(info["min_decryption_version"])
        available = int(info.get("min_available_version") or 0)
        created = {int(v): float(t) for v, t in (info.get("keys") or {}).items()}
        versions = []
        for number in range(1, latest + 1):
            state = "active"
            if number < available:
                state = "destroyed"
            elif number < minimum:
                state = "retired"
            versions.append(KeyVersion(number, created.get(number, 0.0), state))
        return KeyInfo(tenant, self.scheme, latest, minimum, tuple(versions))

    def ping(self) -> None:
        """Raise KeyUnavailable unless the server is up, unsealed and accepts our token."""
        try:
            response = self._client.get("/v1/sys/health", params={"standbyok": "true"})
        except httpx.HTTPError:
            raise KeyUnavailable("the transit server cannot be reached") from None
        if response.status_code != 200:
            raise KeyUnavailable("the transit server is not ready")
        self.auth.token()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


def _factory(url: str, ctx: registry.KeyContext) -> TransitKeyManager:
    return TransitKeyManager(TransitConfig.from_url(url))


registry.register("transit", _factory)
