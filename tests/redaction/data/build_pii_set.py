"""Build pii_chat.jsonl: realistic chat messages with labelled PII spans.

Run `python tests/redaction/data/build_pii_set.py` to rebuild; the output is committed and the
tests read it. Templates are hand-written chat lines with `{slot}`s; each slot is filled from a
pool of valid values (cards pass Luhn, IBANs pass MOD 97-10, phones are real number plans), and
its span is recorded. A fixed seed keeps the file stable.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20240607

NAMES = [
    ("Anna", "Kowalski"),
    ("Bob", "Hendricks"),
    ("Priya", "Sharma"),
    ("Jürgen", "Vogel"),
    ("Maria", "Lopez"),
    ("Thomas", "Becker"),
    ("Aisha", "Okafor"),
    ("Kenji", "Watanabe"),
    ("Sophie", "Durand"),
    ("Carlos", "Mendes"),
    ("Fatima", "Haddad"),
    ("Liam", "O'Brien"),
    ("Chen", "Jing"),
    ("Olga", "Petrova"),
    ("Siobhan", "Gallagher"),
    ("Mateo", "Rossi"),
    ("Ingrid", "Solberg"),
    ("Rahul", "Mehta"),
    ("Emily", "Carter"),
    ("Yusuf", "Demir"),
    ("Camille", "Laurent"),
    ("Daniel", "Novak"),
    ("Zainab", "Bello"),
    ("Lukas", "Brandt"),
    ("Hannah", "Whitfield"),
    ("Diego", "Alvarez"),
    ("Nora", "Lindgren"),
    ("Tariq", "Hussain"),
    ("Greta", "Falk"),
    ("Mei", "Lin"),
    ("Declan", "Murphy"),
    ("Beatriz", "Souza"),
    ("Oskar", "Wiśniewski"),
    ("Leilani", "Kahale"),
    ("Bartholomew", "Finch"),
    ("Ngozi", "Eze"),
]
STAFF = [line.strip() for line in (HERE / "tenant_names.txt").read_text().splitlines() if line]
DOMAINS = [
    "example.com",
    "mail.example.org",
    "acme-corp.co.uk",
    "gmail.com",
    "outlook.de",
    "uni-heidelberg.de",
    "firma.fr",
    "company.io",
    "posteo.net",
    "yahoo.co.jp",
]
PHONES = [
    "+1 415 555 2671", "(212) 555-0187", "212-555-0148", "646.555.0199", "+1 (312) 555-0123",
    "+44 20 7946 0958", "020 7946 0321", "07911 123789", "+44 7911 123456", "0161 496 0735",
    "+49 30 12345678", "030 1234567", "+49 151 23456789", "0176 12345678", "0049 89 1234567",
    "+33 1 42 68 53 00", "01 42 68 53 01", "06 12 34 56 78", "+33 6 12 34 56 79",
    "+34 912 345 678", "612 345 678", "+39 06 1234 5678", "347 123 4567", "+31 20 123 4567",
    "06 12345678", "+91 98765 43210", "+91 22 2345 6789", "+61 2 9876 5432", "(02) 9876 5433",
    "0412 345 678", "+55 11 91234-5678", "(11) 91234-5679", "+81 3-1234-5678", "03-1234-5679",
    "+41 44 668 18 00", "044 668 18 01", "+46 8 123 456 78", "070-123 45 67", "+48 22 123 45 67",
    "+52 55 1234 5678", "+65 6123 4567", "+353 1 234 5678", "087 123 4567", "+1-202-555-0173",
]  # fmt: skip
IP4 = [
    "192.168.1.20",
    "10.0.4.17",
    "172.16.254.3",
    "203.0.113.45",
    "198.51.100.7",
    "8.8.8.8",
    "100.64.12.9",
    "81.2.69.142",
    "62.210.16.6",
    "192.0.2.33",
]
IP6 = [
    "2001:db8::1",
    "fe80::1ff:fe23:4567:890a",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2a00:1450:4001:82b::200e",
    "::ffff:192.0.2.128",
    "2606:4700:4700::1111",
]
SSN = ["078-05-1120", "219-09-9999", "457-55-5462", "536-22-1234", "401 82 7733", "332-14-9876"]
NINO = ["AB 12 34 56 C", "JG103728B", "HN 48 62 95 D", "PE 87 65 43 A"]
NHS = ["943 476 5919", "401 023 2137", "485 777 3457"]
NIF = ["12345678Z", "X1234567L", "87654321X", "Y7654321G"]
CF = ["RSSMRA85T10A562S", "BNCGNN80A01F205W", "VRDLGU72C15H501I"]
ADDRESSES = [
    "221B Baker Street", "1600 Pennsylvania Avenue", "742 Evergreen Terrace",
    "12 Grimmauld Place", "350 Fifth Avenue", "4 Privet Drive", "77 Massachusetts Ave",
    "55 Water Street", "1 Main St", "18 Kings Road", "Hauptstraße 12", "Königsallee 27",
    "Friedrichstraße 43", "12 rue de Rivoli", "8 avenue des Champs-Élysées", "Via Roma 15",
    "Calle Mayor 7", "90 Oak Lane", "3 Elm Close", "1200 W Harrison Blvd",
]  # fmt: skip
IBAN_BBAN = {"DE": "370400440532013000", "GB": "WEST12345698765432", "FR": "20041010050500013M02606",
             "NL": "ABNA0417164300", "ES": "21000418450200051332", "IT": "X0542811101000000123456",
             "CH": "00762011623852957", "BE": "539007547034", "AT": "1904300234573201",
             "PL": "109010140000071219812874", "SE": "50000000058398257466", "IE": "AIBK93115212345678"}  # fmt: skip

TEMPLATES = [
    "Hi {first}, could you resend the invoice to {email}? Thanks!",
    "Hello, my name is {name} and I can't log in since yesterday.",
    "Hey {first}! Quick one: is {phone} still the best number for the courier?",
    "Thanks, {first}",
    "My card ending in the wrong digits got charged twice. Full number: {card}. Please refund.",
    'Please wire the deposit to IBAN {iban}, reference "flat 3B".',
    "The login attempts came from {ip4} and {ip4}, none of them ours.",
    "Our VPN gateway moved to {ip6}; update your allowlist.",
    "I'm {name}, I booked the 7pm table for four.",
    "Can you update my email to {email} and my phone to {phone}?",
    "My SSN is {ssn}, do you need it for the W-2?",
    "Dear {title} {last}, your appointment is confirmed for Tuesday.",
    "Cheers,",
    "{first}",
    "Ship it to {address}, Apt 4, please.",
    "Call me back on {phone} after 5, I'm in meetings until then.",
    "This is {name} from the third floor, the printer is jammed again.",
    "Refund to card {card} please, the booking was cancelled.",
    "Here's my IBAN for the salary: {iban}",
    "{first} here, running 10 minutes late to the standup.",
    "Can you ask {staff} to call me? My number is {phone}.",
    "The customer is {name}, email {email}, card on file {card}.",
    "My NHS number is {nhs} and my GP surgery is on {address}.",
    "National Insurance number {nino}, starting date 1 April.",
    "Mi DNI es {nif}, ¿lo necesitan para la factura?",
    "Codice fiscale: {cf}, intestato a {name}.",
    "Who owns {ip4}? It's been hammering our API since 03:00.",
    "Please whitelist {ip4} and {ip6} for the staging box.",
    "Kind regards,",
    "{name}",
    "Hello {first}, I tried {phone} but it went straight to voicemail.",
    "Send the contract to {email}, cc {email}.",
    "Pay with {card}, exp 09/27, it's my business card.",
    "Transfer from {iban} failed with error 4012, can you check?",
    "Thanks {first}, that fixed it!",
    "My wife {first} will pick up the parcel, her number is {phone}.",
    "I spoke with {staff} yesterday about order 88213 and nothing happened.",
    "Our office is at {address}, second floor, ring twice.",
    "I moved! New address is {address}. Old one was {address}.",
    "{first}, can you check why {email} bounces?",
    "Is {phone} a UK or a German number? Got a missed call.",
    "Dear {first},",
    "please find the quote attached.",
    "Best regards,",
    "{name}",
    "My colleague {name} will take over the ticket.",
    "Ask for {first} at the front desk, she has your badge.",
    "Card {card} was declined, but {card} worked.",
    "Please update the payee IBAN to {iban} from next month.",
    "ssh into {ip4} on port 2222 and restart nginx",
    "ping6 {ip6} times out from the Frankfurt region",
    "I am {name}, account holder, and I want to close the account.",
    "Reach me at {email} or {phone}, whichever is faster.",
    "Hey, it's {first}. Did the build on {ip4} finish?",
    "Forward this to {staff} please, she handles refunds.",
    "{title} {last} asked whether we accept IBAN {iban}.",
    "My manager {first} approved the expense already.",
    "Hola {first}, te paso mi móvil: {phone}",
    "Bonjour {first}, mon numéro est le {phone}.",
    "Hallo {first}, meine Nummer ist {phone}, ruf gerne an.",
    "SSN {ssn} belongs to my son, not me.",
    "Please don't store my card number {card} anywhere.",
    "Thanks for the help, {name}",
    "Can {staff} confirm the refund to {card}?",
    "My partner {name} is also on the lease at {address}.",
    "The email on my account ({email}) is wrong, it should be {email}.",
    "Text me on {phone} when the driver arrives.",
    "Bank details: {name}, IBAN {iban}, BIC COBADEFFXXX.",
    "Good morning {first}, the server {ip6} is back up.",
    "Talk to {first} about the {ip4} firewall rule.",
    "i'm {name} and my order never arrived",
    "Contact {name} at {email} for the press kit.",
    "Patient NHS no. {nhs}, DOB 12/03/1980.",
    "NINO: {nino}. Employer asked me to send it.",
    "Sorry {first}, wrong chat!",
    "Please bill {card} for the annual plan.",
    "Hey {first} can you send me the logs for {ip4}",
    "Yes, {phone} is my WhatsApp too.",
    "Love,",
    "{first}",
    "Regards, {name}",
    "{email} is my personal address, use that one.",
    "Delivery address: {address}. Buzzer doesn't work.",
    "Our tenant {name} has not paid since March.",
    "My boyfriend {first} made the booking with his card {card}.",
    "Server list: {ip4}, {ip4}, {ip6}.",
    "Please call {phone} or {phone} in an emergency.",
    "The IBAN {iban} is for the deposit only.",
    "Hello team, {staff} will be out today.",
    "Many thanks,",
    "{name}",
    "Mr {last} from accounts wants the PDF.",
    "I'm {first}, the new intern, nice to meet you all!",
    "Send the replacement card to {address} please.",
    "{name} left a one-star review about the delay.",
    "Can you check with {name} in accounts whether the refund went out?",
    "The booking is under {last}, two nights from Friday.",
    "Apparently {first} and {first} both need access to the shared drive.",
    "",
]

NEGATIVES = [
    "The build on main failed again, can someone look at the flaky test?",
    "We released version 2.14.3 on 2024-03-15, changelog is in the wiki.",
    "Order 4839201847 shipped yesterday, tracking number 1Z999AA10123456784.",
    "Total is $1,234.56 including VAT at 19%.",
    "Meeting moved to 10:30, room 1204, bring your laptop.",
    "Python 3.11.4 and Node 20.11.1 are the supported runtimes.",
    "Error 404 on /api/v2/items?page=3, looks like a routing issue.",
    "The SHA of the release is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b.",
    "Request id 7b3e2c1a-58f4-4d6b-9a2e-3f1c0b9d8e7a failed at step 3.",
    "Flight LH 2045 departs at 14:05 from gate B12.",
    "Invoice INV-2024-00123 is overdue by 14 days.",
    "Please increase the timeout from 30000 to 60000 ms.",
    "The ISBN is 978-3-16-148410-0, second edition.",
    "Can we get 250 units by week 23? Budget code 7781-22.",
    "Hi all, standup is cancelled today.",
    "Thanks again for the quick fix!",
    "The temperature sensor reads 21.5 degrees, humidity 45%.",
    "Set max_connections to 500 and restart postgres.",
    "We need 3 more reviewers for PR 1182 before Friday.",
    "The quarterly report covers Q1 2024 to Q3 2024.",
    "How do I reset my password? The link expired.",
    "Lunch at 12:45? The place on the corner.",
    "Our SLA is 99.95% uptime, measured monthly.",
    "Run `pip install chatseal==0.1.0` and try again.",
    "Kubernetes node pool scaled from 3 to 12 nodes at 02:00 UTC.",
    "",
]

TITLES = ["Mr", "Ms", "Dr", "Mrs", "Prof."]


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def _card(rng: random.Random) -> str:
    prefix, length, groups = rng.choice(
        [
            ("4", 16, (4, 4, 4, 4)),
            ("51", 16, (4, 4, 4, 4)),
            ("2221", 16, (4, 4, 4, 4)),
            ("37", 15, (4, 6, 5)),
            ("6011", 16, (4, 4, 4, 4)),
            ("35", 16, (4, 4, 4, 4)),
        ]
    )
    number = _luhn_complete(prefix, length, rng)
    sep = rng.choice([" ", "-", ""])
    parts, i = [], 0
    for g in groups:
        parts.append(number[i : i + g])
        i += g
    return sep.join(parts)


def _iban(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_BBAN))
    bban = IBAN_BBAN[country]
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.6:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def _ascii(text: str) -> str:
    return text.translate(str.maketrans("üöäéèßś'", "uoaeesso")).replace("o", "o")


def _fill(template: str, rng: random.Random) -> dict[str, object]:
    first, last = rng.choice(NAMES)
    slots = {
        "first": lambda: ("PERSON", first),
        "last": lambda: ("PERSON", last),
        "name": lambda: ("PERSON", f"{first} {last}"),
        "staff": lambda: ("PERSON", rng.choice(STAFF)),
        "email": lambda: (
            "EMAIL_ADDRESS",
            f"{_ascii(first).lower()}."
            f"{_ascii(last).lower().replace(chr(39), '')}{rng.choice(['', '87', '.work'])}"
            f"@{rng.choice(DOMAINS)}",
        ),
        "phone": lambda: ("PHONE_NUMBER", rng.choice(PHONES)),
        "card": lambda: ("CREDIT_CARD", _card(rng)),
        "iban": lambda: ("IBAN_CODE", _iban(rng)),
        "ip4": lambda: ("IP_ADDRESS", rng.choice(IP4)),
        "ip6": lambda: ("IP_ADDRESS", rng.choice(IP6)),
        "ssn": lambda: ("US_SSN", rng.choice(SSN)),
        "nino": lambda: ("UK_NINO", rng.choice(NINO)),
        "nhs": lambda: ("UK_NHS", rng.choice(NHS)),
        "nif": lambda: ("ES_NIF", rng.choice(NIF)),
        "cf": lambda: ("IT_FISCAL_CODE", rng.choice(CF)),
        "address": lambda: ("STREET_ADDRESS", rng.choice(ADDRESSES)),
        "title": lambda: ("", rng.choice(TITLES)),
    }
    text, spans, cursor = "", [], 0
    for match in re.finditer(r"\{(\w+)\}", template):
        text += template[cursor : match.start()]
        kind, value = slots[match.group(1)]()
        if kind:
            spans.append({"start": len(text), "end": len(text) + len(value), "type": kind})
        text += value
        cursor = match.end()
    text += template[cursor:]
    return {"text": text, "spans": spans}


def build() -> list[dict[str, object]]:
    """Return the labelled messages: every template three times, with different values, then negatives."""
    rng = random.Random(SEED)
    templates, current = [], []
    for line in TEMPLATES:
        # A line that ends in "," / ":" or is a bare sign-off continues on the next line.
        current.append(line)
        if line and not line.endswith((",", ":")):
            templates.append("\n".join(current))
            current = []
    messages = [_fill(t, rng) for _ in range(3) for t in templates]
    messages += [{"text": t, "spans": []} for t in NEGATIVES if t]
    return messages


if __name__ == "__main__":
    out = HERE / "pii_chat.jsonl"
    rows = build()
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"wrote {len(rows)} messages to {out}")
