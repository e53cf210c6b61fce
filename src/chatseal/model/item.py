"""Conversation items in the shapes of the OpenAI Conversations API.

Messages (`msg_…`), function calls (`fc_…`) and their outputs (`fco_…`) are validated and
normalised; any other item type is kept whole (it is sealed as JSON like the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatseal.errors import InvalidRequest

MESSAGE_ROLES: frozenset[str] = frozenset({"user", "assistant", "system", "developer", "tool"})
PROMPT_ROLES: frozenset[str] = frozenset({"system", "developer"})
ITEM_STATUSES: frozenset[str] = frozenset({"in_progress", "completed", "incomplete"})
ITEM_ID_PREFIXES: dict[str, str] = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text", "summary_text", "reasoning_text"})
MAX_ITEM_TYPE_CHARS = 64
MAX_ID_CHARS = 128


def _require_str(obj: dict[str, Any], key: str, param: str, *, allow_empty: bool = True) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or (not allow_empty and not value):
        raise InvalidRequest(f"'{key}' must be a string", param=f"{param}.{key}")
    return value


def _content_parts(role: str, content: object, param: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        # OpenAI's EasyInputMessage: a bare string is a single text part.
        kind = "output_text" if role == "assistant" else "input_text"
        part: dict[str, Any] = {"type": kind, "text": content}
        if kind == "output_text":
            part["annotations"] = []
        return [part]
    if not isinstance(content, list):
        raise InvalidRequest("'content' must be a string or a list of parts", param=param)
    parts: list[dict[str, Any]] = []
    for index, raw in enumerate(content):
        where = f"{param}[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise InvalidRequest("each content part must be an object with a 'type'", param=where)
        if raw["type"] in _TEXT_PARTS and not isinstance(raw.get("text"), str):
            raise InvalidRequest("a text part needs a string 'text'", param=f"{where}.text")
        parts.append(dict(raw))
    return parts


def _message(raw: dict[str, Any], param: str) -> dict[str, Any]:
    role = raw.get("role")
    if not isinstance(role, str) or role not in MESSAGE_ROLES:
        raise InvalidRequest(
            "'role' must be one of " + ", ".join(sorted(MESSAGE_ROLES)), param=f"{param}.role"
        )
    if "content" not in raw:
        raise InvalidRequest("a message needs 'content'", param=f"{param}.content")
    item = dict(raw)
    item["type"] = "message"
    item["content"] = _content_parts(str(role), raw["content"], f"{param}.content")
    return item


def _function_call(raw: dict[str, Any], param: str) -> dict[str, Any]:
    _require_str(raw, "call_id", param, allow_empty=False)
    _require_str(raw, "name", param, allow_empty=False)
    _require_str(raw, "arguments", param)
    return dict(raw)


def _function_call_output(raw: dict[str, Any], param: str) -> dict[str, Any]:
    _require_str(raw, "call_id", param, allow_empty=False)
    output = raw.get("output")
    if not isinstance(output, str | list):
        raise InvalidRequest("'output' must be a string or a list", param=f"{param}.output")
    return dict(raw)


_NORMALISERS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "message": _message,
    "function_call": _function_call,
    "function_call_output": _function_call_output,
}


def normalise_item(
    raw: object, new_id: Callable[[str], str], *, param: str = "items"
) -> dict[str, Any]:
    """Validate one input item and return it with an id, a type and a status.

    A message given without `type` (OpenAI's EasyInputMessage) is a message. Client-supplied ids
    are ignored: ids are ours, from the CSPRNG, so they cannot collide or be guessed.
    """
    if not isinstance(raw, dict):
        raise InvalidRequest("each item must be an object", param=param)
    kind = raw.get("type", "message" if "role" in raw else None)
    if not isinstance(kind, str) or not kind or len(kind) > MAX_ITEM_TYPE_CHARS:
        raise InvalidRequest("each item needs a 'type'", param=f"{param}.type")
    normaliser = _NORMALISERS.get(kind)
    item = normaliser(raw, param) if normaliser else dict(raw)
    item["type"] = kind
    status = item.get("status", "completed")
    if not isinstance(status, str) or status not in ITEM_STATUSES:
        raise InvalidRequest(
            "'status' must be one of " + ", ".join(sorted(ITEM_STATUSES)), param=f"{param}.status"
        )
    item["status"] = status
    prefix = ITEM_ID_PREFIXES.get(kind, "item")
    item.pop("id", None)
    # OpenAI's field order: id, type, status first, then the type's own fields.
    return {"id": new_id(prefix), "type": kind, "status": item.pop("status"), **item}


@dataclass(frozen=True)
class ItemList:
    """A page of items: OpenAI's `list` object."""

    data: list[dict[str, Any]] = field(default_factory=list)
    has_more: bool = False

    @property
    def first_id(self) -> str | None:
        """The id of the first item on the page."""
        return self.data[0]["id"] if self.data else None

    @property
    def last_id(self) -> str | None:
        """The id of the last item on the page."""
        return self.data[-1]["id"] if self.data else None

    def to_dict(self) -> dict[str, Any]:
        """Return the OpenAI `list` object."""
        return {
            "object": "list",
            "data": list(self.data),
            "first_id": self.first_id,
            "last_id": self.last_id,
            "has_more": self.has_more,
        }
