"""The structlog processor: content dropped, PII scrubbed, in a real structlog pipeline."""

from __future__ import annotations

import json

import structlog

from chatseal.redaction.logging import ScrubProcessor


def test_scrub_in_structlog_pipeline() -> None:
    """A logged event keeps no content field and no PII in any string, at any depth."""
    lines: list[str] = []
    logger = structlog.wrap_logger(
        None,
        processors=[
            structlog.processors.format_exc_info,
            ScrubProcessor(),
            structlog.processors.JSONRenderer(),
            lambda _l, _m, rendered: lines.append(rendered) or rendered,
        ],
        wrapper_class=structlog.BoundLogger,
    )
    try:
        raise ValueError("bad card 4111 1111 1111 1111")
    except ValueError:
        logger.error(
            "login failed for anna@example.org",
            content="CANARY-CONTENT",
            detail={"ip": "203.0.113.9", "nested": ["call +44 20 7946 0958"]},
            status=401,
            exc_info=True,
        )
    event = json.loads(lines[0].split("\n")[0]) if lines else {}
    text = lines[0] if lines else ""
    assert "CANARY-CONTENT" not in text and "content" not in event
    for secret in ("anna@example.org", "203.0.113.9", "7946 0958", "4111 1111"):
        assert secret not in text
    assert event["event"] == "login failed for <EMAIL_ADDRESS>"
    assert event["status"] == 401 and "<CREDIT_CARD>" in event["exception"]
