"""Presidio, offline: the `no_op` NLP engine, a registry we fill, nothing downloaded.

Never construct a default `AnalyzerEngine()`: it loads a spaCy model and, failing that, tries
to download one. `tldextract` (used by Presidio's e-mail recognizer) fetches the Public Suffix
List on first use unless told not to; here it reads only its bundled snapshot.

Two engines are built here:
- `PresidioDetector`: ChatSeal's recognizers run inside Presidio's `AnalyzerEngine` (the
  Presidio-backed mode). A recognizer that runs out of time raises through Presidio, so the
  caller fails closed; Presidio's own regex timeout would skip the pattern silently.
- `plain_presidio()`: Presidio's predefined recognizers for the same entity types, plus ours for
  the types Presidio has none of (names in chat, street addresses). The benchmark's baseline.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Sequence
from typing import Any

from chatseal.errors import MissingExtra
from chatseal.redaction.recognizers import PHONE_REGIONS
from chatseal.redaction.spans import Detector, Span

try:
    import tldextract
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
    from presidio_analyzer import RecognizerResult as _Result
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        EsNifRecognizer,
        IbanRecognizer,
        IpRecognizer,
        ItFiscalCodeRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
        UsSsnRecognizer,
    )
    from presidio_anonymizer import AnonymizerEngine
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtra("redaction", "PII detection with Presidio") from exc

LANGUAGE = "en"
# NlpEngineProvider's configuration for the engine that loads no model (presidio-analyzer ≥ 2.2).
NO_OP_NLP = {"nlp_engine_name": "no_op", "models": [{"lang_code": LANGUAGE, "model_name": "none"}]}

# The deadline of the detection running in this thread/task; Presidio's analyze() has no slot.
_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("chatseal_redaction_deadline")


@functools.cache
def offline_tld_extract() -> tldextract.TLDExtract:
    """A `TLDExtract` that reads its bundled suffix snapshot: no HTTP, no disk cache."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer with its domain check kept offline."""

    def validate_result(self, pattern_text: str) -> bool:
        """Accept an address whose domain has a public suffix (from the bundled snapshot)."""
        return bool(offline_tld_extract()(pattern_text).fqdn)


class ChatSealRecognizer(EntityRecognizer):
    """Run one ChatSeal detector as a Presidio recognizer."""

    def __init__(self, detector: Detector, name: str) -> None:
        super().__init__(
            supported_entities=sorted(detector.entity_types),
            name=name,
            supported_language=LANGUAGE,
        )
        self._detector = detector

    def load(self) -> None:
        """Nothing to load: patterns are compiled at import."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
        """Return the detector's findings as Presidio results; a timeout propagates."""
        deadline = _DEADLINE.get(time.monotonic() + 1.0)
        return [
            _Result(entity_type=s.entity_type, start=s.start, end=s.end, score=s.score)
            for s in self._detector.detect(text, deadline)
            if s.entity_type in entities
        ]


def no_op_analyzer(recognizers: Sequence[Any]) -> Any:
    """An `AnalyzerEngine` with the `no_op` NLP engine and exactly these recognizers."""
    nlp_engine = NlpEngineProvider(nlp_configuration=NO_OP_NLP).create_engine()
    registry = RecognizerRegistry(recognizers=list(recognizers), supported_languages=[LANGUAGE])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=[LANGUAGE])


class PresidioDetector:
    """ChatSeal's detectors, run through Presidio's `AnalyzerEngine`."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self._analyzer = no_op_analyzer(
            [ChatSealRecognizer(d, f"chatseal_{i}") for i, d in enumerate(detectors)]
        )
        self.entity_types = frozenset(t for d in detectors for t in d.entity_types)

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return the findings Presidio reports (already de-duplicated by Presidio)."""
        token = _DEADLINE.set(deadline)
        try:
            results = self._analyzer.analyze(text=text, language=LANGUAGE)
        finally:
            _DEADLINE.reset(token)
        return [Span(r.start, r.end, r.entity_type, float(r.score)) for r in results]


def plain_presidio(custom: Sequence[Detector]) -> tuple[Any, Any]:
    """Return (analyzer, anonymizer): Presidio's own recognizers plus `custom` ones, offline."""
    recognizers: list[Any] = [
        OfflineEmailRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        UsSsnRecognizer(),
        UkNinoRecognizer(),
        NhsRecognizer(),
        EsNifRecognizer(),
        ItFiscalCodeRecognizer(),
    ]
    recognizers += [ChatSealRecognizer(d, f"custom_{i}") for i, d in enumerate(custom)]
    return no_op_analyzer(recognizers), AnonymizerEngine()  # type: ignore[no-untyped-call]
