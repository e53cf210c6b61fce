"""Person names in chat text, without a language model.

Chat has strong cues around names: greetings ("Hi Anna"), sign-offs ("Thanks, Bob"),
introductions ("my name is …", "I'm …", "this is …"), relations ("my manager Priya"), titles
("Dr. Okafor"), and the names a tenant knows (its staff, its customers). A short built-in list of
common given names catches names with no cue, and a name so found takes the capitalised word
after it as a surname.
"""

from __future__ import annotations

from collections.abc import Iterable

import regex

from chatseal.redaction.spans import Span, remaining

PERSON = "PERSON"

# A capitalised name token: "Anna", "O'Brien", "McDonald", "Anne-Marie", "Zoë".
_NAME_WORD = r"\p{Lu}(?:\p{Ll}+|['’]\p{Lu}\p{Ll}+)(?:\p{Lu}\p{Ll}+)?(?:-\p{Lu}\p{Ll}+)?"
_PARTICLE = r"(?:van|von|de|da|di|del|der|den|le|la|bin|al|dos|du)"
_NAME = rf"(?P<name>{_NAME_WORD}(?:[ ](?:{_PARTICLE}[ ])?{_NAME_WORD}){{0,2}})"

# Words and phrases after which a capitalised word is a name. Lower case; matched ignoring case.
_GREETINGS = """hi|hello|hey|hiya|heya|dear|morning|good morning|good afternoon|good evening|
evening|thanks|thank you|thx|ty|cheers|bye|goodbye|welcome|congrats|congratulations|sorry|ok|
okay|yo|howdy|greetings|hallo|hola|bonjour|ciao|salut|servus|moin|hej|ahoj|olá|ola"""
_INTROS = """my name is|my name's|name is|i am|i'm|i’m|im|this is|it's|it’s|it is|call me|
ask for|speak to|speak with|talk to|talked to|spoke to|spoke with|spoken to|contact|cc|ping|tell|
message|email|e-mail|forward it to|forward this to|send it to|send this to|assign it to|
assign this to|escalate to|signed|regards|sincerely|best|best wishes|kind regards|
warm regards|many thanks|love|xoxo|yours|account holder|cardholder|customer|patient|employee|
candidate|guest|passenger|named|called|on behalf of|in the name of|attn|attention|
nombre es|je m'appelle|ich bin|ich heiße|mi chiamo|me llamo|sono|soy|intestato a|
a nome di|au nom de|im namen von|a nombre de"""
_RELATIONS = """wife|husband|partner|son|daughter|mother|mom|mum|father|dad|brother|sister|
friend|colleague|coworker|co-worker|manager|boss|doctor|lawyer|landlord|neighbour|neighbor|
assistant|client|uncle|aunt|cousin|grandma|grandpa|grandmother|grandfather|fiancé|fiancée|
girlfriend|boyfriend|roommate|flatmate|teacher|tenant|nurse|therapist|kid|child"""
_TITLES = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Sr|Sra|Señor|Señora|Signora"


def _alternatives(words: str) -> list[str]:
    return [w.strip() for w in words.replace("\n", "").split("|") if w.strip()]


_CUE_PHRASES = _alternatives(_GREETINGS) + _alternatives(_INTROS)
_CUE_PHRASES += [
    f"{o} {r}" for o in ("my", "our", "your", "his", "her") for r in _alternatives(_RELATIONS)
]
# The first word of every cue: a text's words are looked up here before any regex runs.
_TITLE = rf"(?:{_TITLES})\.?[ ]"
_AFTER_CUE = rf"(?![\w'’])[,:]?[ \t]*(?:\r?\n[ \t]*)?(?:[-–—][ ]?)?(?:{_TITLE})?{_NAME}"


def _cues_by_first_word() -> dict[str, regex.Pattern[str]]:
    """One small anchored pattern per cue's first word: a text's words are looked up here, and
    only the cues that start with that word are tried, where that word starts."""
    grouped: dict[str, list[str]] = {}
    for phrase in _CUE_PHRASES:
        grouped.setdefault(phrase.split(" ")[0], []).append(phrase)
    patterns: dict[str, regex.Pattern[str]] = {}
    for first, phrases in grouped.items():
        cue = "|".join(regex.escape(p) for p in sorted(phrases, key=len, reverse=True))
        patterns[first] = regex.compile(rf"(?i:{cue}){_AFTER_CUE}")
    title_pattern = regex.compile(rf"{_TITLE}{_NAME}")
    for title in _TITLES.split("|"):
        key = title.lower()
        if key in patterns:  # "Miss" is also a cue word elsewhere: try both
            both = patterns[key].pattern + "|" + title_pattern.pattern
            patterns[key] = regex.compile(both)
        else:
            patterns[key] = title_pattern
    return patterns


