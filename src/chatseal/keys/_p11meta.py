"""A tenant's key metadata as the PKCS#11 backend keeps it in the token (a CKO_DATA object).

SoftHSM2 refuses to modify CKA_VALUE of a data object, so an update writes a new object with the
next generation number and then destroys the older ones; readers take the highest generation.
A crash between the two steps leaves a stale older object, which the next write removes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from chatseal.errors import KeyDestroyed, KeyUnavailable
from chatseal.keys.base import KeyInfo, KeyVersion

META_FORMAT = 1
APPLICATION = "chatseal"


def kek_label(tenant: str, version: int) -> str:
    """Label of a KEK version object: unique because the suffix `:v<digits>` has no colon."""
    return f"chatseal:{tenant}:v{version}"


def meta_label(tenant: str) -> str:
    """Label of the tenant's metadata object."""
    return f"chatseal:{tenant}:meta"


@dataclass(frozen=True)
class TenantMeta:
    """Versions, primary and minimum decryption version of one tenant's KEK."""

    tenant: str
    generation: int
    primary: int
    min_decryption_version: int
    created: dict[int, float] = field(default_factory=dict)
    destroyed_versions: frozenset[int] = frozenset()
    destroyed: bool = False

    def to_bytes(self) -> bytes:
        """Serialise (canonical JSON: sorted keys)."""
        doc: dict[str, Any] = {
            "format": META_FORMAT,
            "tenant": self.tenant,
            "generation": self.generation,
            "primary": self.primary,
            "min_decryption_version": self.min_decryption_version,
            "created": {str(v): t for v, t in sorted(self.created.items())},
            "destroyed_versions": sorted(self.destroyed_versions),
            "destroyed": self.destroyed,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> TenantMeta:
        """Parse, failing closed on anything unexpected."""
        try:
            doc = json.loads(raw)
            if doc["format"] != META_FORMAT:
                raise ValueError("format")
            return cls(
                tenant=str(doc["tenant"]),
                generation=int(doc["generation"]),
                primary=int(doc["primary"]),
                min_decryption_version=int(doc["min_decryption_version"]),
                created={int(v): float(t) for v, t in doc["created"].items()},
                destroyed_versions=frozenset(int(v) for v in doc["destroyed_versions"]),
                destroyed=bool(doc["destroyed"]),
            )
        except (ValueError, KeyError, TypeError):
            raise KeyUnavailable("the key metadata in the token cannot be read") from None

    def next(self, **changes: Any) -> TenantMeta:
        """Return the next generation with some fields changed."""
        return replace(self, generation=self.generation + 1, **changes)

    def check_usable(self) -> None:
        """Raise KeyDestroyed if the tenant's key was shredded."""
        if self.destroyed:
            raise KeyDestroyed("the tenant's key was destroyed")

    def info(self, backend: str) -> KeyInfo:
        """Describe the versions and their states."""
        versions = []
        for number, created_at in sorted(self.created.items()):
            if number in self.destroyed_versions:
                state = "destroyed"
            elif number < self.min_decryption_version:
                state = "retired"
            else:
                state = "active"
            versions.append(KeyVersion(number, created_at, state))
        return KeyInfo(
            self.tenant, backend, self.primary, self.min_decryption_version, tuple(versions)
        )
