"""Modes, pseudonym stability, results that leak nothing, and failing closed."""

from __future__ import annotations

import pytest

from chatseal.errors import ConfigError
from chatseal.redaction import UNSCANNED, Mode, Redactor

TENANT_A = b"a" * 32
TENANT_B = b"b" * 32
TEXT = "Hi Anna, mail anna.k@example.org, card 4111 1111 1111 1111, phone +44 20 7946 0958."


def test_off_keeps_text() -> None:
    """Mode off returns the text untouched and counts nothing."""
    result = Redactor("off").redact_text(TEXT)
    assert (result.text, dict(result.counts)) == (TEXT, {})


def test_redact_mode() -> None:
    """Redact replaces each finding by its entity type and counts per type."""
    result = Redactor(Mode.REDACT).redact_text(TEXT)
    assert result.text == (
        "Hi <PERSON>, mail <EMAIL_ADDRESS>, card <CREDIT_CARD>, phone <PHONE_NUMBER>."
    )
    assert dict(result.counts) == {
        "PERSON": 1, "EMAIL_ADDRESS": 1, "CREDIT_CARD": 1, "PHONE_NUMBER": 1,
    }  # fmt: skip
    assert not result.tokens


def test_mask_mode() -> None:
    """Mask keeps the last four of a card, the last two of a phone, and hides the rest."""
    result = Redactor("mask").redact_text(TEXT)
    assert "card **** **** **** 1111," in result.text
    assert "phone +** ** **** **58." in result.text
    assert "Hi ***, mail ***," in result.text


def test_pseudonyms_stable_within_tenant() -> None:
    """The same value gets the same token in one tenant, also across redactor instances."""
    first = Redactor("pseudonymize", secret=TENANT_A).redact_text("write to anna.k@example.org")
    again = Redactor("pseudonymize", secret=TENANT_A).redact_text("ANNA.K@example.org please")
    token = first.text.removeprefix("write to ")
    assert token.startswith("<EMAIL_ADDRESS_") and token.endswith(">")
    assert again.text == f"{token} please"
    assert first.tokens == {token: "anna.k@example.org"}


def test_pseudonyms_differ_across_tenants_and_values() -> None:
    """Another tenant's secret, or another value, gives an unrelated token."""
    a = Redactor("pseudonymize", secret=TENANT_A).redact_text("+44 20 7946 0958").text
    b = Redactor("pseudonymize", secret=TENANT_B).redact_text("+44 20 7946 0958").text
    other = Redactor("pseudonymize", secret=TENANT_A).redact_text("+44 20 7946 0959").text
    assert len({a, b, other}) == 3
    assert Redactor("pseudonymize", secret=TENANT_A).redact_text("+442079460958").text == a


def test_pseudonymize_needs_a_secret() -> None:
    """Pseudonymize refuses to start without a long enough per-tenant secret."""
    with pytest.raises(ConfigError):
        Redactor("pseudonymize")
    with pytest.raises(ConfigError):
        Redactor("pseudonymize", secret=b"short")
    with pytest.raises(ConfigError):
        Redactor("scramble")


def test_result_repr_leaks_nothing() -> None:
    """repr() of a result shows counts, never originals or the redacted text."""
    result = Redactor("pseudonymize", secret=TENANT_A).redact_text(TEXT)
    shown = repr(result)
    assert "anna" not in shown.lower() and "4111" not in shown and "EMAIL_ADDRESS" in shown


def test_oversize_input_fails_closed() -> None:
    """A field over max_chars is withheld whole and counted."""
    redactor = Redactor("redact", max_chars=100)
    result = redactor.redact_text("x" * 101)
    assert result.text == f"<{UNSCANNED}>" and result.fail_closed
    assert dict(result.counts) == {UNSCANNED: 1}
    assert redactor.fail_closed_total == 1


def test_timeout_fails_closed() -> None:
    """A scan that runs out of time withholds the field whole instead of passing it through."""
    redactor = Redactor("redact", time_budget=0.002)
    text = "call 0 1 2 3 4 5 6 7 8 9 " * 20_000 + " anna@example.org"
    result = redactor.redact_text(text)
    assert result.fail_closed and "anna@example.org" not in result.text
    assert redactor.fail_closed_total == 1


def test_presidio_engine_same_findings(labelled: list) -> None:
    """The Presidio-backed engine reports the same findings as the fast path."""
    fast = Redactor("redact")
    backed = Redactor("redact", engine="presidio")
    for text, _ in labelled[:60]:
        assert backed.redact_text(text).text == fast.redact_text(text).text


def test_entities_filter() -> None:
    """`entities` limits what is redacted."""
    result = Redactor("redact", entities={"EMAIL_ADDRESS"}).redact_text(TEXT)
    assert dict(result.counts) == {"EMAIL_ADDRESS": 1} and "Anna" in result.text
