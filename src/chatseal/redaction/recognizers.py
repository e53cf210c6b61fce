"""ChatSeal's fast pattern recognizers: compiled once, linear-time, validated.

Every pattern here is built so that the engine cannot backtrack more than a small constant per
input position: character classes either side of a separator are disjoint and every repetition
is bounded. Patterns only propose candidates; a checksum or a parser decides (`validators.py`).
Each recognizer has a cheap pre-filter (`'@' in text`, a digit, a colon), so on most chat
messages most recognizers do not run at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
import regex
from phonenumbers import PhoneMetadata, PhoneNumber

from chatseal.redaction import validators as v
from chatseal.redaction.spans import Span, remaining

# A check gets the text and the candidate's match and returns the span to report, or None.
Check = Callable[[str, "regex.Match[str]"], tuple[int, int] | None]
Prefilter = Callable[[str], bool]

_ANY_DIGIT = regex.compile(r"\d")


_NO_DIGITS = str.maketrans("", "", "0123456789")


def count_digits(text: str) -> int:
    """How many ASCII digits `text` holds (one C-level pass)."""
    return len(text) - len(text.translate(_NO_DIGITS))


def has_digit(text: str) -> bool:
    """True if `text` contains any digit."""
    return _ANY_DIGIT.search(text) is not None


def _whole(validator: Callable[[str], bool]) -> Check:
    """Wrap a validator of the matched text into a check that reports the whole match."""

    def check(_text: str, match: regex.Match[str]) -> tuple[int, int] | None:
        return match.span() if validator(match.group()) else None

    return check


@dataclass(frozen=True)
class PatternRecognizer:
    """One entity type: a pre-filter, a compiled pattern, a check, an optional context rule."""

    entity_type: str
    pattern: regex.Pattern[str]
    check: Check | None
    prefilter: Prefilter
    score: float = 1.0
    # When set, a finding needs one of these words in the `window` characters before it.
    context: regex.Pattern[str] | None = None
    window: int = 48
    # Fewer digits than this in the whole text and the pattern cannot match: skip it.
    min_digits: int = 0

    @property
    def entity_types(self) -> frozenset[str]:
        """The one entity type this recognizer reports."""
        return frozenset({self.entity_type})

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return this recognizer's findings in `text`."""
        if not self.prefilter(text) or count_digits(text) < self.min_digits:
            return []
        return self.scan(text, deadline)

    def scan(self, text: str, deadline: float) -> list[Span]:
        """Return findings without the pre-filter (the caller has applied it)."""
        found: list[Span] = []
        for match in self.pattern.finditer(text, timeout=remaining(deadline)):
            span = self.check(text, match) if self.check else match.span()
            if span is None:
                continue
            if self.context is not None and not self.context.search(
                text, max(0, span[0] - self.window), span[0]
            ):
                continue
            found.append(Span(span[0], span[1], self.entity_type, self.score))
        return found


# --- e-mail (RFC 5322 §3.4.1 addr-spec, the dot-atom subset people actually type) -------------
_EMAIL = regex.compile(
    r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}",
)


def _email_check(_text: str, match: regex.Match[str]) -> tuple[int, int] | None:
    value = match.group()
    local, _, domain = value.partition("@")
    tld = domain.rsplit(".", 1)[-1]
    if local.startswith(".") or local.endswith(".") or not (len(tld) >= 2 and tld.isalpha()):
        return None
    return match.span()


# --- payment cards (ISO/IEC 7812: 13-19 digits, Luhn) -----------------------------------------
_CARD = regex.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)")

# --- IBAN (ISO 13616-1: country, two check digits, up to 30 alphanumerics, groups of four) ----
_IBAN = regex.compile(r"(?i)\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def _iban_check(text: str, match: regex.Match[str]) -> tuple[int, int] | None:
    """Cut the candidate to its country's IBAN length, then check MOD 97-10."""
    start, end = match.span()
    wanted = v.IBAN_LENGTHS.get(text[start : start + 2].upper())
    if wanted is None:
        return None
    seen = 0
    cut = start
    for index in range(start, end):
        if text[index] != " ":
            seen += 1
            if seen == wanted:
                cut = index + 1
                break
    if seen < wanted:
        return None
    return (start, cut) if v.iban_ok(text[start:cut].replace(" ", "")) else None


# --- IP addresses (RFC 791 dotted quad; RFC 4291 §2.2 IPv6 text, incl. embedded IPv4) --------
_IPV4 = regex.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
_IPV6 = regex.compile(
    r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?:%[\w.]{1,16})?(?![\w:]|\.\d)"
)


