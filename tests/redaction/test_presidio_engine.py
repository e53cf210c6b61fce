"""Presidio, offline: no socket is opened, no default engine is built."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from chatseal.redaction import Redactor
from chatseal.redaction.names import NameRecognizer
from chatseal.redaction.presidio_engine import (
    NO_OP_NLP,
    OfflineEmailRecognizer,
    PresidioDetector,
    plain_presidio,
)
from chatseal.redaction.redactor import build_detectors

TEXT = "Hi Anna, mail anna.k@example.org or call +44 20 7946 0958 from 10.1.2.3"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make every socket connection and DNS lookup fail, and record the attempts."""
    attempts: list[Any] = []

    def refuse(*args: Any, **_kwargs: Any) -> Any:
        attempts.append(args[1:] if args else args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_engines_run_with_sockets_blocked(no_network: list[Any]) -> None:
    """Both Presidio engines build and analyse with the network blocked, and never try it."""
    backed = Redactor("redact", engine="presidio").redact_text(TEXT)
    analyzer, anonymizer = plain_presidio([NameRecognizer()])
    results = analyzer.analyze(text=TEXT, language="en")
    plain = anonymizer.anonymize(text=TEXT, analyzer_results=results).text
    assert "anna.k@example.org" not in backed.text and "anna.k@example.org" not in plain
    assert "<EMAIL_ADDRESS>" in plain and "<PHONE_NUMBER>" in plain
    assert no_network == []


def test_offline_email_check_uses_snapshot(no_network: list[Any]) -> None:
    """The e-mail domain check reads tldextract's bundled list, with no fetch."""
    recognizer = OfflineEmailRecognizer()
    assert recognizer.validate_result("anna@example.co.uk")
    assert not recognizer.validate_result("anna@localhost")
    assert no_network == []


def test_no_op_engine_configured() -> None:
    """The analyzer uses the no_op NLP engine and only the recognizers we registered."""
    detector = PresidioDetector(build_detectors())
    analyzer = detector._analyzer
    assert NO_OP_NLP["nlp_engine_name"] == "no_op"
    assert analyzer.nlp_engine.engine_name == "no_op"
    assert all(r.name.startswith("chatseal_") for r in analyzer.registry.recognizers)


def test_timeout_propagates_through_presidio() -> None:
    """A timeout inside Presidio fails closed instead of being skipped as Presidio would."""
    redactor = Redactor("redact", engine="presidio", time_budget=0.002)
    result = redactor.redact_text("call 0 1 2 3 4 5 6 7 8 9 " * 20_000)
    assert result.fail_closed and redactor.fail_closed_total == 1
