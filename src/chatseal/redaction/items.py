"""Redact OpenAI Conversations items before they are sealed.

What is scanned: the `text` of message content parts (and `refusal`), a function call's
`arguments` (a JSON string: each value inside is redacted and the JSON re-encoded; text that is
not JSON is redacted as text), a function call output's `output` (a string, JSON or not, or a
list of content parts), and the same free-text keys in items of any other type. Ids, types,
roles, statuses, call ids and tool names are structure and are kept. Binary payloads
(`image_url`, `file_data`) are not text and are left to the policy on attachments.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatseal.redaction.redactor import Redactor

_TEXT_KEYS = frozenset({"text", "content", "output", "arguments", "refusal", "summary", "input"})
_JSON_KEYS = frozenset({"arguments", "output"})
_MAX_DEPTH = 32


@dataclass(frozen=True)
class RedactedItem:
    """A redacted item, `{entity_type: count}` for its metadata, and token -> original pairs."""

    item: dict[str, Any]
    summary: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict, repr=False)


class _Walk:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.counts: Counter[str] = Counter()
        self.tokens: dict[str, str] = {}

    def text(self, value: str) -> str:
        result = self.redactor.redact_text(value)
        self.counts.update(result.counts)
        self.tokens.update(result.tokens)
        return result.text

    def json_text(self, value: str) -> str:
        """Redact the values inside a JSON document; redact it as text if it is not JSON."""
        try:
            document = json.loads(value)
        except (ValueError, RecursionError):
            return self.text(value)
        before = sum(self.counts.values())
        redacted = self.values(document, 0)
        if sum(self.counts.values()) == before:
            return value  # nothing found: keep the caller's exact bytes
        return json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))

    def values(self, node: Any, depth: int) -> Any:
        """Redact every string (and integer that reads as personal data) in a JSON value."""
        if depth > _MAX_DEPTH:
            return self.text(json.dumps(node)[: self.redactor.max_chars + 1])
        if isinstance(node, str):
            return self.text(node)
        if isinstance(node, int) and not isinstance(node, bool):
            return self.number(node)
        if isinstance(node, list):
            return [self.values(v, depth + 1) for v in node]
        if isinstance(node, dict):
            return {k: self.values(v, depth + 1) for k, v in node.items()}
        return node

    def number(self, node: int) -> int | str:
        """An integer stays an integer unless it reads as personal data (a card, a phone)."""
        result = self.redactor.redact_text(str(node))
        if not result.counts:
            return node
        self.counts.update(result.counts)
        self.tokens.update(result.tokens)
        return result.text

    def fields(self, node: Any, depth: int) -> Any:
        """Redact the free-text keys of an item (or part), recursing into nested parts."""
        if depth > _MAX_DEPTH:
            return self.values(node, depth)
        if isinstance(node, list):
            return [self.fields(v, depth + 1) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if isinstance(value, str) and key in _TEXT_KEYS:
                out[key] = self.json_text(value) if key in _JSON_KEYS else self.text(value)
            elif isinstance(value, dict | list) and key in _TEXT_KEYS:
                out[key] = self.fields(value, depth + 1)
            else:
                out[key] = value
        return out


def redact_item(redactor: Redactor, item: Mapping[str, Any]) -> RedactedItem:
    """Return a redacted copy of `item`, its `{entity_type: count}` summary and its tokens."""
    walk = _Walk(redactor)
    redacted = walk.fields(dict(item), 0)
    return RedactedItem(redacted, dict(walk.counts), walk.tokens)
