"""Checksums and rules that turn a regex candidate into a finding.

A pattern only proposes; these decide. Each takes the matched text and answers yes or no, in
time linear in its length, and never raises on odd input.
"""

from __future__ import annotations

import ipaddress

# ISO 13616-1 IBAN lengths per country (SWIFT IBAN Registry, release 2024).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def digits_of(text: str) -> str:
    """Return only the ASCII digits of `text`."""
    return "".join(ch for ch in text if "0" <= ch <= "9")


def luhn_ok(number: str) -> bool:
    """Check the Luhn (ISO/IEC 7812-1 Annex B) mod-10 check digit of a digit string."""
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        value = ord(char) - 48
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def credit_card_ok(text: str) -> bool:
    """A payment card number: 13-19 digits, a card-scheme first digit, a valid Luhn digit."""
    number = digits_of(text)
    return 13 <= len(number) <= 19 and number[0] in "23456" and luhn_ok(number)


def iban_ok(compact: str) -> bool:
    """Check an IBAN given without spaces: country length, then ISO 7064 MOD 97-10 == 1."""
    if len(compact) < 15 or not compact.isascii() or not compact.isalnum():
        return False
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    # ISO 13616-1 §7.1: letters become 10..35, then the whole number mod 97 must be 1.
    remainder = 0
    for char in rearranged:
        value = int(char, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def ip_ok(text: str) -> bool:
    """An IPv4 or IPv6 address (RFC 791 dotted quad, RFC 4291 §2.2 text forms)."""
    candidate = text.split("%", 1)[0]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def us_ssn_ok(text: str) -> bool:
    """A US SSN: area not 000/666/9xx, group not 00, serial not 0000 (SSA rules, 2011)."""
    number = digits_of(text)
    if len(number) != 9 or len(set(number)) == 1:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino_ok(text: str) -> bool:
    """A UK National Insurance number: HMRC prefix rules, six digits, suffix A-D."""
    compact = "".join(text.split()).upper()
    if len(compact) != 9 or compact[:2] in _NINO_BAD_PREFIXES:
        return False
    return (
        compact[0] not in "DFIQUV"
        and compact[1] not in "DFIOQUV"
        and compact[2:8].isdigit()
        and compact[8] in "ABCD"
    )


def uk_nhs_ok(text: str) -> bool:
    """A UK NHS number: ten digits with a modulus-11 check digit (NHS Data Dictionary)."""
    number = digits_of(text)
    if len(number) != 10:
        return False
    total = sum(int(number[i]) * (10 - i) for i in range(9))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(number[9])


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif_ok(text: str) -> bool:
    """A Spanish DNI/NIE: eight digits (NIE: X/Y/Z + seven) and the mod-23 control letter."""
    compact = text.replace("-", "").replace(" ", "").upper()
    if len(compact) != 9:
        return False
    head = compact[:8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    return head.isdigit() and _NIF_LETTERS[int(head) % 23] == compact[8]


# Codice fiscale check character (DM 23/12/1976, annex): odd positions map through this table.
_IT_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25,
           24, 23]  # fmt: skip


def it_fiscal_code_ok(text: str) -> bool:
    """An Italian codice fiscale: 16 characters and a valid control character."""
    code = text.upper()
    if len(code) != 16 or not code.isascii() or not code.isalnum():
        return False
    total = 0
    for index, char in enumerate(code[:15]):
        value = int(char) if char.isdigit() else ord(char) - 65
        # Positions count from 1, so index 0 is an odd position.
        total += _IT_ODD[value] if index % 2 == 0 else value
    return chr(65 + total % 26) == code[15]
