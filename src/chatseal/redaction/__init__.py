"""PII detection and redaction: a pure layer (no store, no keys, no I/O).

Redactor(mode, names=..., secret=...)   one tenant's redactor
  .redact_text(text) -> Redaction        text, counts per entity type, tokens (pseudonymize)
  .redact_item(item) -> RedactedItem     a Conversations item, its summary, its tokens
ScrubProcessor                           structlog processor (chatseal.redaction.logging)
load_ner(path, sha256)                   an optional, hash-pinned spaCy NER detector
"""

from __future__ import annotations

from chatseal.redaction.items import RedactedItem, redact_item
from chatseal.redaction.ner import NerDetector, load_ner, model_digest
from chatseal.redaction.operators import Mode
from chatseal.redaction.redactor import UNSCANNED, Redaction, Redactor, build_detectors
from chatseal.redaction.spans import Detector, Span

__all__ = [
    "UNSCANNED",
    "Detector",
    "Mode",
    "NerDetector",
    "RedactedItem",
    "Redaction",
    "Redactor",
    "Span",
    "build_detectors",
    "load_ner",
    "model_digest",
    "redact_item",
]