def _ipv6_check(_text: str, match: regex.Match[str]) -> tuple[int, int] | None:
    value = match.group()
    if not any(c.isalnum() for c in value) or not v.ip_ok(value):
        return None
    return match.span()


# --- phone numbers (ITU-T E.164 / national formats, validated by libphonenumber metadata) ----
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU", "CA", "BR", "IE", "CH", "AT", "BE",
    "SE", "NO", "DK", "FI", "PL", "PT", "MX", "JP", "SG", "NZ", "ZA",
)  # fmt: skip
_PHONE = regex.compile(
    r"(?<![\w+@/.-])(?:(?:\+|00)[ ]?)?(?:\(\d{1,5}\)|\d)(?:[ .\-/]{0,2}(?:\(\d{1,5}\)|\d)){6,20}"
    r"(?![\w@]|[.\-/]\d)"
)
_DATE_LIKE = regex.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_PHONE_CONTEXT = regex.compile(
    r"(?i)\b(?:phone|call|tel|telephone|mobile|cell|number|no\.|num|whatsapp|text|sms|ring|"
    r"reach|contact|landline|fax|handy|telefon|telefono|móvil|portable|hotline|extension)\b"
)


@functools.cache
def _region_plan(region: str) -> tuple[int, str, frozenset[int]]:
    """(country code, national prefix, possible national lengths) from libphonenumber metadata."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise ValueError(f"unknown phone region {region!r}")
    general = metadata.general_desc
    lengths = frozenset((general.possible_length or ()) if general else ())
    return int(metadata.country_code or 0), metadata.national_prefix or "", lengths


def _valid_national(digits: str, regions: tuple[str, ...]) -> bool:
    """Is `digits` (as written, without a country code) a valid number in one of `regions`?

    Builds the number from the metadata's national prefix and lengths instead of calling
    `phonenumbers.parse` once per region: four times faster, and most regions are ruled out
    by length alone.
    """
    for region in regions:
        country, prefix, lengths = _region_plan(region)
        national = digits[len(prefix) :] if prefix and digits.startswith(prefix) else digits
        if len(national) not in lengths:
            continue
        number = PhoneNumber(country_code=country, national_number=int(national))
        if national.startswith("0"):
            # Italy keeps its leading zero in the national number (ITU-T E.164, Italy's plan).
            number.italian_leading_zero = True
            number.number_of_leading_zeros = len(national) - len(national.lstrip("0"))
        if phonenumbers.is_valid_number_for_region(number, region):
            return True
    return False


def _valid_phone(candidate: str, digits: str, regions: tuple[str, ...]) -> bool:
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    if not candidate.startswith("+"):
        return _valid_national(digits, regions)
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)))
    except phonenumbers.NumberParseException:
        return False


def phone_check(regions: tuple[str, ...]) -> Check:
    """Build the phone check for the given default regions."""

    def check(text: str, match: regex.Match[str]) -> tuple[int, int] | None:
        value = match.group()
        digits = v.digits_of(value)
        international = value.startswith(("+", "00"))
        if not (7 if international else 8) <= len(digits) <= 15 or len(set(digits)) == 1:
            return None
        if not international:
            if _DATE_LIKE.fullmatch(value):
                return None
            plain = value.isdigit()
            # A bare run of digits is an order or account number as often as a phone number:
            # report it only when a phone word is close before it.
            if plain and not _PHONE_CONTEXT.search(text, max(0, match.start() - 48), match.start()):
                return None
        return match.span() if _valid_phone(value, digits, regions) else None

    return check


# --- national identifiers -------------------------------------------------------------------
_US_SSN = regex.compile(r"(?<![\d-])\d{3}([- ]?)\d{2}\1\d{4}(?![\d-])")
_UK_NINO = regex.compile(r"(?i)\b[A-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]\b")
_UK_NHS = regex.compile(r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])")
_NHS_CONTEXT = regex.compile(r"(?i)\bnhs\b")
_ES_NIF = regex.compile(r"(?i)\b[XYZ0-9]\d{7}[- ]?[A-Z]\b")
_IT_CF = regex.compile(r"(?i)\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b")

# --- street addresses (house number + street name + street type; and the continental order) --
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|"
    r"Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Gardens|Grove|Mews|Walk|"
    r"Circle|Cir|Trail|Park|Hill"
)
_ADDRESS = regex.compile(
    r"\b\d{1,5}[A-Za-z]?,?(?:[ ](?:[NSEW]\.?|North|South|East|West))?"
    r"(?:[ ](?:[A-Z][a-z'’]+|\d{1,3}(?:st|nd|rd|th))){1,4}[ ](?:" + _STREET_TYPES + r")\b\.?"
    r"|\b[A-ZÄÖÜ][a-zäöüß]{1,30}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer)"
    r"[ ]\d{1,4}[a-z]?\b"
    r"|\b\d{1,4}(?:[ ]?(?:bis|ter))?,?[ ](?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|"
    r"impasse|quai|via|viale|piazza|calle|carrer|avenida|rua)"
    r"(?:[ ](?:de|du|des|la|le|del|della|dei|da|do|dos)){0,2}(?:[ ](?:l'|d')?[A-ZÉÈ][\w'’-]+){1,3}"
    r"|\b(?:Via|Viale|Piazza|Calle|Carrer|Avenida|Rua|Corso)(?:[ ](?:de|del|della|dei|da|do))?"
    r"(?:[ ][A-Z][\w'’-]+){1,3},?[ ]\d{1,4}\b"
)


class PatternSet:
    """All pattern recognizers as one detector: the digit count is taken once per text."""

    def __init__(self, recognizers: list[PatternRecognizer]) -> None:
        self.recognizers = recognizers
        self.entity_types = frozenset(r.entity_type for r in recognizers)

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return the findings of every recognizer whose pre-filters pass."""
        digits = count_digits(text)
        found: list[Span] = []
        for recognizer in self.recognizers:
            if digits >= recognizer.min_digits and recognizer.prefilter(text):
                found.extend(recognizer.scan(text, deadline))
        return found


