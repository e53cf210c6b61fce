"""Who is asking: the tenant always comes from the credential, never from the request."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated caller inside one tenant."""

    tenant: str
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    credential_kind: str = "library"
    clearance: str | None = None

    @classmethod
    def of(
        cls,
        tenant: str,
        subject: str,
        *roles: str,
        purpose: str | None = None,
        credential_kind: str = "library",
    ) -> Principal:
        """Build a principal with the given roles (a convenience for library users)."""
        return cls(
            tenant=tenant,
            subject=subject,
            roles=frozenset(roles),
            purpose=purpose,
            credential_kind=credential_kind,
        )
