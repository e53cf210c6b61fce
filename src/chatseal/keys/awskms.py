"""The `awskms:` backend: AWS KMS through boto3 (GenerateDataKey, Encrypt, Decrypt, ReEncrypt).

URL: `awskms://?region=eu-west-1&alias-prefix=chatseal` (optional `profile=`, `endpoint=`).
Credentials come from boto3's usual chain (environment, profile, instance or task role), never
from the URL.

Design: KMS rotates key material behind one key id and keeps no per-version state we can retire
or destroy one by one, so each KEK version is its own symmetric KMS key with an alias
`alias/<prefix>/<tenant>/v<n>`; `alias/<prefix>/<tenant>` points at the primary. Retiring a
version disables its KMS key (KMS then refuses Decrypt: DisabledException); destroying one
schedules its deletion (7-day minimum waiting period; KMSInvalidStateException meanwhile).
`context` goes into the EncryptionContext, which KMS binds as AES-GCM associated data.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from chatseal.errors import (
    ConfigError,
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    MissingExtra,
    NotFound,
)
from chatseal.keys import registry
from chatseal.keys._secrets import query_params
from chatseal.keys.base import KeyInfo, KeyVersion, WrappedKey

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtra("aws", "the awskms: key backend") from exc

PENDING_WINDOW_DAYS = 7  # the minimum KMS allows (ScheduleKeyDeletion)
INFO_TTL_SECONDS = 2.0
_STATES = {"Enabled": "active", "Disabled": "retired", "PendingDeletion": "destroyed"}


def make_client(url: str) -> Any:
    """Build the boto3 KMS client a URL describes."""
    parts = urlsplit(url)
    params = query_params(
        parts.query,
        {"region", "alias-prefix", "profile", "endpoint"},
        {"secret-access-key", "access-key-id", "session-token"},
    )
    session = boto3.session.Session(profile_name=params.get("profile") or None)
    return session.client(
        "kms", region_name=params.get("region") or None, endpoint_url=params.get("endpoint") or None
    )


class AwsKmsKeyManager:
    """Per-tenant KEK versions as KMS keys behind versioned aliases."""

    scheme = "awskms"

    def __init__(self, client: Any, alias_prefix: str = "chatseal") -> None:
        self._kms = client
        self._prefix = alias_prefix.strip("/")
        self._info: dict[str, tuple[float, KeyInfo]] = {}
        self._lock = threading.Lock()

    def alias(self, tenant: str, version: int | None = None) -> str:
        """`alias/<prefix>/<tenant>` (the primary) or `…/v<n>` (one version)."""
        base = f"alias/{self._prefix}/{tenant}"
        return base if version is None else f"{base}/v{version}"

    @staticmethod
    def _context(tenant: str, context: bytes) -> dict[str, str]:
        # EncryptionContext is logged by CloudTrail in clear: only ids, base64 of the context.
        return {"chatseal:tenant": tenant, "chatseal:context": base64.b64encode(context).decode()}

    def _call(self, operation: str, version: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """Call KMS, mapping its errors onto ChatSeal's (fail closed, name only the version)."""
        try:
            answer: dict[str, Any] = getattr(self._kms, operation)(**kwargs)
            return answer
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise IntegrityError from None
            if code == "DisabledException":
                raise KeyVersionRetired(f"key version v{version} is retired") from None
            if code in ("KMSInvalidStateException", "NotFoundException"):
                if version is None:
                    raise NotFound("no key for this tenant") from None
                raise KeyDestroyed(f"key version v{version} was destroyed") from None
            if code == "AlreadyExistsException":
                raise Conflict("this tenant already has a key") from None
            raise KeyUnavailable("AWS KMS refused or failed the request") from None
        except BotoCoreError:
            raise KeyUnavailable("AWS KMS cannot be reached") from None

    def _versions(self, tenant: str) -> dict[int, str]:
        """Version number -> KMS key id, from the tenant's versioned aliases."""
        prefix = self.alias(tenant) + "/v"
        found: dict[int, str] = {}
        marker: str | None = None
        while True:
            page = (
                self._call("list_aliases", None, Marker=marker)
                if marker
                else self._call("list_aliases", None)
            )
            for entry in page.get("Aliases", []):
                name = entry.get("AliasName", "")
                if name.startswith(prefix) and name[len(prefix) :].isdigit():
                    found[int(name[len(prefix) :])] = entry["TargetKeyId"]
            if not page.get("Truncated"):
                return found
            marker = page["NextMarker"]

    # -- the KeyManager protocol -----------------------------------------------------------

    def describe(self, tenant: str) -> KeyInfo:
        """Versions from the aliases, states from each key's KeyState."""
        versions = self._versions(tenant)
        if not versions:
            raise NotFound("no key for this tenant")
        states: list[KeyVersion] = []
        for number, key_id in sorted(versions.items()):
            meta = self._call("describe_key", number, KeyId=key_id)["KeyMetadata"]
            state = _STATES.get(str(meta.get("KeyState")), "destroyed")
            created = meta.get("CreationDate")
            stamp = created.timestamp() if hasattr(created, "timestamp") else 0.0
            states.append(KeyVersion(number, stamp, state))
        if all(v.state == "destroyed" for v in states):
            raise KeyDestroyed("the tenant's key was destroyed")
        primary = max(v.version for v in states if v.state == "active")
        retired = [v.version for v in states if v.state == "retired"]
        minimum = max(retired) + 1 if retired else 1
        info = KeyInfo(tenant, self.scheme, primary, minimum, tuple(states))
        self._info[tenant] = (time.monotonic(), info)
        return info

    def _primary(self, tenant: str) -> int:
        cached = self._info.get(tenant)
        if cached is not None and time.monotonic() - cached[0] < INFO_TTL_SECONDS:
            return cached[1].primary_version
        return self.describe(tenant).primary_version

    def _new_version(self, tenant: str, version: int) -> None:
        key = self._call(
            "create_key",
            KeySpec="SYMMETRIC_DEFAULT",
            KeyUsage="ENCRYPT_DECRYPT",
            Description=f"ChatSeal KEK v{version}",
            Tags=[
                {"TagKey": "chatseal:tenant", "TagValue": tenant},
                {"TagKey": "chatseal:version", "TagValue": str(version)},
            ],
        )["KeyMetadata"]["KeyId"]
        self._call("create_alias", AliasName=self.alias(tenant, version), TargetKeyId=key)
        if version == 1:
            self._call("create_alias", AliasName=self.alias(tenant), TargetKeyId=key)
        else:
            self._call("update_alias", AliasName=self.alias(tenant), TargetKeyId=key)
        self._info.pop(tenant, None)

    def create_tenant_key(self, tenant: str) -> KeyInfo:
        """Create the KMS key of version 1 and its aliases."""
        with self._lock:
            if self._versions(tenant):
                raise Conflict("this tenant already has a key")
            self._new_version(tenant, 1)
        return self.describe(tenant)

    def generate_data_key(self, tenant: str, context: bytes) -> tuple[bytes, WrappedKey]:
        """GenerateDataKey (AES_256) under the primary version."""
        version = self._primary(tenant)
        answer = self._call(
            "generate_data_key",
            version,
            KeyId=self.alias(tenant, version),
            KeySpec="AES_256",
            EncryptionContext=self._context(tenant, context),
        )
        return bytes(answer["Plaintext"]), WrappedKey(version, bytes(answer["CiphertextBlob"]))

    def wrap(self, tenant: str, data_key: bytes, context: bytes) -> WrappedKey:
        """Encrypt an existing data key under the primary version."""
        version = self._primary(tenant)
        answer = self._call(
            "encrypt",
            version,
            KeyId=self.alias(tenant, version),
            Plaintext=data_key,
            EncryptionContext=self._context(tenant, context),
        )
        return WrappedKey(version, bytes(answer["CiphertextBlob"]))

    def unwrap(self, tenant: str, wrapped: WrappedKey, context: bytes) -> bytes:
        """Decrypt, pinning the key to the version's alias so a blob cannot pick its key."""
        answer = self._call(
            "decrypt",
            wrapped.kek_version,
            KeyId=self.alias(tenant, wrapped.kek_version),
            CiphertextBlob=wrapped.blob,
            EncryptionContext=self._context(tenant, context),
        )
        return bytes(answer["Plaintext"])

    def rewrap(self, tenant: str, batch: Sequence[tuple[WrappedKey, bytes]]) -> list[WrappedKey]:
        """ReEncrypt inside KMS, one call per data key (KMS has no batch API)."""
        version = self._primary(tenant)
        out = []
        for wrapped, context in batch:
            ctx = self._context(tenant, context)
            answer = self._call(
                "re_encrypt",
                wrapped.kek_version,
                CiphertextBlob=wrapped.blob,
                SourceKeyId=self.alias(tenant, wrapped.kek_version),
                SourceEncryptionContext=ctx,
                DestinationKeyId=self.alias(tenant, version),
                DestinationEncryptionContext=ctx,
            )
            out.append(WrappedKey(version, bytes(answer["CiphertextBlob"])))
        return out

    def rotate(self, tenant: str) -> KeyInfo:
        """A new KMS key becomes version n+1 and the primary alias moves to it."""
        with self._lock:
            versions = self._versions(tenant)
            if not versions:
                raise NotFound("no key for this tenant")
            self._new_version(tenant, max(versions) + 1)
        return self.describe(tenant)

    def retire(self, tenant: str, min_decryption_version: int) -> KeyInfo:
        """Disable the KMS keys of every version below the new minimum."""
        info = self.describe(tenant)
        if not info.min_decryption_version <= min_decryption_version <= info.primary_version:
            raise Conflict(
                "the minimum decryption version must be between the current one and the primary"
            )
        key_ids = self._versions(tenant)  # DisableKey takes a key id, not an alias
        for v in info.versions:
            if v.version < min_decryption_version and v.state == "active":
                self._call("disable_key", v.version, KeyId=key_ids[v.version])
        self._info.pop(tenant, None)
        return self.describe(tenant)

    def destroy(self, tenant: str, version: int | None = None) -> None:
        """Schedule deletion of one version's KMS key, or of all of them."""
        info = self.describe(tenant)
        if version is not None and version == info.primary_version:
            raise Conflict("the primary key version cannot be destroyed; rotate first")
        known = {v.version: v.state for v in info.versions}
        if version is not None and version not in known:
            raise NotFound(f"no key version v{version}")
        doomed = [version] if version is not None else sorted(known)
        key_ids = self._versions(tenant)  # ScheduleKeyDeletion takes a key id, not an alias
        for number in doomed:
            if known[number] != "destroyed":
                self._call(
                    "schedule_key_deletion",
                    number,
                    KeyId=key_ids[number],
                    PendingWindowInDays=PENDING_WINDOW_DAYS,
                )
        self._info.pop(tenant, None)

    def ping(self) -> None:
        """One cheap authenticated call."""
        self._call("list_aliases", Limit=1)

    def close(self) -> None:
        """boto3 clients hold no session that needs closing beyond their connection pool."""
        self._kms.close()


def _factory(url: str, ctx: registry.KeyContext) -> AwsKmsKeyManager:
    parts = urlsplit(url)
    if parts.scheme != "awskms":
        raise ConfigError("an awskms: URL looks like awskms://?region=eu-west-1")
    prefix = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get(
        "alias-prefix", "chatseal"
    )
    return AwsKmsKeyManager(make_client(url), prefix)


registry.register("awskms", _factory)
