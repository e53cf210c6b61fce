"""Structured JSON logs (structlog) for a serving process, every record scrubbed.

Every log record, ChatSeal's own and uvicorn's alike, goes through one pipeline: level, logger,
UTC timestamp, then `ScrubProcessor` (content fields dropped, personal data in every other string
redacted, tracebacks included), then one JSON line on stderr.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from chatseal.errors import MissingExtra
from chatseal.redaction.logging import ScrubProcessor

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def configure_logging(level: str = "info", stream: TextIO | None = None) -> None:
    """Route every log record through the scrubbing JSON pipeline."""
    try:
        import structlog
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingExtra("redaction", "structured logs") from None
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            ScrubProcessor(),
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        # uvicorn's loggers hand their records to the root handler instead of printing them.
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
