"""Serving logs are JSON lines with content dropped and personal data redacted, for ChatSeal's
own records and uvicorn's alike."""

from __future__ import annotations

import io
import json
import logging

import structlog

from chatseal.observability.logs import configure_logging


def test_records_are_scrubbed_json() -> None:
    """An email in a message, a content field and a traceback never reach the stream in clear."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("info", stream)
        logging.getLogger("uvicorn.access").info("%s - %s", "127.0.0.1", "mail bob@example.com")
        structlog.get_logger("chatseal").info(
            "appended", content="SECRET-CONTENT-1", note="call +44 20 7946 0958"
        )
        try:
            raise ValueError("failed for carol@example.org")
        except ValueError:
            logging.getLogger("chatseal").exception("boom")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    assert len(lines) == 3
    assert {line["logger"] for line in lines} >= {"uvicorn.access", "chatseal"}
    for secret in ("bob@example.com", "SECRET-CONTENT-1", "7946 0958", "carol@example.org"):
        assert secret not in text
    assert "<EMAIL_ADDRESS>" in text
