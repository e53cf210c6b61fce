"""The Redactor: find personal data in text and replace it according to a mode.

Fail closed (HARDENING.md, "PII patterns"): a field longer than `max_chars`, or one whose scan
does not finish within `time_budget` seconds, is replaced whole by `<UNSCANNED_TEXT>` and counted
in `fail_closed_total`. Nothing unscanned ever passes through.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from chatseal.errors import ConfigError
from chatseal.redaction.names import NameRecognizer
from chatseal.redaction.operators import DEFAULT_TOKEN_HEX, Mode, mask, pseudonym
from chatseal.redaction.recognizers import PHONE_REGIONS, PatternSet, default_recognizers
from chatseal.redaction.spans import Detector, Span, resolve

UNSCANNED = "UNSCANNED_TEXT"
# One item may be up to 1 MiB (config `limits.max_item_bytes`); a field is never longer.
DEFAULT_MAX_CHARS = 1_048_576
DEFAULT_TIME_BUDGET = 1.0
MIN_SECRET_BYTES = 32
Engine = Literal["fast", "presidio"]


@dataclass(frozen=True)
class Redaction:
    """The redacted text, counts per entity type, and (pseudonymize only) token -> original.

    `repr()` shows counts only: `tokens` holds originals and must go nowhere but the vault.
    """

    text: str
    counts: Mapping[str, int] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    fail_closed: bool = False

    def __repr__(self) -> str:
        return f"Redaction(counts={dict(self.counts)!r}, fail_closed={self.fail_closed})"


def build_detectors(
    names: Iterable[str] = (),
    *,
    phone_regions: tuple[str, ...] = PHONE_REGIONS,
    extra: Sequence[Detector] = (),
) -> list[Detector]:
    """ChatSeal's detectors: the pattern recognizers, the name recognizer, then `extra`."""
    detectors: list[Detector] = [
        PatternSet(default_recognizers(phone_regions)),
        NameRecognizer(names),
    ]
    detectors.extend(extra)
    return detectors


class Redactor:
    """Detect and replace personal data in text, in one mode, for one tenant.

    `secret` (≥ 32 bytes, per tenant, from the caller's key store) is required for
    `pseudonymize`. `engine="presidio"` runs the same detectors through Presidio's
    `AnalyzerEngine` (slower, same findings); `extra` adds detectors such as a pinned NER model
    (`ner.load_ner`). `entities`, when given, limits what is reported.
    """

    def __init__(
        self,
        mode: Mode | str = Mode.REDACT,
        *,
        names: Iterable[str] = (),
        secret: bytes | None = None,
        engine: Engine = "fast",
        extra: Sequence[Detector] = (),
        entities: Iterable[str] | None = None,
        phone_regions: tuple[str, ...] = PHONE_REGIONS,
        max_chars: int = DEFAULT_MAX_CHARS,
        time_budget: float = DEFAULT_TIME_BUDGET,
        token_hex_chars: int = DEFAULT_TOKEN_HEX,
    ) -> None:
        try:
            self.mode = Mode(mode)
        except ValueError:
            raise ConfigError(
                "redaction mode must be one of " + ", ".join(m.value for m in Mode)
            ) from None
        if self.mode is Mode.PSEUDONYMIZE and (secret is None or len(secret) < MIN_SECRET_BYTES):
            raise ConfigError(
                f"pseudonymize needs a per-tenant secret of ≥ {MIN_SECRET_BYTES} bytes"
            )
        if not 6 <= token_hex_chars <= 64:
            raise ConfigError("token_hex_chars must be between 6 and 64")
        if max_chars < 1 or time_budget <= 0:
            raise ConfigError("max_chars and time_budget must be positive")
        self._secret = secret or b""
        self._hex = token_hex_chars
        self.max_chars = max_chars
        self.time_budget = time_budget
        self._entities = frozenset(entities) if entities is not None else None
        detectors = build_detectors(names, phone_regions=phone_regions, extra=extra)
        if engine == "presidio":
            from chatseal.redaction.presidio_engine import PresidioDetector

            self._detectors: list[Detector] = [PresidioDetector(detectors)]
        elif engine == "fast":
            self._detectors = detectors
        else:
            raise ConfigError("redaction engine must be 'fast' or 'presidio'")
        self._lock = threading.Lock()
        self._fail_closed_total = 0

    @property
    def fail_closed_total(self) -> int:
        """How many fields were withheld whole because they were too long or too slow to scan."""
        return self._fail_closed_total

    def detect(self, text: str) -> list[Span]:
        """Return the non-overlapping findings in `text`; raise `TimeoutError` over budget."""
        deadline = time.monotonic() + self.time_budget
        spans: list[Span] = []
        for detector in self._detectors:
            spans.extend(detector.detect(text, deadline))
        if self._entities is not None:
            spans = [s for s in spans if s.entity_type in self._entities]
        return resolve(spans)

    def redact_text(self, text: str) -> Redaction:
        """Return `text` with its personal data replaced according to the mode."""
        if self.mode is Mode.OFF or not text:
            return Redaction(text)
        if len(text) > self.max_chars:
            return self._withhold()
        try:
            spans = self.detect(text)
        except TimeoutError:
            return self._withhold()
        if not spans:
            return Redaction(text)
        return self._replace(text, spans)

    def redact_item(self, item: Mapping[str, Any]) -> Any:
        """Redact one Conversations item; see `chatseal.redaction.items.redact_item`."""
        from chatseal.redaction.items import redact_item

        return redact_item(self, item)

    def _withhold(self) -> Redaction:
        with self._lock:
            self._fail_closed_total += 1
        return Redaction(f"<{UNSCANNED}>", {UNSCANNED: 1}, fail_closed=True)

    def _replace(self, text: str, spans: list[Span]) -> Redaction:
        pieces: list[str] = []
        counts: Counter[str] = Counter()
        tokens: dict[str, str] = {}
        cursor = 0
        for span in spans:
            value = text[span.start : span.end]
            if self.mode is Mode.REDACT:
                replacement = f"<{span.entity_type}>"
            elif self.mode is Mode.MASK:
                replacement = mask(span.entity_type, value)
            else:
                replacement = pseudonym(self._secret, span.entity_type, value, self._hex)
                tokens[replacement] = value
            pieces += (text[cursor : span.start], replacement)
            counts[span.entity_type] += 1
            cursor = span.end
        pieces.append(text[cursor:])
        return Redaction("".join(pieces), dict(counts), tokens)
