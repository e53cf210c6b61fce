"""Small, hashable descriptors of what a request acts on, and their Cedar entities.

Each descriptor names one entity of `schema.cedarschema.json`. They carry only what the policy
needs (tenant, classification, owner, consent flags, item role), never content. Items and prompt
material copy their conversation's attributes, so one entity answers a request without Cedar
having to load the conversation too; their Cedar parent is still the conversation, so custom
policies can say `resource in ChatSeal::Conversation::"conv_…"`.

Import this module whole (`from chatseal.policy import resources as res`): its names follow the
Cedar entity types and would shadow `chatseal.model.Conversation`.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from chatseal.errors import InvalidRequest
from chatseal.model import CLASSIFICATIONS

NAMESPACE = "ChatSeal"


def _check_text(value: object, param: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"'{param}' must be a non-empty string", param=param)
    return value


class Resource(Hashable, Protocol):
    """What the decision point needs from any resource descriptor."""

    ENTITY_TYPE: ClassVar[str]

    @property
    def tenant(self) -> str:
        """The tenant that owns the resource."""
        ...

    @property
    def entity_id(self) -> str:
        """The Cedar entity id (unique within its type for one request)."""
        ...

    @property
    def conversation_id(self) -> str | None:
        """The conversation the resource belongs to, if any (break-glass scopes use it)."""
        ...

    def attrs(self) -> dict[str, Any]:
        """The Cedar attributes, as JSON values."""
        ...

    def parents(self) -> list[dict[str, str]]:
        """The Cedar parents, as JSON entity uids."""
        ...


@dataclass(frozen=True)
class _TenantLevel:
    """A resource that belongs to a tenant and carries nothing else the policy needs."""

    ENTITY_TYPE: ClassVar[str] = ""

    tenant: str
    id: str = ""

    def __post_init__(self) -> None:
        _check_text(self.tenant, "tenant")

    @property
    def entity_id(self) -> str:
        """The tenant (and the id, when given)."""
        return f"{self.tenant}/{self.id}" if self.id else self.tenant

    @property
    def conversation_id(self) -> str | None:
        """Tenant-level resources belong to no conversation."""
        return None

    def attrs(self) -> dict[str, Any]:
        """Only the tenant."""
        return {"tenant": self.tenant}

    def parents(self) -> list[dict[str, str]]:
        """No parents."""
        return []


@dataclass(frozen=True)
class Tenant(_TenantLevel):
    """The tenant itself (retention runs, break-glass requests)."""

    ENTITY_TYPE: ClassVar[str] = "Tenant"


@dataclass(frozen=True)
class AuditLog(_TenantLevel):
    """The tenant's audit log."""

    ENTITY_TYPE: ClassVar[str] = "AuditLog"


@dataclass(frozen=True)
class Key(_TenantLevel):
    """The tenant's key (KEK) or one of its versions."""

    ENTITY_TYPE: ClassVar[str] = "Key"


@dataclass(frozen=True)
class Backup(_TenantLevel):
    """A backup of the tenant (id empty for one not yet made)."""

    ENTITY_TYPE: ClassVar[str] = "Backup"


@dataclass(frozen=True)
class PolicySet:
    """The tenant's policy, or one version of it (`author` set when approving that version)."""

    ENTITY_TYPE: ClassVar[str] = "PolicySet"

    tenant: str
    version_id: str = ""
    author: str = ""

    def __post_init__(self) -> None:
        _check_text(self.tenant, "tenant")

    @property
    def entity_id(self) -> str:
        """The tenant and version."""
        return f"{self.tenant}/{self.version_id}"

    @property
    def conversation_id(self) -> str | None:
        """Policies belong to no conversation."""
        return None

    def attrs(self) -> dict[str, Any]:
        """Tenant and author."""
        return {"tenant": self.tenant, "author": self.author}

    def parents(self) -> list[dict[str, str]]:
        """No parents."""
        return []


