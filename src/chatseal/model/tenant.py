"""Tenants: the unit of isolation, each with its own keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chatseal.errors import InvalidRequest

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def validate_tenant_name(name: str) -> str:
    """Return the name if it is 1–63 of a-z, 0-9, '_' and '-', starting with a letter or digit."""
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise InvalidRequest(
            "tenant names are 1-63 characters of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit",
            param="tenant",
        )
    return name


@dataclass(frozen=True)
class Tenant:
    """A tenant as the service sees it (no key material)."""

    id: str
    name: str
    created_at: int
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape the CLI prints."""
        return {
            "id": self.id,
            "object": "tenant",
            "name": self.name,
            "created_at": self.created_at,
            "settings": dict(self.settings),
        }
