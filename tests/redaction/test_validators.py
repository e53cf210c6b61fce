"""Checksums and rules that confirm candidates."""

from __future__ import annotations

import pytest

from chatseal.redaction import validators as v


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("4111 1111 1111 1111", True),
        ("5500-0000-0000-0004", True),
        ("378282246310005", True),
        ("4111 1111 1111 1112", False),
        ("1234567812345670", False),  # Luhn-valid but no card scheme starts with 1
        ("4111", False),
    ],
)
def test_credit_card(number: str, ok: bool) -> None:
    """Cards need 13-19 digits, a scheme digit and a valid Luhn check digit."""
    assert v.credit_card_ok(number) is ok


@pytest.mark.parametrize(
    ("iban", "ok"),
    [
        ("DE89370400440532013000", True),
        ("GB82WEST12345698765432", True),
        ("FR1420041010050500013M02606", True),
        ("DE89370400440532013001", False),
        ("DE8937040044053201300", False),  # one character short for Germany
        ("XX89370400440532013000", False),
    ],
)
def test_iban(iban: str, ok: bool) -> None:
    """IBANs need their country's length and ISO 7064 MOD 97-10."""
    assert v.iban_ok(iban) is ok


def test_national_ids() -> None:
    """SSN, NINO, NHS, NIF/NIE and codice fiscale rules accept real shapes and refuse others."""
    assert v.us_ssn_ok("078-05-1120")
    assert not v.us_ssn_ok("666-12-3456")
    assert not v.us_ssn_ok("123-00-4567")
    assert v.uk_nino_ok("AB 12 34 56 C")
    assert not v.uk_nino_ok("GB123456A")
    assert v.uk_nhs_ok("943 476 5919")
    assert not v.uk_nhs_ok("943 476 5918")
    assert v.es_nif_ok("12345678Z")
    assert v.es_nif_ok("X1234567L")
    assert not v.es_nif_ok("12345678A")
    assert v.it_fiscal_code_ok("RSSMRA85T10A562S")
    assert not v.it_fiscal_code_ok("RSSMRA85T10A562T")


def test_ip() -> None:
    """IPv4 and IPv6 text forms are accepted; times and MAC addresses are not."""
    assert v.ip_ok("192.168.0.1")
    assert v.ip_ok("2001:db8::1")
    assert v.ip_ok("fe80::1%eth0")
    assert not v.ip_ok("256.1.1.1")
    assert not v.ip_ok("12:30:45")
    assert not v.ip_ok("00:1A:2B:3C:4D:5E")
