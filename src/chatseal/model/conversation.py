"""Conversations in the shape of the OpenAI Conversations API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatseal.errors import InvalidRequest

CLASSIFICATIONS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
MAX_METADATA_KEYS = 16
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_VALUE_CHARS = 512


def validate_metadata(metadata: object, *, param: str = "metadata") -> dict[str, str]:
    """Check OpenAI's metadata limits: ≤ 16 string pairs, keys ≤ 64 chars, values ≤ 512 chars."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidRequest("metadata must be an object of string keys and values", param=param)
    if len(metadata) > MAX_METADATA_KEYS:
        raise InvalidRequest(f"metadata has at most {MAX_METADATA_KEYS} keys", param=param)
    clean: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidRequest("metadata keys and values must be strings", param=param)
        if not key or len(key) > MAX_METADATA_KEY_CHARS:
            raise InvalidRequest(
                f"metadata keys are 1-{MAX_METADATA_KEY_CHARS} characters", param=param
            )
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise InvalidRequest(
                f"metadata values are at most {MAX_METADATA_VALUE_CHARS} characters", param=param
            )
        clean[key] = value
    return clean


def validate_classification(tier: object) -> str:
    """Return the tier if it is one of the four classification tiers."""
    if tier not in CLASSIFICATIONS:
        raise InvalidRequest(
            "classification must be one of " + ", ".join(CLASSIFICATIONS), param="classification"
        )
    assert isinstance(tier, str)
    return tier


@dataclass(frozen=True)
class Conversation:
    """A conversation: the OpenAI fields plus ChatSeal's owner and classification."""

    id: str
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)
    classification: str = "internal"
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI `conversation` object."""
        return {
            "id": self.id,
            "object": "conversation",
            "created_at": self.created_at,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class ConversationDeleted:
    """The answer to a conversation delete, as OpenAI shapes it."""

    id: str
    deleted: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI `conversation.deleted` object."""
        return {"id": self.id, "object": "conversation.deleted", "deleted": self.deleted}
