"""The eight endpoints of the OpenAI Conversations API, as thin calls into `Session`.

Paths, parameters, defaults and shapes follow OpenAI's reference and the `openai` SDK:
`include` arrives as `include[]=…` (the SDK's bracket array format), `limit` is 1–100 (default 20),
`order` is asc|desc (default desc), `after` is an item id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.datastructures import QueryParams

from chatseal.errors import InvalidRequest, NotFound
from chatseal.service import Session

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
INCLUDABLE = frozenset(
    {
        "file_search_call.results",
        "web_search_call.results",
        "web_search_call.action.sources",
        "message.input_image.image_url",
        "computer_call_output.output.image_url",
        "code_interpreter_call.outputs",
        "reasoning.encrypted_content",
        "message.output_text.logprobs",
    }
)
MAX_INCLUDE = 16


def conversation_missing(conversation_id: str) -> NotFound:
    """The one answer for a conversation that is missing, invisible, or another tenant's."""
    shown = conversation_id if ID_PATTERN.fullmatch(conversation_id) else "(invalid id)"
    return NotFound(f"Conversation with id '{shown}' not found.")


def item_missing(item_id: str) -> NotFound:
    """The one answer for an item that is not in the conversation."""
    shown = item_id if ID_PATTERN.fullmatch(item_id) else "(invalid id)"
    return NotFound(f"Item with id '{shown}' not found.")


def _unknown(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in body:
        if key not in allowed:
            raise InvalidRequest(
                f"Unknown parameter: '{key[:64]}'.", param=key[:64], code="unknown_parameter"
            )


def _check_query(query: QueryParams, allowed: frozenset[str]) -> None:
    for key in query:
        if key not in allowed:
            raise InvalidRequest(
                f"Unknown parameter: '{key[:64]}'.", param=key[:64], code="unknown_parameter"
            )


def _include(query: QueryParams) -> list[str]:
    values = query.getlist("include[]") + query.getlist("include")
    if len(values) > MAX_INCLUDE or any(v not in INCLUDABLE for v in values):
        raise InvalidRequest("'include' holds an unsupported value", param="include")
    return values


def _conversation_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise conversation_missing(value)
    return value


def _item_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise item_missing(value)
    return value


def _limit(query: QueryParams) -> int:
    raw = query.get("limit")
    if raw is None:
        return 20
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= 100:
        raise InvalidRequest("'limit' must be an integer between 1 and 100", param="limit")
    return int(raw)


def _order(query: QueryParams) -> str:
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequest("'order' must be 'asc' or 'desc'", param="order")
    return order


@contextmanager
def _scoped(conversation_id: str, item_id: str | None = None) -> Iterator[None]:
    """Map the library's NotFound to the one answer for this path, whatever its cause was."""
    try:
        yield
    except NotFound as exc:
        if item_id is not None and exc.param == "item_id":
            raise item_missing(item_id) from None
        raise conversation_missing(conversation_id) from None


BODY_CREATE = frozenset({"items", "metadata"})
BODY_UPDATE = frozenset({"metadata"})
BODY_ITEMS = frozenset({"items"})
QUERY_NONE: frozenset[str] = frozenset()
QUERY_INCLUDE = frozenset({"include", "include[]"})
QUERY_LIST = frozenset({"include", "include[]", "after", "limit", "order"})


def create_conversation(
    session: Session, _: dict[str, str], query: QueryParams, body: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/conversations."""
    _check_query(query, QUERY_NONE)
    _unknown(body, BODY_CREATE)
    items = body.get("items")
    return session.conversations.create(items=items, metadata=body.get("metadata")).to_dict()


def retrieve_conversation(
    session: Session, path: dict[str, str], query: QueryParams, _: dict[str, Any]
) -> dict[str, Any]:
    """GET /v1/conversations/{conversation_id}."""
    _check_query(query, QUERY_NONE)
    conversation_id = _conversation_id(path["conversation_id"])
    with _scoped(conversation_id):
        return session.conversations.retrieve(conversation_id).to_dict()


def update_conversation(
    session: Session, path: dict[str, str], query: QueryParams, body: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/conversations/{conversation_id}: replace the metadata."""
    _check_query(query, QUERY_NONE)
    conversation_id = _conversation_id(path["conversation_id"])
    _unknown(body, BODY_UPDATE)
    if "metadata" not in body:
        raise InvalidRequest(
            "Missing required parameter: 'metadata'.",
            param="metadata",
            code="missing_required_parameter",
        )
    with _scoped(conversation_id):
        return session.conversations.update(conversation_id, metadata=body["metadata"]).to_dict()


def delete_conversation(
    session: Session, path: dict[str, str], query: QueryParams, _: dict[str, Any]
) -> dict[str, Any]:
    """DELETE /v1/conversations/{conversation_id}."""
    _check_query(query, QUERY_NONE)
    conversation_id = _conversation_id(path["conversation_id"])
    with _scoped(conversation_id):
        return session.conversations.delete(conversation_id).to_dict()


def create_items(
    session: Session, path: dict[str, str], query: QueryParams, body: dict[str, Any]
) -> dict[str, Any]:
    """POST /v1/conversations/{conversation_id}/items."""
    _check_query(query, QUERY_INCLUDE)
    _include(query)
    conversation_id = _conversation_id(path["conversation_id"])
    _unknown(body, BODY_ITEMS)
    if "items" not in body:
        raise InvalidRequest(
            "Missing required parameter: 'items'.", param="items", code="missing_required_parameter"
        )
    with _scoped(conversation_id):
        return session.conversations.items.create(conversation_id, items=body["items"]).to_dict()


def list_items(
    session: Session, path: dict[str, str], query: QueryParams, _: dict[str, Any]
) -> bytes:
    """GET /v1/conversations/{conversation_id}/items."""
    _check_query(query, QUERY_LIST)
    include = _include(query)
    limit, order = _limit(query), _order(query)
    after = query.get("after") or None
    if after is not None and not ID_PATTERN.fullmatch(after):
        raise InvalidRequest("'after' is not an item id", param="after")
    conversation_id = _conversation_id(path["conversation_id"])
    with _scoped(conversation_id):
        # The page's JSON straight from the opened records: no parse and re-serialise per item.
        return session.conversations.items.list_json(
            conversation_id, after=after, limit=limit, order=order, include=include
        )


def retrieve_item(
    session: Session, path: dict[str, str], query: QueryParams, _: dict[str, Any]
) -> dict[str, Any]:
    """GET /v1/conversations/{conversation_id}/items/{item_id}."""
    _check_query(query, QUERY_INCLUDE)
    _include(query)
    conversation_id = _conversation_id(path["conversation_id"])
    item_id = _item_id(path["item_id"])
    with _scoped(conversation_id, item_id):
        return session.conversations.items.retrieve(item_id, conversation_id=conversation_id)


def delete_item(
    session: Session, path: dict[str, str], query: QueryParams, _: dict[str, Any]
) -> dict[str, Any]:
    """DELETE /v1/conversations/{conversation_id}/items/{item_id}: returns the conversation."""
    _check_query(query, QUERY_NONE)
    conversation_id = _conversation_id(path["conversation_id"])
    item_id = _item_id(path["item_id"])
    with _scoped(conversation_id, item_id):
        return session.conversations.items.delete(
            item_id, conversation_id=conversation_id
        ).to_dict()