_CUED_BY_FIRST = _cues_by_first_word()
# "…, thanks for the help, Declan Murphy" — a name closing a thankful last line.
_CLOSING = regex.compile(
    rf"(?i:thanks|thank you|cheers|regards|best)[^\n]{{0,40}},[ ]{_NAME}[ \t]*[.!]?[ \t]*$",
    regex.MULTILINE,
)
_DASHED = regex.compile(rf"(?:^|\n)[ \t]*(?:--|[-–—])[ ]?{_NAME}[ \t]*$")
_HERE = regex.compile(rf"^{_NAME}(?= here\b)")
_WORD = regex.compile(r"[\p{L}\p{M}'’]+(?:-[\p{L}\p{M}'’]+)*")
_TOKEN_FULL = regex.compile(_NAME_WORD)
_DASHES = frozenset("-–—")
_CLOSING_WORDS = frozenset({"thanks", "thank", "cheers", "regards", "best"})

# Capitalised words that follow a cue but are not names ("Hi All", "Thanks Again", "I'm Sorry").
STOPWORDS: frozenset[str] = frozenset(
    [
        "all",
        "everyone",
        "everybody",
        "team",
        "there",
        "guys",
        "folks",
        "again",
        "again,",
        "sir",
        "madam",
        "support",
        "both",
        "so",
        "for",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "is",
        "it",
        "its",
        "i",
        "im",
        "i'm",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "they",
        "them",
        "this",
        "that",
        "these",
        "those",
        "here",
        "what",
        "why",
        "how",
        "when",
        "where",
        "who",
        "which",
        "not",
        "no",
        "yes",
        "yeah",
        "yep",
        "nope",
        "ok",
        "okay",
        "sure",
        "please",
        "sorry",
        "thanks",
        "thank",
        "hello",
        "hi",
        "hey",
        "dear",
        "just",
        "still",
        "also",
        "very",
        "really",
        "so",
        "too",
        "well",
        "now",
        "then",
        "today",
        "tomorrow",
        "yesterday",
        "tonight",
        "morning",
        "afternoon",
        "evening",
        "night",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "world",
        "friend",
        "friends",
        "colleagues",
        "customer",
        "customers",
        "sales",
        "billing",
        "admin",
        "service",
        "services",
        "help",
        "desk",
        "helpdesk",
        "team's",
        "guy",
        "man",
        "dude",
        "bro",
        "mate",
        "love",
        "lol",
        "omg",
        "btw",
        "fyi",
        "asap",
        "going",
        "looking",
        "trying",
        "having",
        "getting",
        "calling",
        "writing",
        "reaching",
        "contacting",
        "following",
        "back",
        "happy",
        "glad",
        "excited",
        "interested",
        "available",
        "unable",
        "able",
        "afraid",
        "new",
        "not",
        "done",
        "fine",
        "good",
        "great",
        "on",
        "in",
        "at",
        "to",
        "from",
        "with",
        "about",
        "of",
        "by",
        "as",
        "be",
        "been",
        "being",
        "was",
        "were",
        "will",
        "would",
        "can",
        "could",
        "should",
        "must",
        "might",
        "shall",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "get",
        "got",
        "make",
        "made",
        "let",
        "let's",
        "lets",
        "need",
        "want",
        "like",
        "think",
        "know",
        "see",
        "say",
        "said",
        "told",
        "tell",
        "ask",
        "asked",
        "hope",
        "wish",
        "mister",
        "miss",
        "mrs",
        "mr",
        "ms",
        "dr",
        "prof",
        "english",
        "spanish",
        "french",
        "german",
        "italian",
        "chinese",
        "indian",
        "american",
        "british",
        "european",
        "bank",
        "paypal",
        "visa",
        "mastercard",
        "amex",
        "google",
        "microsoft",
        "apple",
        "amazon",
        "openai",
        "chatgpt",
        "gpt",
        "iban",
        "street",
        "road",
        "avenue",
        "lane",
        "drive",
        "house",
        "flat",
        "apartment",
        "suite",
        "floor",
        "unit",
        "box",
        "po",
        "office",
        "care",
        "account",
        "card",
        "order",
        "ticket",
        "case",
        "number",
        "phone",
        "email",
        "address",
        "name",
        "id",
        "code",
        "password",
        "manager",
        "owner",
        "user",
        "admin",
        "agent",
        "bot",
        "assistant",
    ]
)

