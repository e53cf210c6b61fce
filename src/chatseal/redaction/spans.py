"""Findings, the detector contract, and how overlapping findings are settled."""

from __future__ import annotations

import time
from typing import NamedTuple, Protocol


class Span(NamedTuple):
    """One finding: `text[start:end]` is an `entity_type`, with a confidence `score`."""

    start: int
    end: int
    entity_type: str
    score: float


class Detector(Protocol):
    """Anything that finds spans of personal data in a text.

    `deadline` is a `time.monotonic()` value; a detector that cannot finish by then raises
    `TimeoutError`, and the caller fails closed (HARDENING.md, "PII patterns").
    """

    @property
    def entity_types(self) -> frozenset[str]:
        """The entity types this detector can report."""
        ...

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return every finding in `text`, in any order, possibly overlapping."""
        ...


def remaining(deadline: float) -> float:
    """Seconds left before `deadline`; raise `TimeoutError` when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("redaction time budget exhausted")
    return left


def resolve(spans: list[Span]) -> list[Span]:
    """Keep a non-overlapping subset, preferring higher scores, then longer spans.

    Overlaps are rare (a card number that also parses as a phone number), so a simple greedy
    pass over the best-first order is enough; the result is sorted by position.
    """
    if len(spans) < 2:
        return spans
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start - s.end, s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    kept.sort()
    return kept
