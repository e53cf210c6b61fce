"""A structlog processor that keeps message content and personal data out of logs.

Put it last before the renderer (after `format_exc_info`, so tracebacks are scrubbed too):

    structlog.configure(processors=[..., structlog.processors.format_exc_info,
                                    ScrubProcessor(), structlog.processors.JSONRenderer()])

Content fields (`content`, `text`, `arguments`, …) are dropped whole: logs never need them.
Every other string, at any depth, is scanned and its findings replaced (`<EMAIL_ADDRESS>`).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from chatseal.redaction.redactor import Redactor

CONTENT_KEYS: frozenset[str] = frozenset(
    {
        "content", "text", "arguments", "output", "input", "instructions", "prompt", "prompts",
        "messages", "message_content", "items", "body", "completion", "transcript",
    }
)  # fmt: skip
# Keys that are structure, not free text: left as they are so logs stay useful.
KEEP_KEYS: frozenset[str] = frozenset({"timestamp", "level", "logger", "logger_name"})
_MAX_DEPTH = 8
# Log lines are short; a longer field is cut before scanning rather than withheld whole.
_MAX_LOG_CHARS = 8_192


class ScrubProcessor:
    """structlog processor: drop content fields, redact personal data in all other strings."""

    def __init__(
        self, redactor: Redactor | None = None, *, drop: Iterable[str] = CONTENT_KEYS
    ) -> None:
        self._redactor = redactor or Redactor("redact", time_budget=0.25)
        self._drop = frozenset(drop)

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Return the scrubbed event (structlog's processor signature)."""
        for key in [k for k in event_dict if k in self._drop]:
            del event_dict[key]
        for key, value in list(event_dict.items()):
            if key not in KEEP_KEYS:
                event_dict[key] = self._scrub(value, 0)
        return event_dict

    def _scrub(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            if len(value) > _MAX_LOG_CHARS:
                value = value[:_MAX_LOG_CHARS] + "…[truncated]"
            return self._redactor.redact_text(value).text
        if depth >= _MAX_DEPTH:
            return "<UNSCANNED_TEXT>" if isinstance(value, dict | list | tuple) else value
        if isinstance(value, dict):
            return {k: self._scrub(v, depth + 1) for k, v in value.items() if k not in self._drop}
        if isinstance(value, list | tuple):
            return [self._scrub(v, depth + 1) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        # Anything else (exceptions, objects) is rendered by structlog via str(): scrub that.
        return self._redactor.redact_text(str(value)[:_MAX_LOG_CHARS]).text
