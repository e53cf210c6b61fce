"""The `KeyManager` Protocol: one interface for every KMS/HSM backend.

A backend holds per-tenant key-encryption keys (KEKs), versioned v1, v2, …, which never leave it.
ChatSeal asks it to generate, wrap, unwrap and rewrap data keys (DEKs) and to manage the KEK
lifecycle. `context` is associated data bound into every wrap (tenant, conversation, namespace),
so a wrapped data key moved to another conversation fails to unwrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable


class WrappedKey(NamedTuple):
    """A data key as the store keeps it: the KEK version that wrapped it and the opaque blob (a
    named tuple: one is built for every data key a request uses)."""

    kek_version: int
    blob: bytes

    def __repr__(self) -> str:
        return f"WrappedKey(kek_version={self.kek_version}, blob=<{len(self.blob)} bytes>)"


@dataclass(frozen=True)
class KeyVersion:
    """One KEK version and its state: `active`, `retired` (below the minimum) or `destroyed`."""

    version: int
    created_at: float
    state: str = "active"


@dataclass(frozen=True)
class KeyInfo:
    """What a backend can say about a tenant's KEK, with nothing secret in it."""

    tenant: str
    backend: str
    primary_version: int
    min_decryption_version: int
    versions: tuple[KeyVersion, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "tenant": self.tenant,
            "backend": self.backend,
            "primary_version": self.primary_version,
            "min_decryption_version": self.min_decryption_version,
            "versions": [
                {"version": v.version, "created_at": v.created_at, "state": v.state}
                for v in self.versions
            ],
        }


@runtime_checkable
class KeyManager(Protocol):
    """A KMS or HSM holding per-tenant KEKs. Every backend passes `tests/keys/contract.py`."""

    scheme: str

    def create_tenant_key(self, tenant: str) -> KeyInfo:
        """Create version 1 of a tenant's KEK; Conflict if the tenant already has one."""
        ...

    def generate_data_key(self, tenant: str, context: bytes) -> tuple[bytes, WrappedKey]:
        """Return a fresh 32-byte data key and its wrapping under the primary KEK version."""
        ...

    def wrap(self, tenant: str, data_key: bytes, context: bytes) -> WrappedKey:
        """Wrap an existing data key under the primary KEK version."""
        ...

    def unwrap(self, tenant: str, wrapped: WrappedKey, context: bytes) -> bytes:
        """Return the data key; IntegrityError if it does not open under `context`.

        KeyVersionRetired below the minimum decryption version, KeyDestroyed for a destroyed
        version or tenant, KeyUnavailable when the backend cannot be reached: fail closed.
        """
        ...

    def rewrap(self, tenant: str, batch: Sequence[tuple[WrappedKey, bytes]]) -> list[WrappedKey]:
        """Move each (wrapped key, context) to the primary version, in the backend if it can."""
        ...

    def rotate(self, tenant: str) -> KeyInfo:
        """Make a new KEK version primary."""
        ...

    def retire(self, tenant: str, min_decryption_version: int) -> KeyInfo:
        """Refuse to unwrap under versions below `min_decryption_version` from now on."""
        ...

    def destroy(self, tenant: str, version: int | None = None) -> None:
        """Destroy one KEK version, or with no version the tenant's whole key (crypto-shred)."""
        ...

    def describe(self, tenant: str) -> KeyInfo:
        """Return the tenant's key versions and their states."""
        ...

    def ping(self) -> None:
        """Raise KeyUnavailable unless the backend answers (for readiness probes)."""
        ...

    def close(self) -> None:
        """Release connections and sessions."""
        ...