@dataclass(frozen=True)
class BreakGlassRequest:
    """A break-glass request, as the resource of `breakglass.approve`."""

    ENTITY_TYPE: ClassVar[str] = "BreakGlassRequest"

    tenant: str
    id: str
    requester_tenant: str
    requester: str

    def __post_init__(self) -> None:
        for name in ("tenant", "id", "requester_tenant", "requester"):
            _check_text(getattr(self, name), name)

    @property
    def entity_id(self) -> str:
        """The request id."""
        return self.id

    @property
    def conversation_id(self) -> str | None:
        """Requests belong to no conversation."""
        return None

    def attrs(self) -> dict[str, Any]:
        """Target tenant and requester."""
        return {
            "tenant": self.tenant,
            "requester": self.requester,
            "requester_tenant": self.requester_tenant,
        }

    def parents(self) -> list[dict[str, str]]:
        """No parents."""
        return []


@dataclass(frozen=True)
class Conversation:
    """A conversation: tenant, classification tier, owner and consent flags."""

    ENTITY_TYPE: ClassVar[str] = "Conversation"

    tenant: str
    id: str
    classification: str = "internal"
    owner_subject: str | None = None
    consents: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _check_text(self.tenant, "tenant")
        _check_text(self.id, "id")
        if self.classification not in CLASSIFICATIONS:
            raise InvalidRequest(
                "classification must be one of " + ", ".join(CLASSIFICATIONS),
                param="classification",
            )
        if not isinstance(self.consents, frozenset):
            raise InvalidRequest("consents must be a frozenset of strings", param="consents")

    @property
    def entity_id(self) -> str:
        """The conversation id."""
        return self.id

    @property
    def conversation_id(self) -> str | None:
        """Itself."""
        return self.id

    def attrs(self) -> dict[str, Any]:
        """Tenant, classification, owner ("" for none) and sorted consent flags."""
        return {
            "tenant": self.tenant,
            "classification": self.classification,
            "owner": self.owner_subject or "",
            "consents": sorted(self.consents),
        }

    def parents(self) -> list[dict[str, str]]:
        """No parents."""
        return []

    def uid(self) -> dict[str, str]:
        """The Cedar uid, for children's parent lists."""
        return {"type": f"{NAMESPACE}::{self.ENTITY_TYPE}", "id": self.id}


@dataclass(frozen=True)
class Item:
    """An item of a conversation; `role` is the message role ("" for non-message items)."""

    ENTITY_TYPE: ClassVar[str] = "Item"

    conversation: Conversation
    id: str
    role: str = ""
    type: str = "message"

    def __post_init__(self) -> None:
        _check_text(self.id, "id")

    @property
    def tenant(self) -> str:
        """The conversation's tenant."""
        return self.conversation.tenant

    @property
    def entity_id(self) -> str:
        """The item id."""
        return self.id

    @property
    def conversation_id(self) -> str | None:
        """The conversation's id."""
        return self.conversation.id

    def attrs(self) -> dict[str, Any]:
        """The conversation's attributes plus role and type."""
        return {**self.conversation.attrs(), "role": self.role, "type": self.type}

    def parents(self) -> list[dict[str, str]]:
        """The conversation."""
        return [self.conversation.uid()]


@dataclass(frozen=True)
class PromptMaterial:
    """The system and developer prompts of a conversation (their own namespace and key)."""

    ENTITY_TYPE: ClassVar[str] = "PromptMaterial"

    conversation: Conversation

    @property
    def tenant(self) -> str:
        """The conversation's tenant."""
        return self.conversation.tenant

    @property
    def entity_id(self) -> str:
        """Derived from the conversation id."""
        return f"{self.conversation.id}/prompts"

    @property
    def conversation_id(self) -> str | None:
        """The conversation's id."""
        return self.conversation.id

    def attrs(self) -> dict[str, Any]:
        """The conversation's attributes."""
        return self.conversation.attrs()

    def parents(self) -> list[dict[str, str]]:
        """The conversation."""
        return [self.conversation.uid()]


def entity(resource: Resource) -> dict[str, Any]:
    """Return the Cedar JSON entity of a resource descriptor."""
    return {
        "uid": {"type": f"{NAMESPACE}::{resource.ENTITY_TYPE}", "id": resource.entity_id},
        "attrs": resource.attrs(),
        "parents": resource.parents(),
    }


RESOURCE_TYPES: dict[str, type[Any]] = {
    cls.ENTITY_TYPE: cls
    for cls in (
        Tenant,
        AuditLog,
        Key,
        Backup,
        PolicySet,
        BreakGlassRequest,
        Conversation,
        Item,
        PromptMaterial,
    )
}
