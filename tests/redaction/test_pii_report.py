"""Recall and precision on the labelled chat set, per entity type, written to a report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import phonenumbers
import pytest

from chatseal.redaction import Redactor, Span
from chatseal.redaction import validators as v
from chatseal.redaction.evaluate import score

REQUIRED_RECALL = {
    "EMAIL_ADDRESS": 0.99, "CREDIT_CARD": 0.99, "IBAN_CODE": 0.99, "IP_ADDRESS": 0.99,
    "PHONE_NUMBER": 0.95, "PERSON": 0.80,
}  # fmt: skip


def test_labelled_set_is_sound(labelled: list[tuple[str, list[Span]]]) -> None:
    """At least 200 messages, all required types present, and every labelled value real."""
    assert len(labelled) >= 200
    kinds = {s.entity_type for _, spans in labelled for s in spans}
    assert set(REQUIRED_RECALL) | {"STREET_ADDRESS", "US_SSN", "UK_NINO"} <= kinds
    for text, spans in labelled:
        for s in spans:
            value = text[s.start : s.end]
            assert value and value == value.strip()
            if s.entity_type == "CREDIT_CARD":
                assert v.credit_card_ok(value)
            elif s.entity_type == "IBAN_CODE":
                assert v.iban_ok(value.replace(" ", ""))
            elif s.entity_type == "PHONE_NUMBER" and value.startswith("+"):
                assert phonenumbers.is_valid_number(phonenumbers.parse(value, None))


def test_recall_and_precision(
    labelled: list[tuple[str, list[Span]]], names: list[str], tmp_path: Path
) -> None:
    """Recall meets the issue's floors per type; the full report is written to a file."""
    redactor = Redactor("redact", names=names)
    report = score(labelled, redactor.detect)
    out_dir = Path(os.environ.get("CHATSEAL_TEST_TMP") or tmp_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "pii_report.json").write_text(json.dumps(report, indent=2))
    for entity, floor in REQUIRED_RECALL.items():
        assert report[entity]["recall"] >= floor, entity
    for entity, row in report.items():
        assert row["precision"] is None or row["precision"] >= 0.9, entity


@pytest.mark.parametrize("engine", ["fast", "presidio"])
def test_engines_agree_on_the_set(
    engine: str, labelled: list[tuple[str, list[Span]]], names: list[str]
) -> None:
    """Fast and Presidio-backed engines reach the same recall on the labelled set."""
    redactor = Redactor("redact", names=names, engine=engine)  # type: ignore[arg-type]
    report = score(labelled, redactor.detect)
    assert report["PERSON"]["recall"] >= 0.8 and report["CREDIT_CARD"]["recall"] == 1.0
