"""Property tests: no input crashes the redactor or makes it run past its budget."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chatseal.redaction import Redactor

REDACTOR = Redactor("pseudonymize", secret=b"s" * 32, time_budget=0.5)
PIECES = st.sampled_from(
    ["Hi ", "Anna", " ", "@", ".", "+44 ", "4111 ", "1111", ":", "::", "DE89 ", "0", "-", "\n",
     "Street", "Mr. ", "é", "\u200b", "(", ")", "1.2.3.4", "ß", "Thanks, "]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=3000), st.lists(PIECES, max_size=400).map("".join))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text(text: str) -> None:
    """Any text is redacted in bounded time, and every finding's count matches its tokens."""
    started = time.monotonic()
    result = REDACTOR.redact_text(text)
    assert isinstance(result.text, str)
    assert time.monotonic() - started < 2.0
    assert sum(result.counts.values()) >= len(result.tokens)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(JSON, TEXT)
def test_any_item(arguments: Any, output: str) -> None:
    """Any function call or output item is redacted without raising, and stays JSON-shaped."""
    call = {
        "type": "function_call",
        "call_id": "c",
        "name": "f",
        "arguments": json.dumps(arguments),
    }
    out = REDACTOR.redact_item(call)
    json.loads(out.item["arguments"])
    REDACTOR.redact_item({"type": "function_call_output", "call_id": "c", "output": output})