def default_recognizers(regions: tuple[str, ...] = PHONE_REGIONS) -> list[PatternRecognizer]:
    """Return the built-in pattern recognizers, in the order they run."""

    def has_at(text: str) -> bool:
        return "@" in text

    def has_colons(text: str) -> bool:
        return text.count(":") >= 2

    def has_dots(text: str) -> bool:
        return text.count(".") >= 3

    def has_nhs(text: str) -> bool:
        return "nhs" in text or "NHS" in text or "Nhs" in text

    def _true(_text: str) -> bool:
        return True

    return [
        PatternRecognizer("EMAIL_ADDRESS", _EMAIL, _email_check, has_at),
        PatternRecognizer("CREDIT_CARD", _CARD, _whole(v.credit_card_ok), _true, min_digits=13),
        PatternRecognizer("IBAN_CODE", _IBAN, _iban_check, _true, min_digits=8),
        PatternRecognizer("IP_ADDRESS", _IPV4, _whole(v.ip_ok), has_dots, min_digits=4),
        PatternRecognizer("IP_ADDRESS", _IPV6, _ipv6_check, has_colons),
        PatternRecognizer("US_SSN", _US_SSN, _whole(v.us_ssn_ok), _true, score=0.95, min_digits=9),
        PatternRecognizer(
            "UK_NINO", _UK_NINO, _whole(v.uk_nino_ok), _true, score=0.95, min_digits=6
        ),
        PatternRecognizer(
            "UK_NHS",
            _UK_NHS,
            _whole(v.uk_nhs_ok),
            has_nhs,
            score=0.97,
            context=_NHS_CONTEXT,
            min_digits=10,
        ),
        PatternRecognizer("ES_NIF", _ES_NIF, _whole(v.es_nif_ok), _true, min_digits=7),
        PatternRecognizer(
            "IT_FISCAL_CODE", _IT_CF, _whole(v.it_fiscal_code_ok), _true, min_digits=7
        ),
        PatternRecognizer(
            "PHONE_NUMBER", _PHONE, phone_check(regions), _true, score=0.9, min_digits=7
        ),
        PatternRecognizer("STREET_ADDRESS", _ADDRESS, None, _true, score=0.85, min_digits=1),
    ]
