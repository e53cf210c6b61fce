"""The fast pattern recognizers and the name recognizer, entity by entity."""

from __future__ import annotations

import time

import pytest

from chatseal.redaction import Redactor
from chatseal.redaction.names import NameRecognizer

PHONES = [
    "+1 415 555 2671", "(212) 555-0187", "646.555.0199", "+44 20 7946 0958", "020 7946 0321",
    "+49 30 12345678", "030 1234567", "0049 89 1234567", "+33 1 42 68 53 00", "06 12 34 56 78",
    "+34 912 345 678", "+39 06 1234 5678", "347 123 4567", "+31 20 123 4567", "+91 98765 43210",
    "+61 2 9876 5432", "(02) 9876 5433", "+55 11 91234-5678", "+81 3-1234-5678", "03-1234-5679",
    "+41 44 668 18 00", "+46 8 123 456 78", "+48 22 123 45 67", "+65 6123 4567",
]  # fmt: skip


def found(text: str, **kwargs: object) -> list[tuple[str, str]]:
    """Return (entity type, matched text) for every finding."""
    redactor = Redactor("redact", **kwargs)  # type: ignore[arg-type]
    return [(s.entity_type, text[s.start : s.end]) for s in redactor.detect(text)]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_national_formats(phone: str) -> None:
    """Phone numbers in many national and international formats are found whole."""
    assert found(f"you can reach me on {phone} tomorrow") == [("PHONE_NUMBER", phone)]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("mail a.b+tag@mail.example.co.uk now", "EMAIL_ADDRESS", "a.b+tag@mail.example.co.uk"),
        ("card: 4111-1111-1111-1111.", "CREDIT_CARD", "4111-1111-1111-1111"),
        ("IBAN GB82 WEST 1234 5698 7654 32 BIC X", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
        ("from 10.0.0.254:8080", "IP_ADDRESS", "10.0.0.254"),
        ("host ::ffff:192.0.2.128 down", "IP_ADDRESS", "::ffff:192.0.2.128"),
        ("v6 2001:0db8:85a3::8a2e:0370:7334.", "IP_ADDRESS", "2001:0db8:85a3::8a2e:0370:7334"),
        ("ssn 078-05-1120", "US_SSN", "078-05-1120"),
        ("NI number JG103728B", "UK_NINO", "JG103728B"),
        ("my NHS number is 943 476 5919", "UK_NHS", "943 476 5919"),
        ("DNI 12345678Z", "ES_NIF", "12345678Z"),
        ("CF RSSMRA85T10A562S", "IT_FISCAL_CODE", "RSSMRA85T10A562S"),
        ("I live at 221B Baker Street, London", "STREET_ADDRESS", "221B Baker Street"),
        ("Lieferung an Friedrichstraße 43 bitte", "STREET_ADDRESS", "Friedrichstraße 43"),
    ],
)
def test_entity_found(text: str, entity: str, value: str) -> None:
    """Each recognizer finds its entity with exact bounds."""
    assert (entity, value) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "We released version 2.14.3 on 2024-03-15.",
        "Order 4839201847 shipped, total $1,234.56.",
        "Meeting at 10:30 in room 1204.",
        "The SHA is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b.",
        "Request 7b3e2c1a-58f4-4d6b-9a2e-3f1c0b9d8e7a failed.",
        "std::vector<int> and a::b::c are C++.",
        "MAC 00:1A:2B:3C:4D:5E is fine.",
        "Card 4111 1111 1111 1112 fails Luhn.",
    ],
)
def test_no_false_positives(text: str) -> None:
    """Versions, dates, order numbers, hashes, C++ names and bad checksums are left alone."""
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi Anna, quick question", "Anna"),
        ("Thanks, Bob", "Bob"),
        ("Kind regards,\nMaria Lopez", "Maria Lopez"),
        ("my name is Jürgen Müller-Lüdenscheidt", "Jürgen Müller-Lüdenscheidt"),
        ("I'm Oluwaseun and I need help", "Oluwaseun"),
        ("my manager Zanele approved it", "Zanele"),
        ("Dear Dr. Okonkwo, thank you", "Okonkwo"),
        ("Liam O'Brien called", "Liam O'Brien"),
        ("Thanks for the help, Declan Murphy", "Declan Murphy"),
    ],
)
def test_person_name_cues(text: str, name: str) -> None:
    """Greetings, sign-offs, introductions, relations and titles mark names."""
    assert ("PERSON", name) in found(text)


@pytest.mark.parametrize("text", ["Hi all, standup is cancelled", "Thanks again!", "I'm Sorry"])
def test_person_name_stopwords(text: str) -> None:
    """Cue words followed by ordinary capitalised words are not names."""
    assert found(text) == []


def test_tenant_names() -> None:
    """A tenant's listed names are found in any case when multi-word, capitalised when single."""
    recognizer = NameRecognizer(["Marek Nowicki", "Will"])
    text = "ping marek nowicki, and Will said he will"
    spans = recognizer.detect(text, time.monotonic() + 1)
    assert sorted(text[s.start : s.end] for s in spans) == ["Will", "marek nowicki"]