# Common given names that are not also common English words (no "Will", "May", "Mark", "Grace").
GIVEN_NAMES: frozenset[str] = frozenset(
    [
        "Aaliyah",
        "Aaron",
        "Abdul",
        "Abigail",
        "Adam",
        "Adriana",
        "Ahmed",
        "Aisha",
        "Alejandro",
        "Alessandro",
        "Alexander",
        "Alexandra",
        "Alice",
        "Alicia",
        "Alina",
        "Amanda",
        "Amelia",
        "Amir",
        "Amy",
        "Ana",
        "Andrea",
        "Andreas",
        "Andrew",
        "Andrzej",
        "Angela",
        "Anita",
        "Anna",
        "Anne",
        "Annika",
        "Antoine",
        "Antonio",
        "Anya",
        "Arjun",
        "Astrid",
        "Ayesha",
        "Barbara",
        "Beatriz",
        "Benjamin",
        "Bernd",
        "Björn",
        "Bob",
        "Brian",
        "Bruno",
        "Camille",
        "Carla",
        "Carlos",
        "Carmen",
        "Caroline",
        "Catherine",
        "Charlotte",
        "Chen",
        "Chiara",
        "Chloe",
        "Christina",
        "Christopher",
        "Claire",
        "Claudia",
        "Daniel",
        "Daniela",
        "David",
        "Deepak",
        "Diana",
        "Diego",
        "Dmitri",
        "Elena",
        "Elif",
        "Elijah",
        "Elisa",
        "Elizabeth",
        "Ellen",
        "Emily",
        "Emma",
        "Enrique",
        "Erik",
        "Esther",
        "Ethan",
        "Eva",
        "Fabian",
        "Fatima",
        "Felix",
        "Fernando",
        "Fiona",
        "Francesca",
        "Francesco",
        "François",
        "Gabriel",
        "Gabriela",
        "George",
        "Giulia",
        "Giuseppe",
        "Greta",
        "Hana",
        "Hannah",
        "Hans",
        "Harry",
        "Helen",
        "Henrik",
        "Hiroshi",
        "Hugo",
        "Ibrahim",
        "Ingrid",
        "Isabel",
        "Isabella",
        "Ivan",
        "Jakob",
        "James",
        "Jan",
        "Jana",
        "Jasmine",
        "Javier",
        "Jennifer",
        "Jessica",
        "Jiang",
        "Joanna",
        "Johann",
        "Johannes",
        "John",
        "Jonas",
        "Jonathan",
        "Jorge",
        "José",
        "Joseph",
        "Juan",
        "Julia",
        "Julian",
        "Juliette",
        "Jürgen",
        "Kai",
        "Karen",
        "Karl",
        "Katarzyna",
        "Kate",
        "Katharina",
        "Kathrin",
        "Kenji",
        "Kevin",
        "Klaus",
        "Kumar",
        "Lars",
        "Laura",
        "Lauren",
        "Lea",
        "Lena",
        "Leon",
        "Leonie",
        "Linda",
        "Lisa",
        "Liam",
        "Lucas",
        "Lucia",
        "Luis",
        "Luisa",
        "Lukas",
        "Maciej",
        "Magdalena",
        "Maria",
        "Marie",
        "Marco",
        "Marcus",
        "Margaret",
        "Mariana",
        "Marta",
        "Martin",
        "Martina",
        "Mateo",
        "Matteo",
        "Matthew",
        "Mehmet",
        "Mei",
        "Mia",
        "Michael",
        "Michelle",
        "Miguel",
        "Mikhail",
        "Mohammed",
        "Muhammad",
        "Natalia",
        "Nathan",
        "Nicole",
        "Niklas",
        "Nina",
        "Noah",
        "Nora",
        "Olga",
        "Oliver",
        "Olivia",
        "Omar",
        "Oscar",
        "Pablo",
        "Paolo",
        "Patricia",
        "Paula",
        "Pedro",
        "Peter",
        "Petra",
        "Pierre",
        "Piotr",
        "Priya",
        "Rachel",
        "Rafael",
        "Rahul",
        "Rajesh",
        "Ramón",
        "Rebecca",
        "Ricardo",
        "Roberto",
        "Robert",
        "Rosa",
        "Ryan",
        "Sakura",
        "Samuel",
        "Sandra",
        "Sara",
        "Sarah",
        "Sebastian",
        "Sergei",
        "Sergio",
        "Simone",
        "Sofia",
        "Sophie",
        "Stefan",
        "Stefanie",
        "Steven",
        "Susan",
        "Svetlana",
        "Tanja",
        "Thomas",
        "Tobias",
        "Tomasz",
        "Valentina",
        "Vanessa",
        "Victor",
        "Vikram",
        "Wei",
        "Wojciech",
        "Xavier",
        "Yara",
        "Yuki",
        "Yusuf",
        "Zainab",
        "Zoe",
        "Zoë",
    ]
)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop leading and trailing stopword tokens of a candidate name; None if nothing is left."""
    tokens = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    while tokens and text[tokens[0][0] : tokens[0][1]].lower() in STOPWORDS:
        tokens.pop(0)
    # A stopword inside a run ends it: "Anna Thanks" -> "Anna".
    for index, (s, e) in enumerate(tokens):
        if text[s:e].lower() in STOPWORDS:
            tokens = tokens[:index]
            break
    if not tokens:
        return None
    return tokens[0][0], tokens[-1][1]


class NameRecognizer:
    """Person names from chat cues, a given-name list and a tenant's own list of names."""

    entity_types = frozenset({PERSON})

    def __init__(self, names: Iterable[str] = (), *, score: float = 0.8) -> None:
        # The tenant's names, as token tuples keyed by their first token (casefolded).
        self._known: dict[str, list[tuple[str, ...]]] = {}
        for name in names:
            parts = tuple(w.casefold() for w in name.split())
            if parts:
                self._known.setdefault(parts[0], []).append(parts)
        for options in self._known.values():
            options.sort(key=len, reverse=True)
        self._score = score

    def detect(self, text: str, deadline: float) -> list[Span]:
        """Return person-name findings in `text`."""
        found: list[Span] = []
        # One tokenisation; every cue and list is then a set lookup per word.
        words = list(_WORD.finditer(text, timeout=remaining(deadline)))
        closing = False
        for index, word in enumerate(words):
            value = word.group()
            lowered = value.lower()
            cued = _CUED_BY_FIRST.get(lowered)
            if cued is not None:
                closing = closing or lowered in _CLOSING_WORDS
                match = cued.match(text, word.start(), timeout=remaining(deadline))
                if match:
                    self._add(found, text, match.span("name"), self._score)
            if value in GIVEN_NAMES:
                found.append(self._given_name(text, words, index))
        if closing and "," in text:
            self._run(_CLOSING, text, deadline, found)
        if any(line.lstrip()[:1] in _DASHES for line in text.split("\n")):
            self._run(_DASHED, text, deadline, found)
        if " here" in text:
            self._run(_HERE, text, deadline, found)
        if self._known:
            found.extend(self._tenant_names(text, words))
        return found

    def _run(
        self, pattern: regex.Pattern[str], text: str, deadline: float, out: list[Span]
    ) -> None:
        for match in pattern.finditer(text, timeout=remaining(deadline)):
            self._add(out, text, match.span("name"), self._score)

    @staticmethod
    def _add(found: list[Span], text: str, span: tuple[int, int], score: float) -> None:
        trimmed = _trim(text, *span)
        if trimmed:
            found.append(Span(trimmed[0], trimmed[1], PERSON, score))

    def _given_name(self, text: str, words: list[regex.Match[str]], index: int) -> Span:
        """A listed given name, extended by up to two capitalised words right after it."""
        end = words[index].end()
        for nxt in words[index + 1 : index + 3]:
            value = nxt.group()
            if nxt.start() != end + 1 or text[end] != " " or value.lower() in STOPWORDS:
                break
            if not _TOKEN_FULL.fullmatch(value):
                break
            end = nxt.end()
        return Span(words[index].start(), end, PERSON, self._score - 0.05)

    def _tenant_names(self, text: str, words: list[regex.Match[str]]) -> list[Span]:
        folded = [w.group().casefold() for w in words]
        found: list[Span] = []
        for index, word in enumerate(folded):
            for option in self._known.get(word, ()):
                if tuple(folded[index : index + len(option)]) != option:
                    continue
                first = words[index].group()
                # One-word names must look like names ("Will" yes, "will" no).
                if len(option) == 1 and not first[:1].isupper():
                    continue
                end = words[index + len(option) - 1].end()
                found.append(Span(words[index].start(), end, PERSON, self._score + 0.1))
                break
        return found
