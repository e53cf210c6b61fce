"""What a finding is replaced with, per mode.

- redact: `<EMAIL_ADDRESS>`
- mask: cards and IBANs keep their last four characters (PCI DSS v4.0 §3.4.1 allows at most
  the last four digits of a PAN to show), phone numbers their last two; the rest becomes `***`.
- pseudonymize: `<EMAIL_ADDRESS_3f9a0c1d2b4e>`, the first hex digits of
  HMAC-SHA256(tenant secret, entity type ‖ 0x00 ‖ normalised value) (RFC 2104). The same value
  gives the same token within a tenant and an unrelated one under another tenant's secret.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from chatseal.redaction.validators import digits_of


class Mode(StrEnum):
    """How findings are replaced."""

    OFF = "off"
    REDACT = "redact"
    MASK = "mask"
    PSEUDONYMIZE = "pseudonymize"


# 12 hex digits = 48 bits: a token collision (two values, one token, an ambiguous vault entry)
# needs about 2**24 (16 million) distinct values of one type in one tenant.
DEFAULT_TOKEN_HEX = 12
_KEEP_LAST = {"CREDIT_CARD": 4, "IBAN_CODE": 4, "PHONE_NUMBER": 2}


def normalise(entity_type: str, value: str) -> str:
    """The form that is pseudonymised, so "+44 20 7946 0958" and "+442079460958" agree."""
    if entity_type in {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "UK_NHS"}:
        digits = digits_of(value)
        return ("+" if value.lstrip().startswith("+") else "") + digits
    if entity_type in {"IBAN_CODE", "UK_NINO", "ES_NIF", "IT_FISCAL_CODE"}:
        return "".join(value.split()).upper()
    return " ".join(value.split()).casefold()


def pseudonym(secret: bytes, entity_type: str, value: str, hex_chars: int) -> str:
    """Return the tenant-stable token for `value`."""
    message = entity_type.encode() + b"\x00" + normalise(entity_type, value).encode()
    digest = hmac.new(secret, message, hashlib.sha256).hexdigest()
    return f"<{entity_type}_{digest[:hex_chars]}>"


def mask(entity_type: str, value: str) -> str:
    """Hide all but the last few characters of cards, IBANs and phones; `***` otherwise."""
    keep = _KEEP_LAST.get(entity_type)
    if keep is None:
        return "***"
    chars = list(value)
    shown = 0
    for index in range(len(chars) - 1, -1, -1):
        if chars[index].isalnum():
            if shown < keep:
                shown += 1
            else:
                chars[index] = "*"
    return "".join(chars)
